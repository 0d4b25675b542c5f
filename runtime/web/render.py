"""Jinja2 set-up and the one way views render a page or an htmx fragment."""

from __future__ import annotations

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
LIGHT_NAMES = {"green": "正常", "yellow": "临近期限", "red": "已超期"}


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _common(request: Request) -> dict[str, Any]:
    services = request.app.state.services
    return {
        "centre": services.catalog.centre,
        "user": getattr(request.state, "user", None),
        "csrf": csrf_token(request) if "session" in request.scope else "",
        "htmx": _is_htmx(request),
    }


def _days(value: Any) -> str:
    if value is None:
        return ""
    number = float(value)
    return f"{number:g}"


def _datetime(value: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    from datetime import datetime
    if not value:
        return ""
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
