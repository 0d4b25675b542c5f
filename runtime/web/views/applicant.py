"""The applicant's side: apply with the generated form, check answers, submit, track."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from runtime import forms
from runtime.services import Forbidden, Invalid, MatterSpec
from runtime.web import proxyform
from runtime.web.auth import current_user, requires
from runtime.web.door import services_of
from runtime.web.formpage import check, form_context, read_post
from runtime.web.render import flash, page
from runtime.web.security import checked_form


def _edit_page(request: Request, matter: MatterSpec, case: dict[str, Any] | None,
               data: dict[str, Any], materials: dict[str, list[str]],
               errors: list[forms.FieldError], status: int = 200,
               principal: dict[str, Any] | None = None) -> Response:
    context = form_context(request, matter, data, materials, errors)
    base = f"/forms/{matter.id}/{matter.version}"
    context["proxy"] = None
    if proxyform.applies(current_user(request), case):  # 全程代办: the 委托人 section
        context["proxy"] = proxyform.context(
            principal if principal is not None else (case or {}).get("on_behalf_of"), errors)
        context["uploads"] = proxyform.with_entrustment(request, matter, context["uploads"],
                                                        materials, errors)
    context.update({
        "case": case,
        "action_url": f"/my/cases/{case['id']}/edit" if case else f"/apply/{matter.id}",
        "live_url": f"{base}/live", "row_url": f"{base}/row",
    })
    return page(request, "apply_form.html", context, status=status)


def _refused_principal(request: Request, matter: MatterSpec, case: dict[str, Any] | None,
                       form: Any, principal: dict[str, str] | None) -> Response | None:
    """An agent's post whose principal the services refuse: the form again with the
    messages beside the fields, nothing stored (not even this post's uploads)."""
    if principal is None:
        return None
    try:
        services_of(request).cases.proxy(current_user(request), principal)
    except Invalid as exc:
        data = forms.prune_hidden(matter.form, matter.ui,
                                  forms.parse(matter.form, form.multi_items()))
        return _edit_page(request, matter, case, data, (case or {}).get("materials", {}),
                          proxyform.errors(exc), 400, principal)
    return None


@requires("applicant", "agent")
def apply(request: Request) -> Response:
    """A blank application form; the first post creates the draft (an agent's names
    the principal, 全程代办)."""
    services = services_of(request)
    matter = services.matters.current(request.path_params["matter_id"])
    if request.method == "GET":
        return _edit_page(request, matter, None, forms.defaults(matter.form), {}, [])
    user = current_user(request)
    form = checked_form(request)
    principal = proxyform.read(form) if proxyform.applies(user, None) else None
    if (refused := _refused_principal(request, matter, None, form, principal)) is not None:
        return refused
    posted = read_post(request, form, matter, user, {})
    case = services.cases.start(user, matter.id, data=posted.data, materials=posted.materials,
                                on_behalf_of=principal)
    return _after_save(request, matter, case, posted)


def _open_draft(request: Request) -> tuple[Any, Any, dict[str, Any], MatterSpec]:
    """(services, user, case, matter) of the draft in the path."""
    services = services_of(request)
    user = current_user(request)
    case = services.cases.get(user, request.path_params["case_id"])
    return services, user, case, services.cases.spec(case)


def _not_editable(request: Request, case: dict[str, Any]) -> Response | None:
    """A case the user may no longer edit here: show its progress instead."""
    services = services_of(request)
    user = current_user(request)
    if "save_draft" in services.cases.actions(user, case):
        return None
    where = "/agent/cases" if user.role == "agent" else "/cases"
    return RedirectResponse(f"{where}/{case['id']}", status_code=303)


@requires("applicant", "window", "agent")
def edit(request: Request) -> Response:
    """Continue a draft."""
    services, user, case, matter = _open_draft(request)
    if (gone := _not_editable(request, case)) is not None:
        return gone
    if request.method == "GET":
        return _edit_page(request, matter, case, case["data"], case["materials"], [])
    form = checked_form(request)
    principal = proxyform.read(form) if proxyform.applies(user, case) else None
    if (refused := _refused_principal(request, matter, case, form, principal)) is not None:
        return refused
    posted = read_post(request, form, matter, user, case["materials"])
    case = services.cases.save(user, case["id"], data=posted.data, materials=posted.materials,
                               on_behalf_of=principal)
    return _after_save(request, matter, case, posted)


def _after_save(request: Request, matter: MatterSpec, case: dict[str, Any],
                      posted: Any) -> Response:
    if posted.errors:  # an upload was refused: say so next to its control, keep the rest
        return _edit_page(request, matter, case, case["data"], case["materials"],
                          posted.errors, status=posted.status)
    if posted.action == "review":
        errors = _problems(request, case, matter)
        if errors:
            return _edit_page(request, matter, case, case["data"], case["materials"], errors,
                              status=400)
        return RedirectResponse(f"/my/cases/{case['id']}/review", status_code=303)
    if posted.action == "row":
        return _edit_page(request, matter, case, case["data"], case["materials"], [])
    flash(request, "草稿已保存，可随时回来继续填写。")
    return RedirectResponse(f"/my/cases/{case['id']}/edit", status_code=303)


def _review_page(request: Request, case: dict[str, Any], matter: MatterSpec,
                 declare_error: str = "", status: int = 200) -> Response:
    context = form_context(request, matter, case["data"], case["materials"], [])
    if case.get("agent"):
        context["uploads"] = proxyform.with_entrustment(request, matter, context["uploads"],
                                                        case["materials"], [])
    return page(request, "apply_review.html", {
        "case": case, "matter": matter, "fields": context["fields"],
        "uploads": context["uploads"], "declare_error": declare_error}, status=status)


def _problems(request: Request, case: dict[str, Any],
              matter: MatterSpec) -> list[forms.FieldError]:
    """What stops submission, in Chinese beside each control: the form's check, and for
    an agent's case what submission itself would refuse (the 委托书), asked of the
    services without writing."""
    errors = check(request, matter, case["data"], case["materials"])
    if errors or not case.get("agent"):
        return errors
    try:
        services_of(request).cases.submit(current_user(request), case["id"], dry_run=True)
    except Invalid as exc:
        return proxyform.errors(exc)
    return []


@requires("applicant", "window", "agent")
def review(request: Request) -> Response:
    """Check your answers (核对信息), declare, submit."""
    _, _, case, matter = _open_draft(request)
    if (gone := _not_editable(request, case)) is not None:
        return gone
    errors = _problems(request, case, matter)
    if errors:
        return _edit_page(request, matter, case, case["data"], case["materials"], errors, 400)
    return _review_page(request, case, matter)


@requires("applicant", "window", "agent")
def submit(request: Request) -> Response:
    """Submit after the declaration is ticked."""
    services, user, case, matter = _open_draft(request)
    form = checked_form(request)
    if form.get("declare") != "yes":
        return _review_page(request, case, matter, "请确认承诺声明后再提交", 400)
    try:
        services.cases.submit(user, case["id"])
    except Invalid as exc:
        return _edit_page(request, matter, case, case["data"], case["materials"],
                          proxyform.errors(exc), 400)
    if user.role == "agent":
        flash(request, "代办申请已提交，请等待综合窗口受理。")
        return RedirectResponse(f"/agent/cases/{case['id']}", status_code=303)
    if user.role == "window":
        flash(request, "已代为提交，请核对材料后受理。")
        return RedirectResponse(f"/window/cases/{case['id']}", status_code=303)
    flash(request, "申请已提交，请等待综合窗口受理。")
    return RedirectResponse(f"/my/cases/{case['id']}", status_code=303)


def live(request: Request) -> Response:
    """htmx: re-render the form body for the posted answers (conditions show and hide)."""
    user = current_user(request)
    if user.role not in ("applicant", "window", "agent"):
        raise Forbidden("无权访问")
    matter = services_of(request).matters.version(request.path_params["matter_id"],
                                                int(request.path_params["version"]))
    form = checked_form(request)
    data = forms.prune_hidden(matter.form, matter.ui, forms.parse(matter.form, form.multi_items()))
    # A conditional field shown again starts from its default, as on a new form.
    shown_before = set(str(form.get("_shown", "")).split(","))
    conditional = {f.name for f in forms.build_fields(matter.form, matter.ui, data)
                   if f.condition is not None}
    for name, value in forms.defaults(matter.form).items():
        if name in conditional and name not in data and name not in shown_before:
            data[name] = value
    data = forms.prune_hidden(matter.form, matter.ui, data)
    action = forms.row_action(form)
    if action is not None:
        data = forms.apply_row_action(matter.form, data, action)
    context = form_context(request, matter, data, {}, [])
    before = set(str(form.get("_shown", "")).split(","))
    after = set(context["shown_fields"].split(","))
    context["changed"] = [f for f in context["fields"] if f.condition is not None
                          and (f.name in before) != (f.name in after)]
    if user.role == "agent":  # 全程代办: the entrustment letter stays on the form
        context["uploads"] = proxyform.with_entrustment(request, matter, context["uploads"],
                                                        {}, [])
    context["uploads_changed"] = context["shown_materials"] != form.get("_materials")
    context["live_url"] = str(request.url.path)
    return page(request, "partials/form_body.html", context)


def add_row(request: Request) -> Response:
    """htmx: one new row of a repeatable section."""
    user = current_user(request)
    if user.role not in ("applicant", "window", "agent"):
        raise Forbidden("无权访问")
    matter = services_of(request).matters.version(request.path_params["matter_id"],
                                                int(request.path_params["version"]))
    form = checked_form(request)
    data = forms.parse(matter.form, form.multi_items())
    array = str(form.get("_add", ""))
    current = data.get(array)
    rows = current if isinstance(current, list) else []
    index = len(rows)
    try:
        row = forms.build_row(matter.form, matter.ui, array, index, data)
    except KeyError:
        raise Invalid("没有这个可重复的部分", [{"pointer": f"/{array}", "message": "未知字段"}]) \
            from None
    fields = forms.build_fields(matter.form, matter.ui, {**data, array: [*rows, {}]})
    section = next((f for f in fields if f.name == array), None)
    return page(request, "partials/form_row.html", {
        "row": row, "section": section, "live_url": str(request.url.path).replace("/row", "/live"),
        "row_url": str(request.url.path)})


routes = [
    Route("/apply/{matter_id}", apply, methods=["GET", "POST"], name="apply"),
    Route("/my/cases/{case_id}/edit", edit, methods=["GET", "POST"], name="edit_case"),
    Route("/my/cases/{case_id}/review", review, name="review_case"),
    Route("/my/cases/{case_id}/submit", submit, methods=["POST"], name="submit_case"),
    Route("/forms/{matter_id}/{version:int}/live", live, methods=["POST"], name="form_live"),
    Route("/forms/{matter_id}/{version:int}/row", add_row, methods=["POST"], name="form_row"),
]
