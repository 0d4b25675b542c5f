"""The matter editor: a guided editor and the YAML side by side, kept in sync, with the
check messages, the plan picture and previews of every form updated on each change;
publishing, versions with a readable diff, YAML import/export and BPMN export.

Every page is a read model of the admin service (``admin.editor``); every change is one
service call (``admin.edit_draft``, ``save_draft``, ``publish``, ...). Opening the editor
changes nothing: the first edit starts the draft.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from runtime.services import DRAFT, Invalid
from runtime.web.auth import current_user, requires
from runtime.web.door import services_of
from runtime.web.render import flash, page
from runtime.web.security import checked_form


def _context(request: Request, matter_id: str, message: str = "",
             failed: bool = False) -> dict[str, Any]:
    editor = services_of(request).admin.editor(current_user(request), matter_id)
    preview = editor.preview
    return {"editor": editor, "matter_id": matter_id, "message": message, "failed": failed,
            "guided": editor.guided, "preview": preview,
            "picture": Markup(preview.picture) if preview else "",  # the builder escapes it
            "departments": editor.departments, "field_types": editor.field_types,
            "ops": editor.ops, "accepts": editor.accepts, "errors": editor.errors}


@requires("admin")
def edit(request: Request) -> Response:
    """The editor page (a read: no draft is created by opening it)."""
    return page(request, "admin_editor.html", _context(request, request.path_params["matter_id"]))


def _render(request: Request, matter_id: str, message: str = "", status: int = 200) -> Response:
    context = _context(request, matter_id, message, failed=status >= 400)
    if request.headers.get("hx-request") == "true":
        return page(request, "partials/editor_area.html", context, status=status)
    return page(request, "admin_editor.html", context, status=status)


@requires("admin")
def guided(request: Request) -> Response:
    """Apply one guided edit; the YAML, the checks, the plan and previews follow."""
    matter_id = request.path_params["matter_id"]
    form = checked_form(request)
    fields = {k: [v for v in form.getlist(k) if isinstance(v, str)] for k in form}
    try:
        saved = services_of(request).admin.edit_draft(current_user(request), matter_id,
                                                      fields.get("op", [""])[0], fields)
    except Invalid as exc:
        detail = "".join(f"：{d['message']}" for d in exc.details[:1]
                         if d.get("message") and d["message"] not in exc.message)
        return _render(request, matter_id, f"未修改：{exc.message.removeprefix('未修改：')}"
                       f"{detail}", 400)
    return _render(request, matter_id, "已保存草稿。" if saved else "没有改动，未创建草稿。")


@requires("admin")
def save_yaml(request: Request) -> Response:
    """The YAML side: saved as typed (a draft need not be valid); checks follow live."""
    form = checked_form(request)
    matter_id = request.path_params["matter_id"]
    text = form.get("yaml", "")
    text = text.replace("\r\n", "\n").rstrip("\n") + "\n" if isinstance(text, str) else ""
    services_of(request).admin.save_draft(current_user(request), matter_id, text)
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
    flash(request, "已放弃草稿，编辑器显示使用中的版本。")
    return RedirectResponse("/admin", status_code=303)


@requires("admin")
def versions(request: Request) -> Response:
    """Published versions, and a readable diff between any two."""
    admin = services_of(request).admin
    user = current_user(request)
    matter_id = request.path_params["matter_id"]
    info = admin.versions(user, matter_id)
    old = request.query_params.get("old")
    new = request.query_params.get("new")
    changes = admin.diff(user, matter_id, old, new) if old and new else []
    return page(request, "admin_versions.html", {
        "info": info, "numbers": [v.version for v in info.versions], "old": old or "",
        "new": new or "", "changes": changes, "matter_id": matter_id, "draft_key": DRAFT})


@requires("admin")
def export(request: Request) -> Response:
    """The draft or a published version as a YAML file."""
    admin = services_of(request).admin
    user = current_user(request)
    matter_id = request.path_params["matter_id"]
    which = request.query_params.get("version", DRAFT)
    if which == DRAFT:
        text, name = admin.export_draft(user, matter_id), f"{matter_id}-draft.yaml"
    else:
        text = admin.export_version(user, matter_id, int(which) if which.isdigit() else None)
        name = f"{matter_id}-v{which}.yaml"
    return Response(text, media_type="application/yaml; charset=utf-8", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


@requires("admin")
def bpmn(request: Request) -> Response:
    """A published version as BPMN 2.0 XML (opens in bpmn.io / Camunda Modeler)."""
    which = request.query_params.get("version", "")
    name, xml = services_of(request).admin.bpmn(current_user(request),
                                                request.path_params["matter_id"],
                                                int(which) if which.isdigit() else None)
    return Response(xml, media_type="application/xml", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


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
