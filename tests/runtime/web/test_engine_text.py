"""The engine's refusals read in Chinese on pages."""

from __future__ import annotations

from runtime.engine.errors import TransitionNotAllowed
from runtime.web.engine_text import detail_zh, transition_zh


def test_common_details() -> None:
    assert detail_zh({"pointer": "/reason", "keyword": "required",
                      "message": "reason is required"}) == "请填写理由"
    assert detail_zh({"pointer": "/items/0/reason", "keyword": "required",
                      "message": "reason is required"}) == "每一项补正内容都要写明原因"
    assert detail_zh({"pointer": "/materials/id-card", "material": "id-card",
                      "keyword": "required", "message": "法定代表人身份证 is required"}) == \
        "缺少材料：法定代表人身份证"
    assert detail_zh({"pointer": "/address", "keyword": "supplement",
                      "message": "'address' is not listed"}) == "该项不在补正通知中，不能修改"
    assert detail_zh({"pointer": "/x", "keyword": "odd", "message": "as is"}) == "as is"


def test_transitions() -> None:
    assert transition_zh(TransitionNotAllowed("case", "approved", "deliver",
                                              "deferred materials not supplied: premises")) \
        == "容缺受理的材料尚未补齐（premises），补齐后才能出件"
    assert transition_zh(TransitionNotAllowed("task", "ready", "approve")) == \
        "当前状态（待签收）不允许“审批通过”"
