"""The administrator's user pages (用户管理): list and create, one user's page with role,
department, contact, deactivation, password reset and API tokens."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from runtime.services import ServiceError
from runtime.services.accounts import ROLE_NAMES, ROLES
from runtime.web.auth import current_user, requires
from runtime.web.door import services_of
from runtime.web.render import flash, page
from runtime.web.security import checked_form

FIELDS = ("name", "display_name", "role", "department", "email", "phone")


def _errors(exc: ServiceError) -> dict[str, str]:
    return {d.get("pointer", "").lstrip("/"): d["message"] for d in exc.details} or {
        "": exc.message}


def _choices(request: Request) -> dict[str, object]:
    return {"roles": [(r, ROLE_NAMES[r]) for r in ROLES],
            "departments": services_of(request).catalog.departments}


def _list(request: Request, values: dict[str, str] | None = None,
          errors: dict[str, str] | None = None, status: int = 200) -> Response:
    users = services_of(request).users.list_users(current_user(request))
    return page(request, "admin_users.html", {
        "users": users, "values": values or {"role": "department"}, "errors": errors or {},
        **_choices(request)}, status=status)


@requires("admin")
def users(request: Request) -> Response:
    """Every user with role and department names; the form to add one."""
    return _list(request)


@requires("admin")
def create(request: Request) -> Response:
    """Add a user with a one-time password, shown once on the next page."""
    form = checked_form(request)
    values = {k: str(form.get(k, "")).strip()[:200] for k in FIELDS}
    try:
        account, one_time = services_of(request).users.create(
            current_user(request), values["name"], values["role"],
            department=values["department"] if values["role"] == "department" else None,
            display_name=values["display_name"], email=values["email"], phone=values["phone"])
    except ServiceError as exc:
        if exc.status not in (400, 409):
            raise
        return _list(request, values, _errors(exc), status=exc.status)
    return page(request, "admin_user_password.html", {
        "account": account, "password": one_time, "created": True}, status=201)


def _detail(request: Request, user_id: str, errors: dict[str, str] | None = None,
            status: int = 200) -> Response:
    services = services_of(request)
    actor = current_user(request)
    return page(request, "admin_user.html", {
        "account": services.users.get(actor, user_id),
        "tokens": services.users.tokens(actor, user_id), "errors": errors or {},
        "is_self": actor.id == user_id, **_choices(request)}, status=status)


@requires("admin")
def detail(request: Request) -> Response:
    """One user: edit, deactivate or reactivate, reset the password, revoke tokens."""
    return _detail(request, request.path_params["user_id"])


@requires("admin")
def update(request: Request) -> Response:
    """Save role, department, name and contact."""
    user_id = request.path_params["user_id"]
    form = checked_form(request)
    changes = {k: str(form.get(k, "")).strip()[:200] for k in FIELDS if k != "name"}
    if changes["role"] != "department":
        changes["department"] = ""
    try:
        services_of(request).users.update(current_user(request), user_id, changes)
    except ServiceError as exc:
        if exc.status != 400:
            raise
        return _detail(request, user_id, _errors(exc), status=400)
    flash(request, "已保存。")
    return RedirectResponse(f"/admin/users/{user_id}", status_code=303)


@requires("admin")
def active(request: Request) -> Response:
    """Deactivate (sessions and tokens end at once) or reactivate a user."""
    user_id = request.path_params["user_id"]
    form = checked_form(request)
    on = form.get("active") == "1"
    try:
        services_of(request).users.update(current_user(request), user_id, {"active": on})
    except ServiceError as exc:
        if exc.status != 400:
            raise
        return _detail(request, user_id, _errors(exc), status=400)
    flash(request, "已启用该用户。" if on else "已停用该用户：其登录和 API 令牌已立即失效。")
    return RedirectResponse(f"/admin/users/{user_id}", status_code=303)


@requires("admin")
def reset(request: Request) -> Response:
    """A new one-time password for the user, shown once."""
    user_id = request.path_params["user_id"]
    checked_form(request)
    services = services_of(request)
    actor = current_user(request)
    one_time = services.users.reset_password(actor, user_id)
    return page(request, "admin_user_password.html", {
        "account": services.users.get(actor, user_id), "password": one_time, "created": False})


@requires("admin")
def revoke(request: Request) -> Response:
    """Revoke one API token of the user."""
    user_id = request.path_params["user_id"]
    checked_form(request)
    info = services_of(request).users.revoke_token(current_user(request), user_id,
                                                  request.path_params["token_id"])
    flash(request, f"已吊销令牌 {info.id}。")
    return RedirectResponse(f"/admin/users/{user_id}", status_code=303)


routes = [
    Route("/admin/users", users, methods=["GET"], name="admin_users"),
    Route("/admin/users", create, methods=["POST"], name="admin_user_create"),
    Route("/admin/users/{user_id}", detail, methods=["GET"], name="admin_user"),
    Route("/admin/users/{user_id}", update, methods=["POST"], name="admin_user_update"),
    Route("/admin/users/{user_id}/active", active, methods=["POST"], name="admin_user_active"),
    Route("/admin/users/{user_id}/password", reset, methods=["POST"], name="admin_user_reset"),
    Route("/admin/users/{user_id}/tokens/{token_id}/revoke", revoke, methods=["POST"],
          name="admin_user_revoke_token"),
]
