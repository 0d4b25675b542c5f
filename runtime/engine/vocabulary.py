"""One vocabulary: the named groups of states and every Chinese label, defined once.

Beside the state machines (``states.py``) and nowhere else: services, the store (which
receives the sets it needs at construction), views and templates use these names, so
no state is ever spelled twice and a state has one label everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from runtime.engine.states import CaseAction, CaseStatus, Role, TaskAction, TaskStatus

_C, _T = CaseStatus, TaskStatus

# -- groups of case states --------------------------------------------------------------

EDITABLE_CASE = frozenset({_C.DRAFT})
"""The applicant (or the window, for a walk-in) still fills the form in."""

RUNNING_CASE = frozenset({_C.ACCEPTED, _C.IN_PROGRESS})
"""Accepted and worked by the departments: the deadline lights shine."""

DECIDED_CASE = frozenset({_C.APPROVED, _C.REJECTED})
"""The outcome is known and waits at the window to be handed over (待出件)."""

CLOSED_CASE = frozenset({_C.DELIVERED, _C.REFUSED, _C.WITHDRAWN})
"""Nothing more happens (办结)."""

RATEABLE_CASE = DECIDED_CASE | {_C.DELIVERED, _C.REFUSED}
"""Decided (or refused at the window): the applicant may rate it (好差评)."""

OPEN_CASE = frozenset(_C) - CLOSED_CASE
"""Everything not closed."""

# -- groups of task states --------------------------------------------------------------

RUNNING_TASK = frozenset({_T.READY, _T.CLAIMED, _T.PRELIMINARY})
"""The deadline clock runs."""

WORKABLE_TASK = RUNNING_TASK | {_T.SUSPENDED}
"""A department can act on it (the default worklist)."""

OPEN_TASK = WORKABLE_TASK | {_T.WAITING}
"""Still needs something to happen."""

HELD_TASK = frozenset({_T.CLAIMED, _T.PRELIMINARY})
"""Claimed by one officer."""

DECIDED_TASK = frozenset({_T.APPROVED, _T.REJECTED})
"""The department has decided (已办结)."""


@dataclass(frozen=True)
class Group:
    """A named list of states shown as one queue or tab."""

    key: str
    label: str
    states: tuple[str, ...]


def _group(key: str, label: str, states: frozenset[StrEnum] | set[StrEnum]) -> Group:
    return Group(key, label, tuple(sorted(str(s) for s in states)))


WINDOW_QUEUES: tuple[Group, ...] = (
    _group("intake", "待受理", {_C.SUBMITTED}),
    _group("supplement", "待补正", {_C.SUPPLEMENT_REQUESTED}),
    _group("running", "办理中", RUNNING_CASE),
    _group("outcome", "待出件", DECIDED_CASE),
    _group("closed", "已办结", CLOSED_CASE),
)
"""The window's queues, in the order the window works them."""

DEPARTMENT_TABS: tuple[Group, ...] = (
    _group("ready", "待签收", {_T.READY}),
    _group("mine", "我办理中", HELD_TASK),
    _group("suspended", "已挂起", {_T.SUSPENDED}),
    _group("waiting", "等待前置环节", {_T.WAITING}),
    _group("done", "已办结", DECIDED_TASK),
)
"""A department's task list tabs."""

FIRST_COME_QUEUES = frozenset({"intake", "supplement"})
"""Queues served oldest first (first come, first served)."""

# -- labels -----------------------------------------------------------------------------

CASE_LABELS: Mapping[str, str] = {
    _C.DRAFT: "草稿", _C.SUBMITTED: "已提交待受理", _C.SUPPLEMENT_REQUESTED: "待补正",
    _C.ACCEPTED: "已受理", _C.IN_PROGRESS: "办理中", _C.APPROVED: "审批通过",
    _C.REJECTED: "不予许可", _C.DELIVERED: "已办结", _C.REFUSED: "不予受理",
    _C.WITHDRAWN: "已撤回",
}
TASK_LABELS: Mapping[str, str] = {
    _T.WAITING: "等待前置环节", _T.READY: "待签收", _T.CLAIMED: "已签收",
    _T.PRELIMINARY: "已出初审意见", _T.APPROVED: "审批通过", _T.REJECTED: "不予许可",
    _T.SKIPPED: "不适用", _T.CANCELLED: "已取消", _T.SUSPENDED: "已挂起（特别程序）",
}
SENT_TO_PEER = "sent_to_peer"
"""Where a task of a department in a peer centre is (its status keeps telling what its
officers there did): 已发往 the peer (跨中心协同, docs/exchange.md)."""
EXCHANGE_LABELS: Mapping[str, str] = {SENT_TO_PEER: "已发往{peer}", "received": "{peer}转来"}


def sent_label(peer: str) -> str:
    """"sent to PEER" in Chinese."""
    return EXCHANGE_LABELS[SENT_TO_PEER].format(peer=peer)


CASE_ACTION_LABELS: Mapping[str, str] = {
    CaseAction.CREATE: "创建申请", CaseAction.SAVE_DRAFT: "保存草稿",
    CaseAction.SUBMIT: "提交申请", CaseAction.PRE_REVIEW: "窗口预审",
    CaseAction.REQUEST_SUPPLEMENT: "一次性告知补正", CaseAction.ANSWER_SUPPLEMENT: "提交补正",
    CaseAction.REFUSE: "不予受理", CaseAction.ACCEPT: "受理",
    CaseAction.START: "分送各部门并联办理", CaseAction.WITHDRAW: "撤回申请",
    CaseAction.SUPPLY_DEFERRED: "补交容缺材料", CaseAction.APPROVE: "审批通过",
    CaseAction.REJECT: "不予许可", CaseAction.DELIVER: "出件办结",
    CaseAction.ISSUE_DOCUMENT: "出具文书", CaseAction.ISSUE_FEES: "开具缴款通知书",
    CaseAction.RECORD_PAYMENT: "确认缴款", CaseAction.REFUND: "退费",
    CaseAction.VERIFY_ORIGINAL: "核验原件", CaseAction.FORWARD: "代办点转报",
    CaseAction.HOME_VISIT: "上门受理", CaseAction.FOLLOW_UP: "回访",
}
TASK_ACTION_LABELS: Mapping[str, str] = {
    TaskAction.CREATE: "生成任务", TaskAction.RELEASE: "前置环节完成，可以办理",
    TaskAction.SKIP: "本案不适用", TaskAction.CLAIM: "签收", TaskAction.UNCLAIM: "退回待签收",
    TaskAction.TRANSFER: "转办", TaskAction.PRELIMINARY: "出具初审意见",
    TaskAction.APPROVE: "审批通过", TaskAction.REJECT: "不予许可",
    TaskAction.SUSPEND: "挂起（特别程序）", TaskAction.RESUME: "恢复计时",
    TaskAction.CONSENT: "超时默许", TaskAction.CANCEL: "取消", TaskAction.URGE: "督办",
    TaskAction.RESCHEDULE: "工作日历变更，期限重算",
}
TASK_ACTION_DONE: Mapping[str, str] = {
    TaskAction.CLAIM: "已签收，可以办理。", TaskAction.UNCLAIM: "已退回部门待签收。",
    TaskAction.TRANSFER: "已转办。",
    TaskAction.PRELIMINARY: "初审意见已提交，等待初审意见的环节已启动。",
    TaskAction.APPROVE: "已审批通过，办理结果已推送后续环节。",
    TaskAction.REJECT: "已作出不予许可决定，依赖本环节的后续环节已取消。",
    TaskAction.SUSPEND: "已挂起，计时暂停。", TaskAction.RESUME: "已恢复计时，期限已顺延。",
}
"""What a department officer is told after each action."""
ROLE_LABELS: Mapping[str, str] = {
    Role.APPLICANT: "申请人", Role.AGENT: "代办员", Role.WINDOW: "综合窗口",
    Role.DEPARTMENT: "部门审批人员",
    Role.SUPERVISOR: "电子监察", Role.ADMIN: "中心管理员", Role.SYSTEM: "系统",
}
TASK_FILL: Mapping[str, str] = {
    **{s: "#e8f1fb" for s in RUNNING_TASK}, _T.WAITING: "#f4f5f7", _T.SUSPENDED: "#fff4d6",
    _T.APPROVED: "#e3f4e8", _T.REJECTED: "#fbe4e4", _T.SKIPPED: "#eeeeee",
    _T.CANCELLED: "#eeeeee",
}
"""The colour a task state fills its step in the plan picture."""
LIGHT_LABELS: Mapping[str, str] = {"green": "正常", "yellow": "临近期限", "red": "已超期"}
LIGHT_RANK: Mapping[str | None, int] = {"red": 0, "yellow": 1, "green": 2, None: 3}
"""Worst first: red before yellow before green before no light."""


def case_label(status: str | None) -> str:
    """A case state in Chinese."""
    return CASE_LABELS.get(str(status), str(status or "—"))


def task_label(status: str | None) -> str:
    """A task state in Chinese."""
    return TASK_LABELS.get(str(status), str(status or "—"))


def action_label(entity: str, action: str) -> str:
    """An event's action in Chinese."""
    table = TASK_ACTION_LABELS if entity == "task" else CASE_ACTION_LABELS
    return table.get(action, action)


def worst_light(lights: list[str | None]) -> str | None:
    """The worst of some lights (None when none shines)."""
    return min(lights, key=LIGHT_RANK.__getitem__, default=None)
