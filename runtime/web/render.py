"""Jinja2 set-up and the one way views render a page or an htmx fragment."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from runtime.services import CaseAction, TaskAction, labels
from runtime.services.documents_facts import yuan
from runtime.web.door import services_of
from runtime.web.prose import paragraphs
from runtime.web.security import csrf_token

RUNTIME = Path(__file__).resolve().parent.parent
def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def flash(request: Request, message: str) -> None:
    """A one-time message shown on the next page (after a redirect)."""
    request.session["flash"] = message


def _common(request: Request) -> dict[str, Any]:
    services = services_of(request)
    has_session = "session" in request.scope
    user = getattr(request.state, "user", None)
    return {
        "unread": services.notices.unread(user)
        if user is not None and not user.must_change_password else 0,
        "flash": request.session.pop("flash", "") if has_session else "",
        "centre": services.catalog.centre,
        "user": user,
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
    env.globals["case_action"] = CaseAction
    env.globals["task_action"] = TaskAction
    env.globals["elsewhere"] = lambda _department: ""  # "sent to PEER": set by create_app
    env.filters["case_status"] = labels.case_label
    env.filters["task_status"] = labels.task_label
    env.filters["role_name"] = lambda s: labels.ROLE_LABELS.get(str(s), str(s))
    env.filters["light_name"] = lambda s: labels.LIGHT_LABELS.get(str(s), "")
    env.filters["paragraphs"] = paragraphs
    env.filters["days"] = _days
    env.filters["yuan"] = yuan
    env.filters["dt"] = _datetime
    return Jinja2Templates(env=env, context_processors=[_common])


def page(request: Request, name: str, context: dict[str, Any] | None = None,
         status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    """Render a template as a response."""
    templates: Jinja2Templates = request.app.state.templates
    response: HTMLResponse = templates.TemplateResponse(request, name, context or {},
                                                        status_code=status, headers=headers)
    return response
