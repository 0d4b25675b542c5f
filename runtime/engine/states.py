"""The two state machines: a ``str`` Enum of states and ONE transition table each.

Nothing else writes a status: every move goes through `CASE.check` / `TASK.check`
(see `runtime.engine.moves`), which raise `TransitionNotAllowed` for a move the table
does not list and `NotPermitted` for a role the table does not name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from runtime.engine.errors import NotPermitted, TransitionNotAllowed


class Role(StrEnum):
    """Who may act (``system`` acts for timeouts and automatic consequences)."""

    APPLICANT = "applicant"
    AGENT = "agent"  # 代办员 (全程代办): acts on the cases entrusted to it
    WINDOW = "window"
    DEPARTMENT = "department"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    SYSTEM = "system"


class CaseStatus(StrEnum):
    """States of a case (办件)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    SUPPLEMENT_REQUESTED = "supplement_requested"  # 补正
    ACCEPTED = "accepted"  # 受理
    IN_PROGRESS = "in_progress"
    APPROVED = "approved"
    REJECTED = "rejected"
    DELIVERED = "delivered"  # 办结送达
    REFUSED = "refused"  # 不予受理
    WITHDRAWN = "withdrawn"  # 撤回


class TaskStatus(StrEnum):
    """States of a task: one step handled by one department."""

    WAITING = "waiting"
    READY = "ready"
    CLAIMED = "claimed"
    PRELIMINARY = "preliminary"  # 初审意见已出
    APPROVED = "approved"
    REJECTED = "rejected"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"
    SUSPENDED = "suspended"  # 特别程序: the clock stands still


class CaseAction(StrEnum):
    """Actions on a case."""

    CREATE = "create"
    SAVE_DRAFT = "save_draft"
    SUBMIT = "submit"
    PRE_REVIEW = "pre_review"
    REQUEST_SUPPLEMENT = "request_supplement"
    ANSWER_SUPPLEMENT = "answer_supplement"
    REFUSE = "refuse"
    ACCEPT = "accept"
    START = "start"
    WITHDRAW = "withdraw"
    SUPPLY_DEFERRED = "supply_deferred"
    APPROVE = "approve"
    REJECT = "reject"
    DELIVER = "deliver"
    ISSUE_DOCUMENT = "issue_document"  # 出具文书: a formal document archived with the case
    ISSUE_FEES = "issue_fees"  # 开具缴款通知书
    RECORD_PAYMENT = "record_payment"  # 收费窗口或银行确认缴款
    REFUND = "refund"  # 退费
    VERIFY_ORIGINAL = "verify_original"  # 原件核验
    FORWARD = "forward"  # 转报: the town point forwards a village point's case
    HOME_VISIT = "home_visit"  # 上门受理, recorded by the agent with a note
    FOLLOW_UP = "follow_up"  # 回访 after delivery, by the agent


class TaskAction(StrEnum):
    """Actions on a task."""

    CREATE = "create"
    RELEASE = "release"
    SKIP = "skip"
    CLAIM = "claim"
    UNCLAIM = "unclaim"
    TRANSFER = "transfer"
    PRELIMINARY = "preliminary"
    APPROVE = "approve"
    REJECT = "reject"
    SUSPEND = "suspend"
    RESUME = "resume"
    CONSENT = "consent"  # 超时默许
    CANCEL = "cancel"
    URGE = "urge"  # 督办
    RESCHEDULE = "reschedule"  # 期限重算: the published working calendar changed


@dataclass(frozen=True)
class Transition:
    """One row of a table: ``source`` --``action``--> ``target``, done by ``who``.

    ``source`` None is the creation of the entity; ``target`` None means "back to the
    state saved in ``previous``" (resume after a suspension).
    """

    source: str | None
    action: str
    target: str | None
    who: frozenset[Role]
    condition: str = ""


def _rows(sources: Iterable[str | None], action: str, target: str | None,
          who: Iterable[Role], condition: str = "") -> list[Transition]:
    return [Transition(s, action, target, frozenset(who), condition) for s in sources]


_C, _CA, _R = CaseStatus, CaseAction, Role
_ENTERED = "the window only on a case it entered for a walk-in applicant"
CASE_TRANSITIONS: tuple[Transition, ...] = tuple([
    *_rows([None], _CA.CREATE, _C.DRAFT, [_R.APPLICANT, _R.WINDOW, _R.AGENT],
           "the window names the applicant it enters the case for (窗口代录); an agent "
           "names whom it acts for (全程代办)"),
    *_rows([_C.DRAFT], _CA.SAVE_DRAFT, _C.DRAFT, [_R.APPLICANT, _R.WINDOW, _R.AGENT],
           _ENTERED),
    *_rows([_C.DRAFT], _CA.SUBMIT, _C.SUBMITTED, [_R.APPLICANT, _R.WINDOW, _R.AGENT],
           "data valid for the form; required materials present (from an agent, the "
           "entrustment letter too); " + _ENTERED),
    *_rows([_C.SUBMITTED], _CA.PRE_REVIEW, _C.SUBMITTED, [_R.WINDOW], "note given"),
    *_rows([_C.SUBMITTED], _CA.REQUEST_SUPPLEMENT, _C.SUPPLEMENT_REQUESTED, [_R.WINDOW],
           "one notice listing every item, each with a reason"),
    *_rows([_C.SUPPLEMENT_REQUESTED], _CA.ANSWER_SUPPLEMENT, _C.SUBMITTED,
           [_R.APPLICANT, _R.WINDOW, _R.AGENT], "every listed item answered, nothing else changed; "
           "data and materials valid again; " + _ENTERED),
    *_rows([_C.SUBMITTED, _C.SUPPLEMENT_REQUESTED], _CA.REFUSE, _C.REFUSED, [_R.WINDOW],
           "reason given"),
    *_rows([_C.SUBMITTED], _CA.ACCEPT, _C.ACCEPTED, [_R.WINDOW],
           "number given; required materials present or deferred (容缺)"),
    *_rows([_C.ACCEPTED], _CA.START, _C.IN_PROGRESS, [_R.WINDOW],
           "same action as accept: creates the tasks"),
    *_rows([_C.DRAFT, _C.SUBMITTED, _C.SUPPLEMENT_REQUESTED, _C.IN_PROGRESS],
           _CA.WITHDRAW, _C.WITHDRAWN, [_R.APPLICANT, _R.AGENT],
           "open tasks become cancelled"),
    *[Transition(s, _CA.SUPPLY_DEFERRED, s, frozenset([_R.WINDOW, _R.APPLICANT, _R.AGENT]),
                 "the material was deferred and is not yet supplied")
      for s in [_C.IN_PROGRESS, _C.APPROVED]],
    *_rows([_C.IN_PROGRESS], _CA.APPROVE, _C.APPROVED, [_R.SYSTEM],
           "no open task; every applicable step approved"),
    *_rows([_C.IN_PROGRESS], _CA.REJECT, _C.REJECTED, [_R.SYSTEM],
           "no open task; some applicable step not approved"),
    *_rows([_C.APPROVED], _CA.DELIVER, _C.DELIVERED, [_R.WINDOW],
           "every deferred material supplied"),
    *_rows([_C.REJECTED], _CA.DELIVER, _C.DELIVERED, [_R.WINDOW]),
    *[Transition(s, _CA.ISSUE_DOCUMENT, s, frozenset([_R.WINDOW, _R.DEPARTMENT, _R.SYSTEM]),
                 "recorded with the action that issues it; its text kept by hash")
      for s in CaseStatus if s != _C.DRAFT],
    *[Transition(s, _CA.ISSUE_FEES, s, frozenset([_R.WINDOW, _R.DEPARTMENT]),
                 "a department only with a task on the case; no unpaid notice open")
      for s in [_C.IN_PROGRESS, _C.APPROVED]],
    *[Transition(s, _CA.RECORD_PAYMENT, s, frozenset([_R.WINDOW, _R.SYSTEM]),
                 "an issued notice unpaid; the window by a cashier, the system for the bank")
      for s in [_C.IN_PROGRESS, _C.APPROVED]],
    *[Transition(s, _CA.REFUND, s, frozenset([_R.WINDOW]), "a paid notice; reason given")
      for s in [_C.IN_PROGRESS, _C.APPROVED, _C.REJECTED, _C.DELIVERED]],
    *[Transition(s, _CA.VERIFY_ORIGINAL, s, frozenset([_R.WINDOW]),
                 "a supplied material marked `original`, not yet checked")
      for s in [_C.SUBMITTED, _C.IN_PROGRESS, _C.APPROVED]],
    *[Transition(s, _CA.FORWARD, s, frozenset([_R.AGENT]),
                 "an agent of the town point the village point's case goes to; once")
      for s in [_C.SUBMITTED, _C.SUPPLEMENT_REQUESTED, _C.IN_PROGRESS]],
    *[Transition(s, _CA.HOME_VISIT, s, frozenset([_R.AGENT]), "the case's agent; a note")
      for s in [_C.SUBMITTED, _C.SUPPLEMENT_REQUESTED]],
    *_rows([_C.DELIVERED], _CA.FOLLOW_UP, _C.DELIVERED, [_R.AGENT],
           "the case's agent; once; the result"),
])
"""The case table."""

_T, _TA = TaskStatus, TaskAction
_HOLDING = [_T.CLAIMED, _T.PRELIMINARY]
_RUNNING = [_T.READY, _T.CLAIMED, _T.PRELIMINARY]
TASK_TRANSITIONS: tuple[Transition, ...] = tuple([
    *_rows([None], _TA.CREATE, _T.WAITING, [_R.WINDOW], "at acceptance, one per step × department"),
    *_rows([_T.WAITING], _TA.RELEASE, _T.READY, [_R.SYSTEM], "every need of the step met"),
    *_rows([_T.WAITING], _TA.SKIP, _T.SKIPPED, [_R.SYSTEM], "the step's `when` is false"),
    *_rows([_T.READY], _TA.CLAIM, _T.CLAIMED, [_R.DEPARTMENT], "the task's department"),
    *_rows([_T.CLAIMED], _TA.UNCLAIM, _T.READY, [_R.DEPARTMENT], "the claimer"),
    *[Transition(s, _TA.TRANSFER, s, frozenset([_R.DEPARTMENT]),
                 "the claimer, to a colleague of the same department") for s in _HOLDING],
    *_rows([_T.CLAIMED], _TA.PRELIMINARY, _T.PRELIMINARY, [_R.DEPARTMENT],
           "the claimer; opinion given"),
    *_rows(_HOLDING, _TA.APPROVE, _T.APPROVED, [_R.DEPARTMENT],
           "the claimer; data valid for the step's form; reply among reply_options"),
    *_rows(_HOLDING, _TA.REJECT, _T.REJECTED, [_R.DEPARTMENT], "the claimer; reason given"),
    *_rows(_RUNNING, _TA.SUSPEND, _T.SUSPENDED, [_R.DEPARTMENT],
           "the department (the claimer once claimed); reason given"),
    *_rows([_T.SUSPENDED], _TA.RESUME, None, [_R.DEPARTMENT],
           "back to `previous`; the due date moves by the suspended working time"),
    *_rows(_RUNNING, _TA.CONSENT, _T.APPROVED, [_R.SYSTEM],
           "past due on a step with on_timeout: consent (超时默许)"),
    *_rows([_T.WAITING, *_RUNNING, _T.SUSPENDED], _TA.CANCEL, _T.CANCELLED, [_R.SYSTEM],
           "an upstream step rejected, the join decided, or the case withdrawn"),
    *[Transition(s, _TA.URGE, s, frozenset([_R.SUPERVISOR]), "note recorded")
      for s in [*_RUNNING, _T.SUSPENDED]],
    *[Transition(s, _TA.RESCHEDULE, s, frozenset([_R.SYSTEM]),
                 "the working calendar changed: due recomputed from ready_at and limit")
      for s in [*_RUNNING, _T.SUSPENDED]],
])
"""The task table."""


class Machine:
    """Lookup over one transition table."""

    def __init__(self, entity: str, transitions: Iterable[Transition]) -> None:
        self.entity = entity
        self.transitions = tuple(transitions)
        self._rows: dict[tuple[str | None, str], Transition] = {}
        self._who: dict[str, frozenset[Role]] = {}
        for row in self.transitions:
            key = (row.source, row.action)
            if key in self._rows:
                raise ValueError(f"{entity}: two rows for {key}")
            self._rows[key] = row
            self._who[row.action] = self._who.get(row.action, frozenset()) | row.who

    def check_role(self, action: str, role: str) -> frozenset[Role]:
        """The roles that may do ``action`` at all; `NotPermitted` if ``role`` is not one."""
        who = self._who.get(action)
        if who is None:
            raise NotPermitted(action, f"no such action on a {self.entity}")
        if role not in who:
            raise NotPermitted(action, f"role {role!r} may not {action} a {self.entity}")
        return who

    def check(self, state: str | None, action: str, role: str) -> Transition:
        """The row for ``action`` from ``state``; `NotPermitted` / `TransitionNotAllowed`."""
        self.check_role(action, role)
        row = self._rows.get((state, action))
        if row is None:
            raise TransitionNotAllowed(self.entity, state, action)
        return row

    def allows(self, state: str | None, action: str) -> bool:
        """Whether the table has a row for ``action`` from ``state``."""
        return (state, action) in self._rows


CASE = Machine("case", CASE_TRANSITIONS)
TASK = Machine("task", TASK_TRANSITIONS)
