"""The department's workspace (部门): its own task list, and the task page with the whole
case, every upstream result (so nothing is typed twice) and every action."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from runtime import forms
from runtime.services import NotFound, ServiceError, User
from runtime.services.pages import FILTER_KEY
from runtime.web.auth import current_user, requires
from runtime.web.door import services_of
from runtime.web.render import flash, page
from runtime.web.security import checked_form


@requires("department")
async def task_list(request: Request) -> Response:
    """The department's tasks; the chosen tab and order are remembered per user.

    The hot page: its reads are in memory, so it runs on the event loop; only the rare
    change of the remembered choice (a durable write) goes to the thread pool."""
    services = services_of(request)
    user = current_user(request)
    tab, sort = request.query_params.get("view"), request.query_params.get("sort")
    if services.reads_in_memory:
        listing = services.pages.worklist(user, tab, sort)
    else:  # a database read would stall the event loop
        listing = await run_in_threadpool(services.pages.worklist, user, tab, sort)
    if listing.remember is not None:
        await run_in_threadpool(services.tasks.remember, user, FILTER_KEY, listing.remember)
    if request.headers.get("hx-request") == "true":
        return page(request, "partials/task_rows.html", {"listing": listing})
    return page(request, "task_list.html", {"listing": listing})


def _task_page(request: Request, user: User, task_id: str,
               posted: dict[str, Any] | None = None, errors: Sequence[forms.FieldError] = (),
               message: str = "", status: int = 200) -> Response:
    view = services_of(request).pages.task(user, task_id)
    data = {**view.prefill, **(posted or {})}
    step_fields = forms.build_fields(view.step.form, {}, data, list(errors), prefix="step") \
        if view.step.form else []
    return page(request, "task_page.html", {
        "tv": view, "view": view.view, "step_fields": step_fields, "errors": list(errors),
        "message": message}, status=status)


@requires("department", "supervisor", "window", "admin")
def task_page(request: Request) -> Response:
    """The task with the whole case and every upstream result."""
    return _task_page(request, current_user(request), request.path_params["task_id"])


ARGUMENTS = ("/reason", "/opinion", "/reply", "/to_user")
DONE = {"claim": "已签收，可以办理。", "unclaim": "已退回部门待签收。", "transfer": "已转办。",
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
    if action not in DONE:
        raise NotFound("没有这个操作")
    form = checked_form(request)
    text = {k: str(form.get(k, "")).strip() for k in ("opinion", "reason", "reply", "to_user")}
    tasks = services.tasks
    posted: dict[str, Any] | None = None
    try:
        if action == "approve":
            view = services.pages.task(user, task_id)
            form_schema = view.step.form
            posted = forms.parse(form_schema, form.multi_items(), prefix="step") \
                if form_schema else {}
            problems = forms.validate(form_schema, posted, prefix="step") if form_schema else []
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
    except ServiceError as exc:
        if exc.status not in (400, 409):
            raise
        errors = [forms.FieldError(d["pointer"], "", d["message"]) for d in exc.details
                  if d.get("pointer") and d["pointer"] not in ARGUMENTS]
        return _task_page(request, user, task_id, posted, errors, exc.message, exc.status)
    flash(request, DONE[action])
    if action in ("approve", "reject", "transfer", "unclaim"):
        return RedirectResponse("/tasks", status_code=303)
    return RedirectResponse(f"/tasks/{task_id}", status_code=303)


routes = [
    Route("/tasks", task_list, name="tasks"),
    Route("/tasks/{task_id}", task_page, name="task"),
    Route("/tasks/{task_id}/{action}", act, methods=["POST"], name="task_action"),
]
