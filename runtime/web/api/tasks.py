"""Tasks (任务): a department's worklist and every action on a task; urging by supervisors."""

from __future__ import annotations

from typing import Any

from runtime.services import TaskAction, labels
from runtime.web.api.operation import LIMIT, OFFSET, Call, Listing, Operation, Param
from runtime.web.api.present import row_json, task_json
from runtime.web.api.schemas import ANY_OBJECT, TASK_STATUSES, list_of, obj, ref, text

TASK_ACTION_ERRORS = (400, 401, 403, 404, 409, 413)
STATUS = Param("status", "only tasks in these states (repeat the parameter or separate with "
               "commas); default: ready, claimed, preliminary, suspended",
               choices=TASK_STATUSES)


def _task(call: Call, case: dict[str, Any]) -> dict[str, Any]:
    """The acted-on task as it now stands, with a summary of its case."""
    task_id = call.path("task_id")
    task = next(t for t in case["tasks"] if t["id"] == task_id)
    return task_json(task, call.services.tasks.light(task), case)


def list_tasks(call: Call) -> Any:
    """The caller's department's tasks, most urgent first."""
    tasks = call.services.tasks
    status = call.query["status"] or sorted(labels.WORKABLE_TASK)
    rows = tasks.worklist(call.user, status=status, limit=call.query["limit"],
                          offset=call.query["offset"])
    return Listing([row_json(r) for r in rows], tasks.count(call.user, status=status))


def claim_task(call: Call) -> Any:
    """Claim (签收) a ready task."""
    return _task(call, call.services.tasks.claim(call.user, call.path("task_id")))


def unclaim_task(call: Call) -> Any:
    """Give a claimed task back to the department's list."""
    return _task(call, call.services.tasks.unclaim(call.user, call.path("task_id")))


def transfer_task(call: Call) -> Any:
    """Hand a claimed task to a colleague of the same department (转办)."""
    return _task(call, call.services.tasks.transfer(call.user, call.path("task_id"),
                                                    call.body["to_user"]))


def preliminary_task(call: Call) -> Any:
    """Give the preliminary opinion (初审意见): releases steps that wait for it."""
    return _task(call, call.services.tasks.preliminary(call.user, call.path("task_id"),
                                                       call.body["opinion"]))


def approve_task(call: Call) -> Any:
    """Approve with the step's form data; its outputs are published to the case."""
    body = call.body
    return _task(call, call.services.tasks.approve(
        call.user, call.path("task_id"), data=body.get("data"),
        opinion=body.get("opinion", ""), reply=body.get("reply")))


def reject_task(call: Call) -> Any:
    """Reject with a reason; dependent steps are cancelled."""
    return _task(call, call.services.tasks.reject(call.user, call.path("task_id"),
                                                  call.body["reason"],
                                                  reply=call.body.get("reply")))


def suspend_task(call: Call) -> Any:
    """Stop the clock for a special procedure (特别程序)."""
    return _task(call, call.services.tasks.suspend(call.user, call.path("task_id"),
                                                   call.body["reason"]))


def resume_task(call: Call) -> Any:
    """Restart the clock; the deadline moves by the suspended working time."""
    return _task(call, call.services.tasks.resume(call.user, call.path("task_id")))


def urge_task(call: Call) -> Any:
    """Urge (督办) a task; the department sees the note."""
    return _task(call, call.services.tasks.urge(call.user, call.path("task_id"),
                                                call.body.get("note", "")))


def _action(path: str, handler: Any, summary: str, body: dict[str, Any],
            required: bool = True, who: str = "department (the task's)") -> Operation:
    return Operation("POST", f"/tasks/{{task_id}}/{path}", handler, summary, who,
                     ref("Task"), "tasks", body=body, body_required=required,
                     errors=TASK_ACTION_ERRORS)


operations = [
    Operation("GET", "/tasks", list_tasks, "The department's tasks", "department",
              list_of(ref("Task")), "tasks", query=(STATUS, LIMIT, OFFSET),
              errors=(400, 401, 403),
              headers={"X-Total-Count": {"type": "string", "pattern": "^[0-9]+$"}}),
    _action(TaskAction.CLAIM, claim_task, "Claim (签收)", obj(), required=False),
    _action(TaskAction.UNCLAIM, unclaim_task, "Give back a claimed task", obj(), required=False),
    _action(TaskAction.TRANSFER, transfer_task, "Transfer to a colleague (转办)",
            obj(("to_user",), to_user=text("a colleague's user name or id"))),
    _action(TaskAction.PRELIMINARY, preliminary_task, "Preliminary opinion (初审意见)",
            obj(("opinion",), opinion=text())),
    _action(TaskAction.APPROVE, approve_task, "Approve",
            obj(data=dict(ANY_OBJECT, description="answers to the step's form"),
                opinion=text(), reply=text("one of the step's reply options, if any")),
            required=False),
    _action(TaskAction.REJECT, reject_task, "Reject",
            obj(("reason",), reason=text(), reply=text())),
    _action(TaskAction.SUSPEND, suspend_task, "Suspend (特别程序)",
            obj(("reason",), reason=text())),
    _action(TaskAction.RESUME, resume_task, "Resume", obj(), required=False),
    _action(TaskAction.URGE, urge_task, "Urge (督办)", obj(note=text()), required=False,
            who="supervisor"),
]
