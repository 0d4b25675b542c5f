"""The window (综合窗口): intake queue, walk-in, acceptance with receipt, one supplement
notice, refusal, deferred materials, and the outcome desk where certificates go out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from runtime.services import Invalid, NotFound, ServiceError, User
from runtime.web.auth import current_user, requires
from runtime.web.door import services_of
from runtime.web.formpage import read_post
from runtime.web.render import flash, page
from runtime.web.security import checked_form


@requires("window")
def queue(request: Request) -> Response:
    """The window's queues; online submissions oldest first."""
    listing = services_of(request).pages.window_queue(current_user(request),
                                                      request.query_params.get("queue", ""))
    return page(request, "window_queue.html", {"listing": listing})


def _case_page(request: Request, user: User, case_id: str, errors: dict[str, str] | None = None,
               status: int = 200) -> Response:
    view = services_of(request).pages.case(user, case_id)
    device = services_of(request).rating_device.may_start(user, view.case)
    return page(request, "window_case.html", {"view": view, "errors": errors or {},
                                              "may_device_rate": device}, status=status)


@requires("window")
def window_case(request: Request) -> Response:
    """One case at the window: answers, materials in place, progress, and actions."""
    return _case_page(request, current_user(request), request.path_params["case_id"])


def _act(request: Request, what: str, run: Callable[[User, str, Any], str]) -> Response:
    """Run one window action; a refusal is shown next to that action's form."""
    user = current_user(request)
    case_id = request.path_params["case_id"]
    form = checked_form(request)
    try:
        message = run(user, case_id, form)
    except ServiceError as exc:
        if exc.status not in (400, 409):
            raise
        return _case_page(request, user, case_id, {what: exc.message}, status=exc.status)
    flash(request, message)
    return RedirectResponse(f"/window/cases/{case_id}", status_code=303)


def _text(form: Any, name: str) -> str:
    return str(form.get(name, "")).strip()


@requires("window")
def pre_review(request: Request) -> Response:
    """Record a pre-review note."""
    cases = services_of(request).cases

    def run(user: User, case_id: str, form: Any) -> str:
        cases.pre_review(user, case_id, _text(form, "note"))
        return "预审意见已记录。"
    return _act(request, "pre_review", run)


@requires("window")
def accept(request: Request) -> Response:
    """Accept: number, tasks, receipt."""
    cases = services_of(request).cases

    def run(user: User, case_id: str, form: Any) -> str:
        case = cases.accept(user, case_id, deferred=[str(d) for d in form.getlist("deferred")])
        return (f"已受理，受理编号 {case['number']}，各部门已同时开始办理。"
                "请打印受理通知书交申请人。")
    return _act(request, "accept", run)


@requires("window")
def supplement(request: Request) -> Response:
    """One supplement notice listing every item."""
    services = services_of(request)

    def run(user: User, case_id: str, form: Any) -> str:
        view = services.pages.case(user, case_id)
        items = _supplement_items(form, view.matter)
        services.cases.request_supplement(user, case_id, items)
        return f"已一次性告知申请人补正 {len(items)} 项内容。"
    return _act(request, "supplement", run)


@requires("window")
def refuse(request: Request) -> Response:
    """Refuse to accept (不予受理)."""
    cases = services_of(request).cases

    def run(user: User, case_id: str, form: Any) -> str:
        cases.refuse(user, case_id, _text(form, "reason"))
        return "已作出不予受理决定。"
    return _act(request, "refuse", run)


@requires("window")
def deliver(request: Request) -> Response:
    """Hand over the outcome and certificates."""
    cases = services_of(request).cases

    def run(user: User, case_id: str, form: Any) -> str:
        cases.deliver(user, case_id)
        return "已出件办结。"
    return _act(request, "deliver", run)


@requires("window")
def verify_original(request: Request) -> Response:
    """Record that the original of a material was checked (原件核验)."""
    cases = services_of(request).cases

    def run(user: User, case_id: str, form: Any) -> str:
        cases.verify_original(user, case_id, _text(form, "material"))
        return "已记录原件核验。"
    return _act(request, "originals", run)


@requires("window")
def issue_fees(request: Request) -> Response:
    """Issue the payment notice with the fees the matter computes (缴款通知书)."""
    fees = services_of(request).fees

    def run(user: User, case_id: str, form: Any) -> str:
        fees.issue(user, case_id)
        return "已开具缴款通知书。"
    return _act(request, "fees", run)


@requires("window")
def record_payment(request: Request) -> Response:
    """The cashier records a payment."""
    fees = services_of(request).fees

    def run(user: User, case_id: str, form: Any) -> str:
        fees.paid(user, case_id, _text(form, "reference"), channel=_text(form, "channel")
                  or "窗口")
        return "已确认收款。"
    return _act(request, "fees", run)


@requires("window")
def refund_fees(request: Request) -> Response:
    """The cashier refunds a payment, with the reason."""
    fees = services_of(request).fees

    def run(user: User, case_id: str, form: Any) -> str:
        fees.refund(user, case_id, _text(form, "reference"), _text(form, "reason"))
        return "已办理退费。"
    return _act(request, "fees", run)


def _supplement_items(form: Any, matter: Any) -> list[dict[str, str]]:
    """Every ticked field or material with its reason: ONE notice."""
    titles = {**{k: str(v.get("title", k)) for k, v in
                 matter.form.get("properties", {}).items()},
              **{m.id: m.name for m in matter.materials}}
    items = []
    missing = []
    for key in form.getlist("item"):
        kind, _, ident = str(key).partition(":")
        reason = str(form.get(f"reason:{key}", "")).strip()
        if kind not in ("field", "material") or not ident:
            continue
        if not reason:
            missing.append(ident)
        items.append({kind: ident, "reason": reason})
    if missing:
        names = "、".join(f"“{titles.get(m, m)}”" for m in missing)
        raise Invalid(f"请为每一项补正内容填写原因：{names}缺少补正原因",
                      [{"pointer": f"/items/{m}", "message": f"“{titles.get(m, m)}”缺少补正原因"}
                       for m in missing])
    if not items:
        raise Invalid("请至少勾选一项需要补正的内容")
    return items


@requires("window")
def supply_deferred(request: Request) -> Response:
    """A deferred material (容缺) arrives at the window."""
    services = services_of(request)
    user = current_user(request)
    view = services.pages.case(user, request.path_params["case_id"])
    form = checked_form(request)
    posted = read_post(request, form, view.matter, user, {})
    if posted.errors:
        return _case_page(request, user, view.case["id"], {"deferred": "；".join(
            e.message for e in posted.errors)}, status=posted.status)
    if not posted.materials:
        return _case_page(request, user, view.case["id"],
                          {"deferred": "请选择要补交的材料文件"}, status=400)
    try:
        for material, file_ids in posted.materials.items():
            services.cases.supply_deferred(user, view.case["id"], material, file_ids)
    except ServiceError as exc:
        if exc.status not in (400, 409):
            raise
        return _case_page(request, user, view.case["id"], {"deferred": exc.message},
                          status=exc.status)
    flash(request, "容缺材料已补交。")
    return RedirectResponse(f"/window/cases/{view.case['id']}", status_code=303)


@requires("window")
def supplement_notice(request: Request) -> Response:
    """The printable supplement notice (补正通知书)."""
    view, event, items = services_of(request).pages.supplement_notice(
        current_user(request), request.path_params["case_id"])
    return page(request, "supplement_notice.html", {"view": view, "event": event,
                                                    "items": items})


@requires()
def certificates(request: Request) -> Response:
    """The certificates (证照) of an approved case, printable."""
    view = services_of(request).pages.case(current_user(request),
                                           request.path_params["case_id"])
    if not view.case.get("certificates"):
        raise NotFound("该办件没有证照")
    return page(request, "certificates.html", {"view": view})


@requires("window")
def walk_in(request: Request) -> Response:
    """Start an application for a visitor at the window (窗口代录)."""
    services = services_of(request)
    user = current_user(request)
    matters = services.matters.published()
    if request.method == "GET":
        return page(request, "window_walk_in.html", {"matters": matters, "errors": {},
                                                     "values": {}})
    form = checked_form(request)
    values = {k: _text(form, k) for k in ("matter", "account", "display_name", "phone",
                                          "id_number")}
    try:
        case, password = services.walk_in.start(
            user, values["matter"], account=values["account"],
            display_name=values["display_name"], phone=values["phone"],
            id_number=values["id_number"])
    except Invalid as exc:
        errors = {d["pointer"].lstrip("/"): d["message"] for d in exc.details} or \
            {"account": exc.message}
        return page(request, "window_walk_in.html", {"matters": matters, "errors": errors,
                                                     "values": values}, status=400)
    if password:  # shown once on this page, never put in the (readable) session cookie
        return page(request, "window_walk_in_account.html", {"case": case,
                                                             "password": password})
    return RedirectResponse(f"/my/cases/{case['id']}/edit", status_code=303)


routes = [
    Route("/window", queue, name="window"),
    Route("/window/walk-in", walk_in, methods=["GET", "POST"], name="walk_in"),
    Route("/window/cases/{case_id}", window_case, name="window_case"),
    Route("/window/cases/{case_id}/pre-review", pre_review, methods=["POST"]),
    Route("/window/cases/{case_id}/accept", accept, methods=["POST"]),
    Route("/window/cases/{case_id}/supplement", supplement, methods=["POST"]),
    Route("/window/cases/{case_id}/refuse", refuse, methods=["POST"]),
    Route("/window/cases/{case_id}/deliver", deliver, methods=["POST"]),
    Route("/window/cases/{case_id}/fees", issue_fees, methods=["POST"]),
    Route("/window/cases/{case_id}/originals", verify_original, methods=["POST"]),
    Route("/window/cases/{case_id}/fees/paid", record_payment, methods=["POST"]),
    Route("/window/cases/{case_id}/fees/refund", refund_fees, methods=["POST"]),
    Route("/window/cases/{case_id}/deferred", supply_deferred, methods=["POST"]),
    Route("/window/cases/{case_id}/supplement-notice", supplement_notice),
    Route("/cases/{case_id}/certificates", certificates, name="certificates"),
]
