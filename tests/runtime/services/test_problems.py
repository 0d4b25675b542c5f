"""One renderer: engine problems in Chinese with titles, never ids."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder import load_catalog
from runtime.engine import TransitionNotAllowed, ValidationFailed
from runtime.services import Conflict, Invalid
from runtime.services.problems import Titles, explain, translate

CATALOG = load_catalog(Path(__file__).resolve().parents[3] / "catalog")
M = CATALOG.matters["enterprise-establishment"]


@pytest.mark.parametrize(("detail", "text"), [
    ({"pointer": "/reason", "keyword": "required", "message": "reason is required"},
     "请填写理由"),
    ({"pointer": "/items/0/reason", "keyword": "required", "message": "x"},
     "每一项补正内容都要写明原因"),
    ({"pointer": "/materials/premises", "material": "premises", "keyword": "required",
      "message": "premises is required"}, "请提交材料“住所（经营场所）使用证明”"),
    ({"pointer": "/address", "keyword": "supplement", "message": "'address' is not listed"},
     "“住所”不在补正通知中，不能修改"),
    ({"pointer": "/legal_representative/name", "keyword": "required", "message": "x"},
     "请填写“法定代表人·姓名”"),
    ({"pointer": "/materials/premises", "material": "premises", "keyword": "answered",
      "message": "x"}, "补正通知要求重新提交“住所（经营场所）使用证明”"),
])
def test_details_name_titles_never_ids(detail: dict, text: str) -> None:
    said = explain(detail, Titles(M))
    assert said == text
    assert "premises" not in said and "address" not in said


def test_a_validation_failure_becomes_one_invalid_with_every_detail() -> None:
    exc = translate(ValidationFailed([
        {"pointer": "/address", "keyword": "required", "message": "x"},
        {"pointer": "/materials/premises", "material": "premises", "keyword": "required",
         "message": "y"}]), M)
    assert isinstance(exc, Invalid) and exc.status == 400
    assert [d["pointer"] for d in exc.details] == ["/address", "/materials/premises"]
    assert "住所" in exc.message and "premises" not in exc.message


def test_refusals_in_chinese() -> None:
    exc = translate(TransitionNotAllowed("case", "approved", "deliver",
                                         "deferred materials not supplied: premises"), M)
    assert isinstance(exc, Conflict) and exc.message == "容缺受理的材料尚未补齐，补齐后才能出件"
    assert translate(TransitionNotAllowed("task", "ready", "approve"), M).message == \
        "当前状态（待签收）不允许“审批通过”"


def test_control_characters_in_a_reason_are_refused_by_name() -> None:
    from runtime.engine.validation import require_text
    with pytest.raises(ValidationFailed) as err:
        require_text("reason", "材料\x00不全")
    said = translate(err.value, M)
    assert isinstance(said, Invalid) and said.details[0]["pointer"] == "/reason"
    assert said.details[0]["message"].startswith("“理由”") and "控制字符" in said.message


def test_a_step_forms_problem_is_named_by_the_steps_field_title() -> None:
    licence = next(s for s in M.steps if s.id == "license")
    said = translate(ValidationFailed([{"pointer": "/license_no", "keyword": "required",
                                        "message": "x"}]), M, licence.form)
    assert said.details[0]["message"] == "请填写“统一社会信用代码”"
