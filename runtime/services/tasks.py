"""Department use cases (部门): the task list and every action on a task, with authorisation.

A department sees and acts on its own department's tasks only; a task of another
department is answered as "not found". Supervisors may read every task and urge
(督办) late ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from builder import MatterSpec
from runtime import engine
from runtime.engine.calendar import WorkCalendar
from runtime.engine.states import CaseStatus, Role
from runtime.services.accounts import Accounts, User
from runtime.services.cases import actor_of, case_of_task, shown
from runtime.services.documents import Documents
from runtime.services.effects import Effects
from runtime.services.errors import Conflict, Forbidden, Invalid, NotFound
from runtime.services.matters import Matters
from runtime.services.problems import engine_errors
from runtime.services.schedule import mark
from runtime.store import Conflict as StoreConflict
from runtime.store import Store, TaskTally, WriteBatch

Document = dict[str, Any]
READERS = (Role.SUPERVISOR, Role.WINDOW, Role.ADMIN)


@dataclass(frozen=True)
class TaskView:
    """A task with its case summary and its deadline light."""

    task: Mapping[str, Any]
    case: Mapping[str, Any]
    light: str | None


def find_task(case: Mapping[str, Any], task_id: str) -> Mapping[str, Any]:
    """The task with this id in the case (NotFound otherwise)."""
    for task in case.get("tasks", ()):
        if task["id"] == task_id:
            return task
    raise NotFound("没有这个任务")


class Tasks:
    """Department and supervision actions on tasks."""

    def __init__(self, store: Store, matters: Matters, calendar: WorkCalendar,
                 clock: Callable[[], datetime], accounts: Accounts, yellow_days: float,
                 yellow_fraction: float, documents: Documents, effects: Effects) -> None:
        self.store = store
        self.documents = documents
        self.effects = effects
        self.matters = matters
        self.calendar = calendar
        self.clock = clock
        self.accounts = accounts
        self.yellow = (yellow_days, yellow_fraction)
        self.elsewhere: Callable[[str], str] = lambda _department: ""
        """"sent to PEER" for a department that sits in a peer centre (its officers act
        there, never here), else empty; set by the exchange."""

    def spec(self, case: Mapping[str, Any]) -> MatterSpec:
        """The matter version the task's case is pinned to."""
        return self.matters.version(case["matter"], case["matter_version"])

    def light(self, task: Mapping[str, Any], now: datetime | None = None) -> str | None:
        """green / yellow / red for a running task, None otherwise."""
        return engine.light(task, now or self.clock(), self.calendar, *self.yellow)

    def actions(self, user: User, case: Mapping[str, Any], task_id: str) -> frozenset[str]:
        """The task actions this user may take now (the engine's answer); a transfer only
        when the department has someone to transfer to."""
        task = find_task(case, task_id)
        if self.elsewhere(task["department"]):
            return frozenset()
        allowed = {str(a) for a in engine.task_actions(case, self.spec(case), task_id,
                                                      actor_of(user))}
        if "transfer" in allowed and not self.colleagues(user):
            allowed.discard("transfer")
        return frozenset(allowed)

    def remember(self, user: User, key: str, value: Any) -> None:
        """Keep a user's choice (the task list's tab and order) for next time."""
        with self.store.write() as tx:
            tx.put_setting(user.id, key, value)

    def colleagues(self, user: User) -> list[User]:
        """Other active officers of the user's department (for transfers)."""
        if user.role != Role.DEPARTMENT or not user.department:
            return []
        return [c for c in self.accounts.colleagues(user.department) if c.id != user.id]

    def worklist(self, user: User, *, status: Iterable[str] | None = None, limit: int = 50,
                 offset: int = 0) -> list[TaskView]:
        """The user's department's tasks, most urgent first."""
        department = self._department(user)
        rows = self.store.list_tasks(department=department, status=status, limit=limit,
                                     offset=offset)
        now = self.clock()
        return [TaskView(row.task, row.case, self.light(row.task, now)) for row in rows]

    def count(self, user: User, *, status: Iterable[str] | None = None) -> int:
        """How many tasks ``worklist`` would list without a limit."""
        return self.store.count_tasks(department=self._department(user), status=status)

    def decided(self, user: User, *, limit: int = 50, offset: int = 0) -> list[TaskView]:
        """The user's department's decided tasks (已办结), finished cases included, newest first."""
        rows = self.store.list_decided(department=self._department(user), limit=limit,
                                       offset=offset)
        now = self.clock()
        return [TaskView(row.task, row.case, self.light(row.task, now)) for row in rows]

    def tally(self, user: User, held_in: Iterable[str]) -> TaskTally:
        """The department's open tasks per status, and of those in ``held_in`` the ones
        this officer holds: every tab's count in one read."""
        return self.store.tally_tasks(department=self._department(user), holder=user.id,
                                      held_in=held_in)

    def count_decided(self, user: User, *, at_most: int | None = None) -> int:
        """How many tasks ``decided`` would list without a limit (up to ``at_most``)."""
        return self.store.count_decided(self._department(user), at_most=at_most)

    @staticmethod
    def _department(user: User) -> str:
        if user.role != Role.DEPARTMENT or not user.department:
            raise Forbidden("只有部门审批人员有任务列表")
        return user.department

    def get(self, user: User, task_id: str) -> tuple[Document, Mapping[str, Any]]:
        """(case, task) for a task the user may see."""
        case = self.store.get_case(case_of_task(task_id))
        if case is None:
            raise NotFound("没有这个任务")
        task = find_task(case, task_id)
        self._check_reader(user, task)
        return shown(user, case), task

    @staticmethod
    def _check_reader(user: User, task: Mapping[str, Any]) -> None:
        if user.role == Role.DEPARTMENT and task["department"] == user.department:
            return
        if user.role in READERS:
            return
        raise NotFound("没有这个任务")

    def _act(self, user: User, task_id: str,
             action: Callable[[Document, MatterSpec, WriteBatch], Document]) -> Document:
        with self.store.write() as tx:
            case = tx.get_case(case_of_task(task_id))
            if case is None:
                raise NotFound("没有这个任务")
            task = find_task(case, task_id)
            self._check_reader(user, task)
            if user.role != Role.DEPARTMENT:
                raise Forbidden("只有本部门审批人员可以办理此任务")
            if self.elsewhere(task["department"]):
                raise Forbidden(f"该任务{self.elsewhere(task['department'])}，由对方中心办理")
            matter = self.spec(case)
            with engine_errors(matter, matter.step(task["step"]).form or {}):
                new = action(case, matter, tx)
                if new["status"] == CaseStatus.REJECTED != case["status"]:
                    # 不予许可 is decided in writing: the decision is archived with it
                    new = self.documents.issue(new, matter, "decision", user, self.clock())
            return shown(user, self._put(tx, new, case, matter))

    def _put(self, tx: WriteBatch, case: Document, old: Document, matter: MatterSpec) -> Document:
        mark(case)  # its timed jobs are planned in this batch (effects.after)
        try:
            case["rev"] = tx.put_case(case, expected_rev=old.get("rev", 0))
        except StoreConflict as exc:
            raise Conflict("该办件刚被他人更新，请刷新后重试") from exc
        self.effects.after(tx, old, case, matter)
        return case

    def claim(self, user: User, task_id: str) -> Document:
        """Claim (签收) a ready task."""
        return self._act(user, task_id, lambda c, m, _: engine.claim(
            c, m, actor_of(user), self.clock(), task_id))

    def unclaim(self, user: User, task_id: str) -> Document:
        """Give a claimed task back to the department's list."""
        return self._act(user, task_id, lambda c, m, _: engine.unclaim(
            c, m, actor_of(user), self.clock(), task_id))

    def transfer(self, user: User, task_id: str, to_user: str) -> Document:
        """Hand a claimed task to a colleague of the same department (转办)."""
        def act(case: Document, matter: MatterSpec, _: WriteBatch) -> Document:
            # Checked after ``_act`` has authorised the caller, so a stranger learns nothing.
            target = self.store.get_user(to_user) or self.store.get_user_by_name(to_user)
            if target is None or target.get("role") != Role.DEPARTMENT or \
                    target.get("department") != user.department or \
                    not target.get("active", True):
                raise Invalid("只能转给本部门的审批人员",
                              [{"pointer": "/to_user", "message": "请选择本部门的审批人员"}])
            return engine.transfer(case, matter, actor_of(user), self.clock(), task_id,
                                   target["id"])
        return self._act(user, task_id, act)

    def preliminary(self, user: User, task_id: str, opinion: str) -> Document:
        """Give the preliminary opinion (初审意见): releases staged steps."""
        return self._act(user, task_id, lambda c, m, _: engine.preliminary(
            c, m, actor_of(user), self.clock(), task_id, opinion,
            calendar=self.calendar))

    def approve(self, user: User, task_id: str, *, data: Mapping[str, Any] | None = None,
                opinion: str = "", reply: str | None = None) -> Document:
        """Approve with the step's form data; its outputs reach the later steps."""
        return self._act(user, task_id, lambda c, m, _: engine.approve(
            c, m, actor_of(user), self.clock(), task_id, calendar=self.calendar,
            data=data, opinion=opinion, reply=reply))

    def reject(self, user: User, task_id: str, reason: str, reply: str | None = None) -> Document:
        """Reject with a reason; every dependent step is cancelled."""
        return self._act(user, task_id, lambda c, m, _: engine.reject(
            c, m, actor_of(user), self.clock(), task_id, reason, reply=reply))

    def suspend(self, user: User, task_id: str, reason: str) -> Document:
        """Stop the clock for a special procedure (特别程序)."""
        return self._act(user, task_id, lambda c, m, _: engine.suspend(
            c, m, actor_of(user), self.clock(), task_id, reason))

    def resume(self, user: User, task_id: str) -> Document:
        """Restart the clock; the suspended working time is added to the deadline."""
        return self._act(user, task_id, lambda c, m, _: engine.resume(
            c, m, actor_of(user), self.clock(), task_id, calendar=self.calendar))

    def urge(self, user: User, task_id: str, note: str) -> Document:
        """A supervisor urges (督办) a task; the department sees the note on its list."""
        if user.role != Role.SUPERVISOR:
            raise Forbidden("只有电子监察人员可以督办")
        with self.store.write() as tx:
            case = tx.get_case(case_of_task(task_id))
            if case is None:
                raise NotFound("没有这个任务")
            find_task(case, task_id)
            matter = self.spec(case)
            with engine_errors(matter):
                new = engine.urge(case, matter, actor_of(user), self.clock(), task_id, note)
            return shown(user, self._put(tx, new, case, matter))
