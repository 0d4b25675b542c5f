"""The pure case/task state machine: documents and a compiled spec in, new documents out.

No I/O and no clock: ``now`` and the working-day calendar are passed in; ids come
from an injectable ``new_id``. See docs/engine.md.
"""

from runtime.engine.actions import case_actions, task_actions
from runtime.engine.actor import SYSTEM, Actor
from runtime.engine.agency import follow_up, forward, forward_light, forwarding, home_visit
from runtime.engine.calendar import CHINA_TZ, Deadline, Light, WorkCalendar
from runtime.engine.case import answer_supplement, new_case, save_draft, submit, withdraw
from runtime.engine.errors import (
    EngineError,
    NotPermitted,
    SpecMismatch,
    TransitionNotAllowed,
    UnknownTask,
    ValidationFailed,
)
from runtime.engine.events import SCHEMA_VERSION, new_id, replay
from runtime.engine.records import (
    issue_fees,
    record_document,
    record_payment,
    refund,
    verify_original,
)
from runtime.engine.states import (
    CASE_TRANSITIONS,
    TASK_TRANSITIONS,
    CaseAction,
    CaseStatus,
    Role,
    TaskAction,
    TaskStatus,
    Transition,
)
from runtime.engine.tasks import (
    approve,
    claim,
    preliminary,
    reject,
    resume,
    suspend,
    transfer,
    unclaim,
    urge,
)
from runtime.engine.timing import light, reschedule, tick
from runtime.engine.window import (
    accept,
    deliver,
    pre_review,
    refuse,
    request_supplement,
    supply_deferred,
)

__all__ = [
    "CASE_TRANSITIONS",
    "CHINA_TZ",
    "SCHEMA_VERSION",
    "SYSTEM",
    "TASK_TRANSITIONS",
    "Actor",
    "CaseAction",
    "CaseStatus",
    "Deadline",
    "EngineError",
    "Light",
    "NotPermitted",
    "Role",
    "SpecMismatch",
    "TaskAction",
    "TaskStatus",
    "Transition",
    "TransitionNotAllowed",
    "UnknownTask",
    "ValidationFailed",
    "WorkCalendar",
    "accept",
    "answer_supplement",
    "approve",
    "case_actions",
    "claim",
    "deliver",
    "follow_up",
    "forward",
    "forward_light",
    "forwarding",
    "home_visit",
    "issue_fees",
    "light",
    "new_case",
    "new_id",
    "pre_review",
    "preliminary",
    "record_document",
    "record_payment",
    "refund",
    "refuse",
    "reject",
    "replay",
    "request_supplement",
    "reschedule",
    "resume",
    "save_draft",
    "submit",
    "supply_deferred",
    "suspend",
    "task_actions",
    "tick",
    "transfer",
    "unclaim",
    "urge",
    "verify_original",
    "withdraw",
]
