"""The window (综合窗口): intake queue, walk-in, acceptance with receipt, one supplement
notice, refusal, deferred materials, and the outcome desk where certificates go out."""

from __future__ import annotations

import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from runtime import forms
from runtime.engine.errors import ValidationFailed
from runtime.services.accounts import User
from runtime.services.errors import Invalid, NotFound, ServiceError
from runtime.web.auth import current_user, requires
from runtime.web.door import services_of
from runtime.web.engine_text import details_zh
from runtime.web.formpage import read_post, uploaded_meta
from runtime.web.progress import progress
from runtime.web.render import flash, page
from runtime.web.security import checked_form

QUEUES = {
    "intake": ("待受理", ("submitted",)),
    "supplement": ("待补正", ("supplement_requested",)),
    "running": ("办理中", ("in_progress", "accepted")),
    "outcome": ("待出件", ("approved", "rejected")),
    "closed": ("已办结", ("delivered", "refused", "withdrawn")),
}


@requires("window")
def queue(request: Request) -> Response:
    """The window's queues; online submissions oldest first."""
    services = services_of(request)
    user = current_user(request)
    name = request.query_params.get("queue", "intake")
    if name not in QUEUES:
        name = "intake"
    cases = services.cases.list(user, status=QUEUES[name][1], limit=200)
    if name in ("intake", "supplement"):
        cases = list(reversed(cases))  # first come, first served
    counts = {key: services.cases.count(user, status=statuses)
              for key, (_, statuses) in QUEUES.items()}
    names = {m.id: m.name for m in services.matters.published()}
    return page(request, "window_queue.html", {"queues": QUEUES, "current": name,
                                               "cases": cases, "counts": counts,
                                               "names": names})


def _case_page(request: Request, user: User, case_id: str, errors: dict[str, str] | None = None,
               status: int = 200) -> Response:
    services = services_of(request)
    case = services.cases.get(user, case_id)
    matter = services.cases.spec(case)
    present = {k for k, v in case["materials"].items() if v}
    applicable = forms.applicable_materials(matter.materials, case["data"])
    deferrable = [m for m in applicable if m.deferrable and m.id not in present]
    return page(request, "window_case.html", {
        "case": case, "matter": matter, **progress(services, matter, case),
        "fields": forms.build_fields(matter.form, matter.ui, case["data"]),
        "files": uploaded_meta(request, case["materials"]),
        "applicable": applicable, "deferrable": deferrable,
        "missing": [m for m in applicable if m.required and m.id not in present
                    and not m.deferrable],
        "form_fields": [(name, prop.get("title", name)) for name, prop in
                        matter.form.get("properties", {}).items()],
        "errors": errors or {}}, status=status)


@requires("window")
def window_case(request: Request) -> Response:
    """One case at the window: answers, materials in place, progress, and actions."""
    return _case_page(request, current_user(request), request.path_params["case_id"])


def _act(request: Request, what: str) -> Response:
    services = services_of(request)
    user = current_user(request)
    case_id = request.path_params["case_id"]
    form = checked_form(request)
    cases = services.cases
    try:
        if what == "pre_review":
            cases.pre_review(user, case_id, str(form.get("note", "")).strip())
            message = "预审意见已记录。"
        elif what == "accept":
            case = cases.accept(user, case_id, deferred=[str(d) for d in form.getlist("deferred")])
            message = f"已受理，受理编号 {case['number']}，各部门已同时开始办理。"
            flash(request, message)
            return RedirectResponse(f"/window/cases/{case_id}?accepted=1", status_code=303)
        elif what == "supplement":
            items = _supplement_items(form)
            cases.request_supplement(user, case_id, items)
            message = f"已一次性告知申请人补正 {len(items)} 项内容。"
        elif what == "refuse":
            cases.refuse(user, case_id, str(form.get("reason", "")).strip())
            message = "已作出不予受理决定。"
        elif what == "deliver":
            cases.deliver(user, case_id)
            message = "已出件办结。"
        else:  # pragma: no cover - routes name every action
            raise NotFound("没有这个操作")
    except ServiceError as exc:
        if exc.status != 400:
            raise
        errors = {what: exc.message + "".join(f"；{d['message']}" for d in exc.details)}
        return _case_page(request, user, case_id, errors, status=400)
    except ValidationFailed as exc:  # show it on the page, next to the action
        errors = {what: details_zh(exc.details)}
        return _case_page(request, user, case_id, errors, status=400)
    flash(request, message)
    return RedirectResponse(f"/window/cases/{case_id}", status_code=303)


def _supplement_items(form: Any) -> list[dict[str, str]]:
    """Every ticked field or material with its reason: ONE notice."""
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
        raise Invalid("请为每一项补正内容填写原因", [{"pointer": f"/items/{m}", "message":
                                            f"“{m}”缺少补正原因"} for m in missing])
    if not items:
        raise Invalid("请至少勾选一项需要补正的内容")
    return items


@requires("window")
def pre_review(request: Request) -> Response:
    """Record a pre-review note."""
    return _act(request, "pre_review")


@requires("window")
def accept(request: Request) -> Response:
    """Accept: number, tasks, receipt."""
    return _act(request, "accept")


@requires("window")
def supplement(request: Request) -> Response:
    """One supplement notice listing every item."""
    return _act(request, "supplement")


@requires("window")
def refuse(request: Request) -> Response:
    """Refuse to accept (不予受理)."""
    return _act(request, "refuse")


@requires("window")
def deliver(request: Request) -> Response:
    """Hand over the outcome and certificates."""
    return _act(request, "deliver")


@requires("window")
def supply_deferred(request: Request) -> Response:
    """A deferred material (容缺) arrives at the window."""
    services = services_of(request)
    user = current_user(request)
    case = services.cases.get(user, request.path_params["case_id"])
    matter = services.cases.spec(case)
    form = checked_form(request)
    posted = read_post(request, form, matter, user, {})
    if posted.errors:
        return _case_page(request, user, case["id"], {"deferred": "；".join(
            e.message for e in posted.errors)}, status=posted.status)
    for material, file_ids in posted.materials.items():
        services.cases.supply_deferred(user, case["id"], material, file_ids)
    flash(request, "容缺材料已补交。")
    return RedirectResponse(f"/window/cases/{case['id']}", status_code=303)


@requires("window")
def supplement_notice(request: Request) -> Response:
    """The printable supplement notice (补正通知书)."""
    services = services_of(request)
    case = services.cases.get(current_user(request), request.path_params["case_id"])
    matter = services.cases.spec(case)
    notices = [(e, new) for e in case["events"] if e["action"] == "request_supplement"
               for path, _old, new in e.get("changes", ()) if list(path) == ["supplement"]
               and isinstance(new, dict)]
    if not notices:
        raise NotFound("该办件没有补正通知")
    event, notice = notices[-1]
    return page(request, "supplement_notice.html", {
        "case": case, "matter": matter, "event": event, "items": notice["items"],
        "material_names": {m.id: m.name for m in matter.materials},
        "field_titles": {k: v.get("title", k) for k, v in
                         matter.form.get("properties", {}).items()}})


@requires()
def certificates(request: Request) -> Response:
    """The certificates (证照) of an approved case, printable."""
    services = services_of(request)
    case = services.cases.get(current_user(request), request.path_params["case_id"])
    if not case.get("certificates"):
        raise NotFound("该办件没有证照")
    matter = services.cases.spec(case)
    return page(request, "certificates.html", {"case": case, "matter": matter,
                                               **progress(services, matter, case)})


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
    values = {k: str(form.get(k, "")).strip() for k in ("matter", "account", "display_name",
                                                         "phone")}
    errors: dict[str, str] = {}
    visitor: User | None = None
    created = ""
    if values["account"]:
        doc = services.store.get_user_by_name(values["account"])
        if doc is None or doc.get("role") != "applicant":
            errors["account"] = "没有这个申请人账号"
        else:
            visitor = services.accounts.get(doc["id"])
    elif values["display_name"] and values["phone"]:
        name = "v" + values["phone"]
        existing = services.store.get_user_by_name(name)
        if existing is not None:
            visitor = services.accounts.get(existing["id"])
        else:
            created = secrets.token_urlsafe(9)
            try:
                visitor = services.accounts.register(name, created, values["display_name"],
                                                     values["phone"])
            except ServiceError as exc:
                errors["phone"] = exc.message
    else:
        errors["account"] = "请填写申请人已有账号，或填写姓名和手机号码为其开户"
    if values["matter"] not in {m.id for m in matters}:
        errors["matter"] = "请选择事项"
    if errors or visitor is None:
        return page(request, "window_walk_in.html", {"matters": matters, "errors": errors,
                                                     "values": values}, status=400)
    case = services.cases.start(user, values["matter"], applicant=visitor)
    if created:
        flash(request, f"已为申请人开户：账号 {visitor.name}，初始密码 {created}（仅显示一次，"
                       "请告知申请人登录后修改）。")
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
    Route("/window/cases/{case_id}/deferred", supply_deferred, methods=["POST"]),
    Route("/window/cases/{case_id}/supplement-notice", supplement_notice),
    Route("/cases/{case_id}/certificates", certificates, name="certificates"),
]
