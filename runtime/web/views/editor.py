"""The matter editor: a guided editor and the YAML side by side, kept in sync, with the
check messages, the plan picture and previews of every form updated on each change;
publishing, versions with a readable diff, YAML import/export and BPMN export."""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import quote

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from builder import messages_zh
from builder.bpmn import to_bpmn
from builder.diff import diff
from builder.errors import BuilderError
from builder.guided import (
    GuidedMatter,
    add_field,
    add_material,
    add_step,
    from_doc,
    move_field,
    move_step,
    remove_field,
    remove_material,
    remove_step,
    to_doc,
    to_yaml,
    update_field,
    update_material,
    update_step,
)
from builder.plan import make_plan
from builder.source import load_source
from builder.svg import render_svg
from runtime import forms
from runtime.services.errors import Invalid, NotFound, ServiceError
from runtime.services.publishing import check_matter
from runtime.web import editor_forms as ef
from runtime.web.auth import current_user, requires
from runtime.web.door import services_of
from runtime.web.render import flash, page
from runtime.web.security import checked_form


def _ensure_draft(request: Request, matter_id: str) -> Any:
    """The matter's draft, started from the version in use when there is none."""
    admin = services_of(request).admin
    user = current_user(request)
    try:
        return admin.draft(user, matter_id)
    except NotFound:
        text = admin.export_version(user, matter_id)  # NotFound for an unknown matter
        return admin.save_draft(user, matter_id, text)


def _guided(text: str) -> tuple[GuidedMatter | None, str]:
    src, _ = load_source(text, "draft.yaml")
    if src is None or not isinstance(src.value, dict):
        return None, "YAML 有语法错误，请先在右侧修正，向导才能显示。"
    try:
        return from_doc(src.value), ""
    except (BuilderError, KeyError, TypeError, ValueError) as exc:
        return None, f"向导无法理解这份草稿（{exc}），请在右侧 YAML 中修正。"


def _context(request: Request, matter_id: str, message: str = "") -> dict[str, Any]:
    services = services_of(request)
    draft = _ensure_draft(request, matter_id)
    departments = {d.id: d.name for d in services.catalog.departments.values()}
    checked = check_matter(draft.yaml, matter_id, services.catalog.departments)
    guided, guided_error = _guided(draft.yaml)
    context: dict[str, Any] = {
        "matter_id": matter_id, "draft": draft, "text": draft.yaml,
        "line_count": draft.yaml.count("\n") + 1, "problems": checked.problems,
        "errors": [p for p in checked.problems if p.is_error], "in_chinese": messages_zh.render,
        "guided": guided, "guided_error": guided_error, "message": message,
        "departments": departments, "field_types": ef.FIELD_TYPES, "ops": ef.OPS,
        "accepts": ("pdf", "jpg", "jpeg", "png", "ofd", "doc", "docx", "xls", "xlsx"),
        "spec": checked.spec, "versions": services.admin.versions(current_user(request),
                                                                  matter_id),
    }
    spec = checked.spec
    if spec is not None:
        plan = make_plan(spec)
        context.update({
            "plan": plan, "picture": Markup(render_svg(spec, plan, departments)),
            "preview_fields": forms.build_fields(spec.form, spec.ui, forms.defaults(spec.form)),
            "preview_uploads": forms.build_uploads(spec.materials, forms.defaults(spec.form)),
            "step_previews": [(s, forms.build_fields(s.form, {}, {}, prefix=f"p-{s.id}"))
                              for s in spec.steps if s.form],
        })
    return context


@requires("admin")
def edit(request: Request) -> Response:
    """The editor page."""
    return page(request, "admin_editor.html", _context(request, request.path_params["matter_id"]))


def _render(request: Request, matter_id: str, message: str = "", status: int = 200) -> Response:
    context = _context(request, matter_id, message)
    if request.headers.get("hx-request") == "true":
        return page(request, "partials/editor_area.html", context, status=status)
    return page(request, "admin_editor.html", context, status=status)




def _edit(g: GuidedMatter, op: str, form: Any) -> GuidedMatter:
    """One guided edit: builder.guided does it, this only reads the form."""
    key = ef.text(form, "key")
    if op == "basic":
        return dataclasses.replace(
            g, name=ef.text(form, "name") or g.name, lead=ef.text(form, "lead") or g.lead,
            time_limit=ef.number(form, "time_limit", "承诺时限"),
            statutory_limit=ef.number(form, "statutory_limit", "法定时限"),
            notice=ef.text(form, "notice"), conditions=ef.text(form, "conditions"))
    if op == "add_field":
        return add_field(g, ef.field_from(form, g))
    if op == "update_field":
        return update_field(g, key, **ef.changes(ef.field_from(form, g), "name"))
    if op == "remove_field":
        return remove_field(g, key)
    if op in ("field_up", "field_down"):
        return move_field(g, key, "up" if op == "field_up" else "down")
    if op == "add_material":
        return add_material(g, ef.material_from(form, g))
    if op == "update_material":
        return update_material(g, key, **ef.changes(ef.material_from(form, g), "id"))
    if op == "remove_material":
        return remove_material(g, key)
    if op == "add_step":
        return add_step(g, ef.step_from(form, g))
    if op == "update_step":
        return update_step(g, key, **ef.changes(ef.step_from(form, g), "id"))
    if op == "remove_step":
        return remove_step(g, key)
    if op in ("step_up", "step_down"):
        return move_step(g, key, "up" if op == "step_up" else "down")
    raise Invalid("没有这个编辑操作", [{"pointer": "/op", "message": op}])


@requires("admin")
def guided(request: Request) -> Response:
    """Apply one guided edit; the YAML, the checks, the plan and previews follow."""
    services = services_of(request)
    user = current_user(request)
    matter_id = request.path_params["matter_id"]
    form = checked_form(request)
    draft = _ensure_draft(request, matter_id)
    g, problem = _guided(draft.yaml)
    if g is None:
        return _render(request, matter_id, problem, 400)
    try:
        changed = _edit(g, ef.text(form, "op"), form)
    except (BuilderError, ServiceError) as exc:
        message = exc.message if isinstance(exc, ServiceError) else str(exc)
        return _render(request, matter_id, f"未修改：{message}", 400)
    services.admin.save_draft(user, matter_id, to_yaml(to_doc(changed)))
    return _render(request, matter_id, "已保存草稿。")


@requires("admin")
def save_yaml(request: Request) -> Response:
    """The YAML side: saved as typed (a draft need not be valid); checks follow live."""
    form = checked_form(request)
    matter_id = request.path_params["matter_id"]
    services_of(request).admin.save_draft(current_user(request), matter_id, ef.text(form, "yaml")
                                        + "\n")
    return _render(request, matter_id, "已保存草稿。")


def _lines(exc: Invalid) -> str:
    """The located problems of a refused publish or import, in Chinese."""
    return "；".join(f"第 {d.get('line')} 行：{d.get('message_zh', d['message'])}"
                    for d in exc.details)


@requires("admin")
def publish(request: Request) -> Response:
    """Publish the draft as the next immutable version, or show every located error."""
    matter_id = request.path_params["matter_id"]
    checked_form(request)
    try:
        version = services_of(request).admin.publish(current_user(request), matter_id)
    except Invalid as exc:
        return _render(request, matter_id, f"{exc.message}。{_lines(exc)}", 400)
    flash(request, f"已发布第 {version.version} 版：新的申请按此版本办理，在办件仍按原版本办结。")
    return RedirectResponse(f"/admin/matters/{matter_id}/versions", status_code=303)


@requires("admin")
def discard(request: Request) -> Response:
    """Throw the draft away."""
    checked_form(request)
    services_of(request).admin.discard_draft(current_user(request),
                                           request.path_params["matter_id"])
    flash(request, "已放弃草稿。")
    return RedirectResponse("/admin", status_code=303)


@requires("admin")
def versions(request: Request) -> Response:
    """Published versions, and a readable diff between any two."""
    services = services_of(request)
    user = current_user(request)
    matter_id = request.path_params["matter_id"]
    info = services.admin.versions(user, matter_id)
    numbers = [v.version for v in info.versions]
    changes: list[Any] = []
    old = request.query_params.get("old")
    new = request.query_params.get("new")
    if old and new:
        for n in (old, new):
            if n != "draft" and not n.isdigit():
                raise Invalid("请选择要比较的版本", [{"pointer": "/version",
                                                "message": f"“{n}”不是版本号"}])
        texts = [services.admin.export_draft(user, matter_id) if n == "draft" else
                 services.admin.export_version(user, matter_id, int(n)) for n in (old, new)]
        docs = [load_source(t, "v.yaml")[0] for t in texts]
        if all(d is not None for d in docs):
            names = {d.id: d.name for d in services.catalog.departments.values()}
            changes = diff(docs[0].value, docs[1].value, names)  # type: ignore[union-attr]
    return page(request, "admin_versions.html", {
        "info": info, "numbers": numbers, "old": old or "", "new": new or "",
        "changes": changes, "matter_id": matter_id})


@requires("admin")
def export(request: Request) -> Response:
    """The draft or a published version as a YAML file."""
    admin = services_of(request).admin
    user = current_user(request)
    matter_id = request.path_params["matter_id"]
    which = request.query_params.get("version", "draft")
    if which == "draft":
        text, name = admin.export_draft(user, matter_id), f"{matter_id}-draft.yaml"
    else:
        text = admin.export_version(user, matter_id, int(which) if which.isdigit() else None)
        name = f"{matter_id}-v{which}.yaml"
    return Response(text, media_type="application/yaml; charset=utf-8", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


@requires("admin")
def bpmn(request: Request) -> Response:
    """A published version as BPMN 2.0 XML (opens in bpmn.io / Camunda Modeler)."""
    services = services_of(request)
    matter_id = request.path_params["matter_id"]
    which = request.query_params.get("version")
    spec = services.matters.version(matter_id, int(which)) if which and which.isdigit() \
        else services.matters.current(matter_id)
    names = {d.id: d.name for d in services.catalog.departments.values()}
    return Response(to_bpmn(spec, names), media_type="application/xml", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''"
                               f"{quote(f'{matter_id}-v{spec.version}.bpmn')}"})


@requires("admin")
def import_yaml(request: Request) -> Response:
    """Replace the draft with an uploaded YAML file, only if it has no error."""
    form = checked_form(request)
    matter_id = request.path_params["matter_id"]
    upload = form.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        return _render(request, matter_id, "请选择要导入的 YAML 文件", 400)
    try:
        text = upload.file.read().decode("utf-8")
    except UnicodeDecodeError:
        return _render(request, matter_id, "文件不是 UTF-8 编码的文本", 400)
    try:
        services_of(request).admin.import_draft(current_user(request), matter_id, text)
    except Invalid as exc:
        return _render(request, matter_id, f"{exc.message}：{_lines(exc)}", 400)
    return _render(request, matter_id, "已导入为草稿。")


routes = [
    Route("/admin/matters/{matter_id}/edit", edit, name="admin_edit"),
    Route("/admin/matters/{matter_id}/guided", guided, methods=["POST"]),
    Route("/admin/matters/{matter_id}/yaml", save_yaml, methods=["POST"]),
    Route("/admin/matters/{matter_id}/publish", publish, methods=["POST"]),
    Route("/admin/matters/{matter_id}/discard", discard, methods=["POST"]),
    Route("/admin/matters/{matter_id}/import", import_yaml, methods=["POST"]),
    Route("/admin/matters/{matter_id}/versions", versions, name="admin_versions"),
    Route("/admin/matters/{matter_id}/export", export),
    Route("/admin/matters/{matter_id}/bpmn", bpmn),
]
