"""Tracking a case: my cases, one case's progress, supplement answers, withdrawal,
the receipt, query by number, and downloading materials."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from builder import MatterSpec
from runtime import forms
from runtime.services.errors import NotFound
from runtime.web.auth import current_user, requires
from runtime.web.door import services_of
from runtime.web.formpage import read_post, uploaded_meta
from runtime.web.progress import progress
from runtime.web.render import flash, page
from runtime.web.security import checked_form


@requires("applicant")
def my_cases(request: Request) -> Response:
    """My applications and drafts, newest first."""
    services = services_of(request)
    user = current_user(request)
    cases = services.cases.list(user, limit=200)
    names = {m.id: m.name for m in services.matters.published()}
    return page(request, "my_cases.html", {"cases": cases, "names": names})


@requires()
def case_detail(request: Request) -> Response:
    """A case's status, per-department progress, timeline, notices and certificates."""
    services = services_of(request)
    user = current_user(request)
    case = services.cases.get(user, request.path_params["case_id"])
    matter = services.cases.spec(case)
    return page(request, "case_detail.html", {
        "case": case, "matter": matter, **progress(services, matter, case),
        "fields": forms.build_fields(matter.form, matter.ui, case["data"]),
        "files": uploaded_meta(request, case["materials"])})


@requires("applicant")
def withdraw(request: Request) -> Response:
    """Withdraw an application (撤回申请)."""
    form = checked_form(request)
    user = current_user(request)
    case = services_of(request).cases.withdraw(user, request.path_params["case_id"],
                                             str(form.get("reason", "")).strip())
    flash(request, "申请已撤回。")
    return RedirectResponse(f"/my/cases/{case['id']}", status_code=303)


def _supplement_schema(matter: MatterSpec, fields: list[str]) -> dict[str, Any]:
    props = matter.form.get("properties", {})
    required = [f for f in matter.form.get("required", []) if f in fields]
    return {"type": "object", "properties": {f: props[f] for f in fields if f in props},
            "required": required}


@requires("applicant")
def supplement(request: Request) -> Response:
    """Answer a supplement notice (补正): only the listed fields and materials can change."""
    services = services_of(request)
    user = current_user(request)
    case = services.cases.get(user, request.path_params["case_id"])
    if case["status"] != "supplement_requested" or not case.get("supplement"):
        return RedirectResponse(f"/my/cases/{case['id']}", status_code=303)
    matter = services.cases.spec(case)
    items = case["supplement"]["items"]
    field_names = [i["field"] for i in items if "field" in i]
    material_ids = {i["material"] for i in items if "material" in i}
    schema = _supplement_schema(matter, field_names)
    errors: list[forms.FieldError] = []
    status = 200
    data, materials = case["data"], case["materials"]
    if request.method == "POST":
        form = checked_form(request)
        posted = read_post(request, form, matter, user, case["materials"])
        answers = forms.parse(schema, form.multi_items())
        data = {k: v for k, v in case["data"].items() if k not in field_names}
        data.update({k: v for k, v in answers.items() if k in field_names})
        materials = {**case["materials"], **{k: v for k, v in posted.materials.items()
                                             if k in material_ids}}
        errors = posted.errors + forms.validate(schema, data) + [
            e for e in forms.validate_materials(matter.materials, data,
                                                uploaded_meta(request, materials))
            if e.pointer.rsplit("/", 1)[-1] in material_ids]
        status = posted.status if posted.errors else 400
        if not errors and posted.action == "submit":
            services.cases.answer_supplement(user, case["id"], data=data, materials=materials)
            flash(request, "补正材料已提交，请等待综合窗口受理。")
            return RedirectResponse(f"/my/cases/{case['id']}", status_code=303)
        if not errors:
            status = 200
    uploads = [u for u in forms.build_uploads(matter.materials, data,
                                              uploaded_meta(request, materials), errors)
               if u.id in material_ids]
    return page(request, "supplement_answer.html", {
        "case": case, "matter": matter, "items": items, "errors": errors,
        "fields": forms.build_fields(schema, matter.ui, data, errors), "uploads": uploads,
        "material_names": {m.id: m.name for m in matter.materials},
        "field_titles": {k: v.get("title", k) for k, v in
                         matter.form.get("properties", {}).items()}}, status=status)


@requires()
def receipt(request: Request) -> Response:
    """The printable receipt (受理通知书), two copies: applicant and lead department."""
    services = services_of(request)
    user = current_user(request)
    case = services.cases.get(user, request.path_params["case_id"])
    if not case.get("number"):
        raise NotFound("该申请尚未受理，没有受理通知书")
    matter = services.cases.spec(case)
    return page(request, "receipt.html", {"case": case, "matter": matter,
                                          **progress(services, matter, case)})


@requires()
def query(request: Request) -> Response:
    """Find a case by its number (受理编号)."""
    number = request.query_params.get("number", "").strip()
    if not number:
        return page(request, "query.html", {"number": "", "error": ""})
    user = current_user(request)
    try:
        case = services_of(request).cases.by_number(user, number)
    except NotFound as exc:
        return page(request, "query.html", {"number": number, "error": exc.message}, 404)
    return RedirectResponse(f"/cases/{case['id']}", status_code=303)


@requires()
def download(request: Request) -> Response:
    """A material file, always as an attachment (never rendered inline)."""
    services = services_of(request)
    user = current_user(request)
    case = services.cases.get(user, request.path_params["case_id"])
    file_id = request.path_params["file_id"]
    referenced = any(file_id in ids for ids in case["materials"].values()) or any(
        file_id in d.get("files", []) for d in case.get("deferred", []))
    meta = services.files.meta(file_id) if referenced else None
    if meta is None:
        raise NotFound("没有这个文件")
    body = services.files.read(meta)
    return Response(body, media_type=meta["content_type"], headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(meta['name'])}",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})


PREVIEWABLE = ("application/pdf", "image/png", "image/jpeg")


@requires("window", "department", "supervisor", "admin")
def preview(request: Request) -> Response:
    """Staff view a PDF or image in place. The type was proven by its first bytes at
    upload; the response is sandboxed so even a crafted PDF cannot run script here."""
    services = services_of(request)
    user = current_user(request)
    case = services.cases.get(user, request.path_params["case_id"])
    file_id = request.path_params["file_id"]
    referenced = any(file_id in ids for ids in case["materials"].values())
    meta = services.files.meta(file_id) if referenced else None
    if meta is None or meta["content_type"] not in PREVIEWABLE:
        raise NotFound("没有可预览的文件")
    return Response(services.files.read(meta), media_type=meta["content_type"], headers={
        "Content-Disposition": "inline", "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'; "
                                   "object-src 'self'; plugin-types application/pdf",
        "Cache-Control": "private, no-store"})


routes = [
    Route("/my/cases", my_cases, name="my_cases"),
    Route("/cases/{case_id}", case_detail, name="case"),
    Route("/my/cases/{case_id}", case_detail, name="my_case"),
    Route("/my/cases/{case_id}/withdraw", withdraw, methods=["POST"], name="withdraw"),
    Route("/my/cases/{case_id}/supplement", supplement, methods=["GET", "POST"],
          name="supplement_answer"),
    Route("/cases/{case_id}/receipt", receipt, name="receipt"),
    Route("/cases/{case_id}/files/{file_id}", download, name="download"),
    Route("/cases/{case_id}/files/{file_id}/preview", preview, name="preview"),
    Route("/query", query, name="query"),
]
