"""The engine's refusals in Chinese, for people (the API keeps the engine's own words).

The engine explains a refusal with a JSON pointer, a keyword and an English sentence;
this turns the common ones into what a window clerk or reviewer should read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runtime.engine.errors import TransitionNotAllowed

REQUIRED_TEXT = {
    "/reason": "请填写理由", "/opinion": "请填写意见", "/note": "请填写说明",
    "/to_user": "请选择转办给谁", "/number": "缺少受理编号", "/file_ids": "请至少上传一个文件",
    "/items": "请至少列出一项补正内容",
}
STATUS = {
    "draft": "草稿", "submitted": "已提交待受理", "supplement_requested": "待补正",
    "accepted": "已受理", "in_progress": "办理中", "approved": "审批通过", "rejected": "不予许可",
    "delivered": "已办结", "refused": "不予受理", "withdrawn": "已撤回", "waiting": "等待前置环节",
    "ready": "待签收", "claimed": "已签收", "preliminary": "已出初审意见", "skipped": "不适用",
    "cancelled": "已取消", "suspended": "已挂起",
}
ACTION = {
    "submit": "提交", "withdraw": "撤回", "pre_review": "预审", "request_supplement": "补正",
    "answer_supplement": "提交补正", "refuse": "不予受理", "accept": "受理",
    "supply_deferred": "补交容缺材料", "deliver": "出件", "claim": "签收", "unclaim": "退回",
    "transfer": "转办", "preliminary": "出具初审意见", "approve": "审批通过", "reject": "不予许可",
    "suspend": "挂起", "resume": "恢复计时", "urge": "督办", "save_draft": "保存草稿",
}


def _subject(message: str, tail: str) -> str:
    return message[: -len(tail)] if message.endswith(tail) else message


def detail_zh(detail: Mapping[str, Any]) -> str:
    """One engine detail in Chinese (its English message when nothing fits)."""
    pointer = str(detail.get("pointer") or "")
    keyword = str(detail.get("keyword") or "")
    message = str(detail.get("message") or "")
    if keyword == "required":
        if pointer in REQUIRED_TEXT:
            return REQUIRED_TEXT[pointer]
        if pointer.startswith("/items/") and pointer.endswith("/reason"):
            return "每一项补正内容都要写明原因"
        if "material" in detail or pointer.startswith("/materials/"):
            return f"缺少材料：{_subject(message, ' is required')}"
        return f"缺少必填内容：{pointer.lstrip('/') or message}"
    texts = {
        "supplement": "该项不在补正通知中，不能修改",
        "deferrable": f"{_subject(message, ' may not be deferred')} 不允许容缺受理",
        "applicable": f"{_subject(message, ' does not apply')} 本案不需要",
        "supplied": f"{_subject(message, ' is already supplied')} 已经提交，无需容缺",
        "uniqueItems": f"{_subject(message, ' listed twice')} 重复列出",
        "form": "本环节不需要填写办理结果",
    }
    if keyword in texts:
        return texts[keyword]
    if pointer == "/reply":
        return "请从本环节的答复意见中选择"
    return message


def details_zh(details: Any) -> str:
    """All details, joined for one notice."""
    return "；".join(detail_zh(d) for d in details)


def transition_zh(exc: TransitionNotAllowed) -> str:
    """Why the current state does not allow the action, in Chinese."""
    reason = exc.reason or ""
    if reason.startswith("deferred materials not supplied:"):
        return "容缺受理的材料尚未补齐（" + reason.split(":", 1)[1].strip() + "），补齐后才能出件"
    state = STATUS.get(str(exc.state), str(exc.state))
    action = ACTION.get(str(exc.action), str(exc.action))
    return f"当前状态（{state}）不允许“{action}”"
