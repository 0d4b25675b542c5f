"""The administrator's pages (中心管理员): matters with their versions and drafts,
creating and copying matters, departments, and the audit trail of every change."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from runtime.services import ServiceError
from runtime.web.auth import current_user, requires
from runtime.web.door import services_of
from runtime.web.render import flash, page
from runtime.web.security import checked_form


def _overview(request: Request, errors: dict[str, str] | None = None,
              values: dict[str, str] | None = None, status: int = 200) -> Response:
    services = services_of(request)
    user = current_user(request)
    return page(request, "admin_home.html", {
        "matters": services.admin.overview(user),
        "departments": services.catalog.departments, "errors": errors or {},
        "values": values or {}}, status=status)


@requires("admin")
def home(request: Request) -> Response:
    """Every matter: the version in use, older versions with their cases, the draft."""
    return _overview(request)


def _form_errors(exc: ServiceError) -> dict[str, str]:
    found = {d.get("pointer", "").lstrip("/"): d["message"] for d in exc.details}
    return found or {"": exc.message}


@requires("admin")
def create(request: Request) -> Response:
    """A new matter from scratch: a minimal valid draft to build on."""
    form = checked_form(request)
    values = {k: str(form.get(k, "")).strip() for k in ("matter", "name", "lead")}
    try:
        services_of(request).admin.create_matter(current_user(request), values["matter"],
                                               values["name"], lead=values["lead"] or None)
    except ServiceError as exc:
        if exc.status not in (400, 409):
            raise
        return _overview(request, _form_errors(exc), values, status=exc.status)
    flash(request, "已创建事项草稿，请在向导中完善。")
    return RedirectResponse(f"/admin/matters/{values['matter']}/edit", status_code=303)


@requires("admin")
def copy(request: Request) -> Response:
    """A new matter copied from a published one."""
    form = checked_form(request)
    source = request.path_params["matter_id"]
    values = {k: str(form.get(k, "")).strip() for k in ("matter", "name")}
    try:
        services_of(request).admin.copy_matter(current_user(request), source, values["matter"],
                                             values["name"])
    except ServiceError as exc:
        if exc.status not in (400, 409):
            raise
        return _overview(request, _form_errors(exc), values, status=exc.status)
    flash(request, f"已复制为新事项“{values['name']}”。")
    return RedirectResponse(f"/admin/matters/{values['matter']}/edit", status_code=303)


def _departments_page(request: Request, errors: dict[str, str] | None = None,
                      status: int = 200) -> Response:
    services = services_of(request)
    return page(request, "admin_departments.html", {
        "rows": services.admin.departments(current_user(request)), "errors": errors or {}},
        status=status)


@requires("admin")
def departments(request: Request) -> Response:
    """Departments with their users, open tasks and matters."""
    return _departments_page(request)


@requires("admin")
def department_action(request: Request) -> Response:
    """Add, rename or delete a department (never one in use)."""
    admin = services_of(request).admin
    user = current_user(request)
    form = checked_form(request)
    action = request.path_params["action"]
    dept_id = str(form.get("id", "")).strip()
    name = str(form.get("name", "")).strip()
    try:
        if action == "add":
            admin.add_department(user, dept_id, name)
            message = f"已新增部门“{name}”。"
        elif action == "rename":
            admin.rename_department(user, dept_id, name)
            message = f"已更名为“{name}”。"
        elif action == "delete":
            admin.delete_department(user, dept_id)
            message = "已删除部门。"
        else:
            return _departments_page(request, {"": "没有这个操作"}, 404)
    except ServiceError as exc:
        if exc.status not in (400, 409):
            raise
        return _departments_page(request, {action: exc.message + "".join(
            f"；{d['message']}" for d in exc.details)}, exc.status)
    flash(request, message)
    return RedirectResponse("/admin/departments", status_code=303)


@requires("admin")
def audit(request: Request) -> Response:
    """Who changed which matter or department, when, and what."""
    subject = request.query_params.get("subject") or None
    entries = services_of(request).admin.audit(current_user(request), subject=subject, limit=200)
    subject_name = next((e.subject_name for e in entries if e.subject == subject), subject)
    return page(request, "admin_audit.html", {"entries": entries, "subject": subject or "",
                                              "subject_name": subject_name or ""})


routes = [
    Route("/admin", home, name="admin"),
    Route("/admin/matters", create, methods=["POST"], name="admin_create"),
    Route("/admin/matters/{matter_id}/copy", copy, methods=["POST"], name="admin_copy"),
    Route("/admin/departments", departments, name="admin_departments"),
    Route("/admin/departments/{action}", department_action, methods=["POST"]),
    Route("/admin/audit", audit, name="admin_audit"),
]
