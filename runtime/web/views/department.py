"""The department's workspace (部门): its own task list, and the task page with the whole
case, every upstream result (so nothing is typed twice) and every action."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from builder import MatterSpec, Step
from runtime import forms
from runtime.engine.errors import ValidationFailed
from runtime.services.accounts import User
from runtime.services.errors import NotFound, ServiceError
from runtime.web.auth import current_user, requires
from runtime.web.door import services_of
from runtime.web.engine_text import detail_zh, details_zh
from runtime.web.formpage import uploaded_meta
from runtime.web.progress import progress, titled_outputs
from runtime.web.render import flash, page
from runtime.web.security import checked_form

VIEWS = {
    "ready": ("待签收", ("ready",)),
    "mine": ("我办理中", ("claimed", "preliminary")),
    "suspended": ("已挂起", ("suspended",)),
    "waiting": ("等待前置环节", ("waiting",)),
    "done": ("已办结", ("approved", "rejected")),
}
FILTER_KEY = "tasks.filter"


def _rows(request: Request, user: User, view: str, sort: str) -> list[Any]:
    services = services_of(request)
    if view == "done":  # every decided task, finished cases too: newest decision first
        rows = services.tasks.decided(user, limit=200)
    else:
        rows = services.tasks.worklist(user, status=VIEWS[view][1], limit=200)
    if view == "mine":
        rows = [r for r in rows if r.task.get("claimed_by") == user.id]
    if sort == "ready":
        rows.sort(key=lambda r: r.task.get("ready_at") or "")
    return rows


def _remember(services: Any, user: User, choice: dict[str, str]) -> None:
    with services.store.write() as tx:
        tx.put_setting(user.id, FILTER_KEY, choice)


@requires("department")
async def task_list(request: Request) -> Response:
    """The department's tasks; the chosen view and order are remembered per user.

    The hot page: its reads are in memory, so it runs on the event loop; only the rare
    change of the remembered filter (a durable write) goes to the thread pool."""
    services = services_of(request)
    user = current_user(request)
    saved = services.store.get_setting(user.id, FILTER_KEY) or {}
    view = request.query_params.get("view") or saved.get("view") or "ready"
    sort = request.query_params.get("sort") or saved.get("sort") or "due"
    if view not in VIEWS:
        view = "ready"
    if sort not in ("due", "ready"):
        sort = "due"
    if {"view": view, "sort": sort} != saved:
        await run_in_threadpool(_remember, services, user, {"view": view, "sort": sort})
    rows = _rows(request, user, view, sort)
    context = {"views": VIEWS, "view": view, "sort": sort, "rows": rows,
               "step_names": _step_names(services, rows),
               "names": {m.id: m.name for m in services.matters.published()},
               "counts": {k: services.tasks.count_decided(user) if k == "done" else
                          services.tasks.count(user, status=s) for k, (_, s) in VIEWS.items()},
               "department": services.catalog.departments[user.department or ""].name}
    if request.headers.get("hx-request") == "true":
        return page(request, "partials/task_rows.html", context)
    return page(request, "task_list.html", context)


def _step_names(services: Any, rows: list[Any]) -> dict[tuple[str, int, str], str]:
    """(matter, version, step) -> step name, for the rows shown."""
    names = {}
    for row in rows:
        key = (row.case["matter"], row.case["matter_version"], row.task["step"])
        if key not in names:
            names[key] = services.matters.version(key[0], key[1]).step(key[2]).name
    return names


def _step_form(matter: MatterSpec, step: Step, case: dict[str, Any],
               posted: dict[str, Any] | None, errors: list[forms.FieldError]) -> list[Any]:
    """The step's form, with every field that an upstream output feeds pre-filled."""
    if not step.form:
        return []
    data = dict(forms.defaults(step.form))
    for ref in step.reads:
        up, _, name = ref.partition(".")
        value = case.get("outputs", {}).get(up, {}).get(name)
        if value is not None and name in step.form.get("properties", {}):
            data[name] = value
    if posted is not None:
        data.update(posted)
    return forms.build_fields(step.form, {}, data, errors, prefix="step")


def _upstream(matter: MatterSpec, case: dict[str, Any], departments: dict[str, str]) -> list[Any]:
    """Every decided step's opinion and outputs, in plan order."""
    steps = {s.id: s for s in matter.steps}
    out = []
    for task in case.get("tasks", ()):
        if not task.get("decision") and not task.get("preliminary"):
            continue
        step = steps.get(task["step"])
        out.append({"task": task, "step_name": step.name if step else task["step"],
                    "department": departments.get(task["department"], task["department"]),
                    "outputs": titled_outputs(step, case.get("outputs", {}).get(task["step"], {}))})
    return out


def _task_page(request: Request, user: User, task_id: str,
               posted: dict[str, Any] | None = None, errors: Sequence[forms.FieldError] = (),
               message: str = "", status: int = 200) -> Response:
    services = services_of(request)
    case, task = services.tasks.get(user, task_id)
    matter = services.cases.spec(case)
    step = matter.step(task["step"])
    info = progress(services, matter, case)
    reads = []
    for ref in step.reads:
        up, _, name = ref.partition(".")
        up_step = next((s for s in matter.steps if s.id == up), None)
        title = ((up_step.form or {}).get("properties", {}).get(name, {}).get("title", name)
                 if up_step else name)
        reads.append({"step": up_step.name if up_step else up, "title": title,
                      "value": case.get("outputs", {}).get(up, {}).get(name)})
    colleagues = [c for c in services.accounts.colleagues(task["department"]) if c.id != user.id]
    return page(request, "task_page.html", {
        "case": case, "task": task, "matter": matter, "step": step, **info,
        "light": services.tasks.light(task),
        "remaining": services.calendar.remaining(services.clock(), _dt(task["due"]))
        if task.get("due") else None,
        "fields": forms.build_fields(matter.form, matter.ui, case["data"]),
        "files": uploaded_meta(request, case["materials"]),
        "step_fields": _step_form(matter, step, case, posted, list(errors)),
        "upstream": _upstream(matter, case, info["departments"]), "reads": reads,
        "colleagues": colleagues, "errors": list(errors), "message": message,
        "mine": task.get("claimed_by") == user.id}, status=status)


def _dt(value: str) -> datetime:
    return datetime.fromisoformat(value)


@requires("department", "supervisor", "window", "admin")
def task_page(request: Request) -> Response:
    """The task with the whole case and every upstream result."""
    return _task_page(request, current_user(request), request.path_params["task_id"])


ACTIONS = {"claim", "unclaim", "transfer", "preliminary", "approve", "reject", "suspend",
           "resume"}
DONE = {"claim": "已签收。", "unclaim": "已退回部门待签收。", "transfer": "已转办。",
        "preliminary": "初审意见已提交，等待初审意见的环节已启动。",
        "approve": "已审批通过，办理结果已推送后续环节。",
        "reject": "已作出不予许可决定，依赖本环节的后续环节已取消。",
        "suspend": "已挂起，计时暂停。",
        "resume": "已恢复计时，期限已顺延。"}


@requires("department")
def act(request: Request) -> Response:
    """Every action on a task."""
    services = services_of(request)
    user = current_user(request)
    task_id, action = request.path_params["task_id"], request.path_params["action"]
    if action not in ACTIONS:
        raise NotFound("没有这个操作")
    form = checked_form(request)
    text = {k: str(form.get(k, "")).strip() for k in ("opinion", "reason", "reply", "to_user")}
    tasks = services.tasks
    posted: dict[str, Any] | None = None
    try:
        if action == "approve":
            case, task = tasks.get(user, task_id)
            step = services.cases.spec(case).step(task["step"])
            posted = forms.parse(step.form, form.multi_items(), prefix="step") \
                if step.form else {}
            problems = forms.validate(step.form, posted, prefix="step") if step.form else []
            if problems:  # the same schema the engine enforces, explained in Chinese
                return _task_page(request, user, task_id, posted, problems,
                                  f"请修改以下 {len(problems)} 处后重新提交", 400)
            tasks.approve(user, task_id, data=posted, opinion=text["opinion"],
                          reply=text["reply"] or None)
        elif action == "reject":
            tasks.reject(user, task_id, text["reason"], reply=text["reply"] or None)
        elif action == "preliminary":
            tasks.preliminary(user, task_id, text["opinion"])
        elif action == "suspend":
            tasks.suspend(user, task_id, text["reason"])
        elif action == "transfer":
            tasks.transfer(user, task_id, text["to_user"])
        else:
            getattr(tasks, action)(user, task_id)
    except ValidationFailed as exc:
        errors = [forms.FieldError(_step_pointer(d), "", detail_zh(d)) for d in exc.details]
        return _task_page(request, user, task_id, posted, errors,
                          "请修改后重新提交：" + details_zh(exc.details), 400)
    except ServiceError as exc:
        if exc.status != 400:
            raise
        return _task_page(request, user, task_id, posted, [], exc.message, 400)
    flash(request, DONE[action])
    if action in ("approve", "reject", "transfer", "unclaim"):
        return RedirectResponse("/tasks", status_code=303)
    return RedirectResponse(f"/tasks/{task_id}", status_code=303)


def _step_pointer(detail: dict[str, Any]) -> str:
    pointer = str(detail.get("pointer", ""))
    return pointer.removeprefix("/data")


routes = [
    Route("/tasks", task_list, name="tasks"),
    Route("/tasks/{task_id}", task_page, name="task"),
    Route("/tasks/{task_id}/{action}", act, methods=["POST"], name="task_action"),
]
