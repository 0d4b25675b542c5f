"""Jinja2 set-up and the one way views render a page or an htmx fragment."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from runtime.web.security import csrf_token

RUNTIME = Path(__file__).resolve().parent.parent
STATUS_NAMES = {
    "draft": "草稿", "submitted": "已提交待受理", "supplement_requested": "待补正",
    "accepted": "已受理", "in_progress": "办理中", "approved": "审批通过",
    "rejected": "不予许可", "delivered": "已办结", "refused": "不予受理", "withdrawn": "已撤回",
    "waiting": "等待前置环节", "ready": "待签收", "claimed": "办理中",
    "preliminary": "已出初审意见",
    "skipped": "不适用", "cancelled": "已取消", "suspended": "已挂起（特别程序）",
}
ACTION_NAMES = {
    "create": "创建申请", "save_draft": "保存草稿", "submit": "提交申请", "pre_review": "窗口预审",
    "request_supplement": "一次性告知补正", "answer_supplement": "提交补正", "refuse": "不予受理",
    "accept": "受理", "start": "分送各部门并联办理", "withdraw": "撤回申请",
    "supply_deferred": "补交容缺材料", "approve": "审批通过", "reject": "不予许可",
    "deliver": "出件办结", "release": "前置环节完成，任务可办理", "claim": "签收",
    "unclaim": "退回待签收",
    "transfer": "转办", "preliminary": "出具初审意见", "suspend": "挂起（特别程序）",
    "resume": "恢复计时", "urge": "督办", "skip": "不适用", "cancel": "取消", "timeout": "超时默许",
    "consent": "超时默许",
}
ROLE_NAMES = {"applicant": "申请人", "window": "综合窗口", "department": "部门",
              "supervisor": "电子监察", "admin": "管理员", "system": "系统"}
LIGHT_NAMES = {"green": "正常", "yellow": "临近期限", "red": "已超期"}


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def flash(request: Request, message: str) -> None:
    """A one-time message shown on the next page (after a redirect)."""
    request.session["flash"] = message


def _common(request: Request) -> dict[str, Any]:
    services = request.app.state.services
    has_session = "session" in request.scope
    return {
        "flash": request.session.pop("flash", "") if has_session else "",
        "centre": services.catalog.centre,
        "user": getattr(request.state, "user", None),
        "csrf": csrf_token(request) if has_session else "",
        "htmx": _is_htmx(request),
    }


def _days(value: Any) -> str:
    if value is None:
        return ""
    number = float(value)
    return f"{number:g}"


def _datetime(value: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An ISO 8601 moment as shown to people; the common format by slicing (hot path)."""
    if not value:
        return ""
    if fmt == "%Y-%m-%d %H:%M" and isinstance(value, str) and len(value) >= 16:
        return f"{value[:10]} {value[11:16]}"
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.strftime(fmt)


def make_templates() -> Jinja2Templates:
    """Templates from runtime/templates and the generated-form macros."""
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([
            jinja2.FileSystemLoader(RUNTIME / "templates"),
            jinja2.FileSystemLoader(RUNTIME / "forms" / "templates"),
        ]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["status_name"] = lambda s: STATUS_NAMES.get(str(s), str(s))
    env.filters["action_name"] = lambda s: ACTION_NAMES.get(str(s), str(s))
    env.filters["role_name"] = lambda s: ROLE_NAMES.get(str(s), str(s))
    env.filters["light_name"] = lambda s: LIGHT_NAMES.get(str(s), "")
    env.filters["days"] = _days
    env.filters["dt"] = _datetime
    return Jinja2Templates(env=env, context_processors=[_common])


def page(request: Request, name: str, context: dict[str, Any] | None = None,
         status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    """Render a template as a response."""
    templates: Jinja2Templates = request.app.state.templates
    response: HTMLResponse = templates.TemplateResponse(request, name, context or {},
                                                        status_code=status, headers=headers)
    return response
