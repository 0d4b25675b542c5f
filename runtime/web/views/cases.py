"""Tracking a case: my cases, one case's progress, supplement answers, withdrawal,
the receipt, query by number, and downloading materials."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from runtime import forms
from runtime.services import NotFound, ServiceError
from runtime.web.auth import current_user, requires
from runtime.web.door import services_of
from runtime.web.download import attachment
from runtime.web.formpage import read_post, uploaded_meta
from runtime.web.render import flash, page
from runtime.web.security import checked_form
from runtime.web.views.agents import case_page as agent_case_page


@requires("applicant")
def my_cases(request: Request) -> Response:
    """My applications and drafts, newest first."""
    return page(request, "my_cases.html",
                {"rows": services_of(request).pages.my_cases(current_user(request))})


def detail_page(request: Request, case_id: str, error: str = "", status: int = 200) -> Response:
    """A case's page for the caller, with an error above the forms when there is one."""
    services, user = services_of(request), current_user(request)
    if user.role == "agent":  # the agent's own case page (全程代办)
        return agent_case_page(request, case_id, error, status)
    view = services.pages.case(user, case_id)
    return page(request, "case_detail.html", {
        "view": view, "error": error, "may_rate": services.ratings.may_rate(user, view.case),
        "rating_levels": services.ratings.levels()}, status=status)


@requires()
def case_detail(request: Request) -> Response:
    """A case's status, per-department progress, timeline, notices and certificates."""
    return detail_page(request, request.path_params["case_id"])


def _case_url(user: Any, case_id: str) -> str:
    """Where a case's own page is for this user: the agent's, else the applicant's."""
    return f"/agent/cases/{case_id}" if user.role == "agent" else f"/cases/{case_id}"


@requires("applicant", "agent")
def supply_deferred(request: Request) -> Response:
    """The applicant (or the case's agent) uploads a material accepted as missing (容缺)
    online."""
    services = services_of(request)
    user = current_user(request)
    view = services.pages.case(user, request.path_params["case_id"])
    posted = read_post(request, checked_form(request), view.matter, user, {})
    if posted.errors:
        return detail_page(request, view.case["id"],
                           "；".join(e.message for e in posted.errors), posted.status)
    if not posted.materials:
        return detail_page(request, view.case["id"], "请选择要补交的材料文件", 400)
    try:
        for material, file_ids in posted.materials.items():
            services.cases.supply_deferred(user, view.case["id"], material, file_ids)
    except ServiceError as exc:
        if exc.status not in (400, 409):
            raise
        return detail_page(request, view.case["id"], exc.message, exc.status)
    flash(request, "容缺材料已补交，窗口将核验。")
    return RedirectResponse(_case_url(user, view.case["id"]), status_code=303)


@requires("applicant")
def withdraw(request: Request) -> Response:
    """Withdraw an application (撤回申请)."""
    form = checked_form(request)
    user = current_user(request)
    case = services_of(request).cases.withdraw(user, request.path_params["case_id"],
                                             str(form.get("reason", "")).strip())
    flash(request, "申请已撤回。")
    return RedirectResponse(f"/my/cases/{case['id']}", status_code=303)


def _supplement_schema(form: Mapping[str, Any], fields: list[str]) -> dict[str, Any]:
    props = form.get("properties", {})
    required = [f for f in form.get("required", []) if f in fields]
    return {"type": "object", "properties": {f: props[f] for f in fields if f in props},
            "required": required}


@requires("applicant", "window", "agent")
def supplement(request: Request) -> Response:
    """Answer a supplement notice (补正): every listed item, and nothing else, changes."""
    services = services_of(request)
    user = current_user(request)
    view = services.pages.case(user, request.path_params["case_id"])
    case, matter = view.case, view.matter
    back = _case_url(user, case["id"])
    if not view.may("answer_supplement"):
        return RedirectResponse(back, status_code=303)
    field_names = [i.key for i in view.supplement if i.kind == "field"]
    material_ids = {i.key for i in view.supplement if i.kind == "material"}
    schema = _supplement_schema(matter.form, field_names)
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
        errors = posted.errors + forms.validate(schema, data)
        status = posted.status if posted.errors else 400
        if not errors and posted.action == "submit":
            try:
                services.cases.answer_supplement(user, case["id"], data=data,
                                                 materials=materials)
            except ServiceError as exc:
                if exc.status != 400:
                    raise
                errors = [forms.FieldError(d["pointer"], _field_id(d["pointer"]), d["message"])
                          for d in exc.details]
            else:
                flash(request, "补正材料已提交，请等待综合窗口受理。")
                return RedirectResponse(back, status_code=303)
        if not errors:
            status = 200
    uploads = [u for u in forms.build_uploads(matter.materials, data,
                                              uploaded_meta(request, materials), errors)
               if u.id in material_ids]
    return page(request, "supplement_answer.html", {
        "view": view, "items": view.supplement, "errors": errors, "back": back,
        "action": str(request.url.path),
        "fields": forms.build_fields(schema, matter.ui, data, errors), "uploads": uploads},
        status=status)


def _field_id(pointer: str) -> str:
    if pointer.startswith("/materials/"):
        return "f-material-" + pointer.removeprefix("/materials/")
    return "f-" + pointer.strip("/").replace("/", "-")


@requires()
def receipt(request: Request) -> Response:
    """The printable receipt (受理通知书), two copies: applicant and lead department."""
    services = services_of(request)
    view = services.pages.case(current_user(request), request.path_params["case_id"])
    if not view.case.get("number"):
        raise NotFound("该申请尚未受理，没有受理通知书")
    return page(request, "receipt.html", {"view": view,
                                          "qr": services.documents.query_qr(view.case)})


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
    meta, body = services_of(request).pages.case_file(
        current_user(request), request.path_params["case_id"], request.path_params["file_id"])
    return Response(body, media_type=meta["content_type"], headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(meta['name'])}",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})


@requires("window", "department", "supervisor", "admin")
def preview(request: Request) -> Response:
    """Staff view a PDF or image inside the case page. The type was proven by its first
    bytes at upload; it is shown only inside this site's pages (frame-ancestors 'self'),
    an image also sandboxed; a PDF cannot be (Chromium refuses its viewer in a sandbox),
    and it never runs as HTML here."""
    meta, body = services_of(request).pages.case_file(
        current_user(request), request.path_params["case_id"], request.path_params["file_id"],
        previewable=True)
    policy = "default-src 'none'; img-src 'self'; frame-ancestors 'self'"
    if meta["content_type"] != "application/pdf":
        policy = "sandbox; " + policy
    return Response(body, media_type=meta["content_type"], headers={
        "Content-Disposition": "inline", "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": policy, "X-Frame-Options": "SAMEORIGIN",
        "Cache-Control": "private, no-store"})


@requires()
def document(request: Request) -> Response:
    """A formal document: the PDF as an attachment, or the print-ready HTML (sandboxed:
    a centre's template may style the page, never run a script here)."""
    kind, fmt = request.path_params["kind"], request.path_params["fmt"]
    if fmt not in ("pdf", "html"):
        raise NotFound("没有这种格式的文书")
    name, body = services_of(request).cases.document(
        current_user(request), request.path_params["case_id"], kind, pdf=fmt == "pdf")
    if fmt == "pdf":
        return Response(body, media_type="application/pdf", headers=attachment(name))
    return Response(body, media_type="text/html; charset=utf-8", headers={
        "Content-Security-Policy": "sandbox allow-modals; default-src 'none'; "
                                   "style-src 'unsafe-inline'; img-src data:",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})


routes = [
    Route("/my/cases", my_cases, name="my_cases"),
    Route("/cases/{case_id}", case_detail, name="case"),
    Route("/my/cases/{case_id}", case_detail, name="my_case"),
    Route("/my/cases/{case_id}/withdraw", withdraw, methods=["POST"], name="withdraw"),
    Route("/my/cases/{case_id}/supplement", supplement, methods=["GET", "POST"],
          name="supplement_answer"),
    Route("/my/cases/{case_id}/deferred", supply_deferred, methods=["POST"],
          name="supply_deferred_online"),
    Route("/cases/{case_id}/receipt", receipt, name="receipt"),
    Route("/cases/{case_id}/files/{file_id}", download, name="download"),
    Route("/cases/{case_id}/files/{file_id}/preview", preview, name="preview"),
    Route("/cases/{case_id}/documents/{kind}.{fmt:str}", document, name="document"),
    Route("/query", query, name="query"),
    # 全程代办: the case's agent answers a 补正 notice and uploads a 容缺 material
    Route("/agent/cases/{case_id}/supplement", supplement, methods=["GET", "POST"],
          name="agent_supplement"),
    Route("/agent/cases/{case_id}/deferred", supply_deferred, methods=["POST"],
          name="agent_deferred"),
]
