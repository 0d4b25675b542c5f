"""The department's workspace (部门): its own task list, and the task page with the whole
case, every upstream result (so nothing is typed twice) and every action."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from runtime import forms
from runtime.services import NotFound, ServiceError, TaskAction, User, labels
from runtime.services.pages import FILTER_KEY
from runtime.services.tasks import Tasks
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
_T = TaskAction
Run = Callable[[Tasks, User, str, dict[str, str]], object]
RUN: dict[str, Run] = {  # every action but approve, which reads the step's form first
    _T.CLAIM: lambda t, u, i, x: t.claim(u, i),
    _T.UNCLAIM: lambda t, u, i, x: t.unclaim(u, i),
    _T.TRANSFER: lambda t, u, i, x: t.transfer(u, i, x["to_user"]),
    _T.PRELIMINARY: lambda t, u, i, x: t.preliminary(u, i, x["opinion"]),
    _T.REJECT: lambda t, u, i, x: t.reject(u, i, x["reason"], reply=x["reply"] or None),
    _T.SUSPEND: lambda t, u, i, x: t.suspend(u, i, x["reason"]),
    _T.RESUME: lambda t, u, i, x: t.resume(u, i),
}
BACK_TO_LIST = frozenset({_T.APPROVE, _T.REJECT, _T.TRANSFER, _T.UNCLAIM})
"""After these the task leaves the officer's hands: back to the list."""


@requires("department")
def act(request: Request) -> Response:
    """Every action on a task."""
    services = services_of(request)
    user = current_user(request)
    task_id, action = request.path_params["task_id"], request.path_params["action"]
    if action not in RUN and action != _T.APPROVE:
        raise NotFound("没有这个操作")
    form = checked_form(request)
    text = {k: str(form.get(k, "")).strip() for k in ("opinion", "reason", "reply", "to_user")}
    tasks = services.tasks
    posted: dict[str, Any] | None = None
    try:
        if action == _T.APPROVE:
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
        else:
            RUN[action](tasks, user, task_id, text)
    except ServiceError as exc:
        if exc.status not in (400, 409):
            raise
        errors = [forms.FieldError(d["pointer"], "", d["message"]) for d in exc.details
                  if d.get("pointer") and d["pointer"] not in ARGUMENTS]
        return _task_page(request, user, task_id, posted, errors, exc.message, exc.status)
    flash(request, labels.TASK_ACTION_DONE[action])
    if action in BACK_TO_LIST:
        return RedirectResponse("/tasks", status_code=303)
    return RedirectResponse(f"/tasks/{task_id}", status_code=303)


routes = [
    Route("/tasks", task_list, name="tasks"),
    Route("/tasks/{task_id}", task_page, name="task"),
    Route("/tasks/{task_id}/{action}", act, methods=["POST"], name="task_action"),
]
