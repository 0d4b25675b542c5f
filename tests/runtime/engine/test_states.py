"""The transition tables themselves, and that docs/engine.md shows them."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import pytest

from runtime.engine import (
    CASE_TRANSITIONS,
    TASK_TRANSITIONS,
    CaseStatus,
    NotPermitted,
    Role,
    TaskStatus,
    Transition,
    TransitionNotAllowed,
)
from runtime.engine.states import CASE, TASK, Machine

DOCS = Path(__file__).resolve().parents[3] / "docs" / "engine.md"


def doc_row(row: Transition) -> str:
    """How docs/engine.md writes a transition row (first four columns)."""
    source = row.source or "—"
    target = row.target or "(previous)"
    who = ", ".join(sorted(row.who))
    return f"| {source} | {row.action} | {target} | {who} |"


@pytest.mark.parametrize("row", [*CASE_TRANSITIONS, *TASK_TRANSITIONS], ids=doc_row)
def test_every_transition_is_documented(row: Transition) -> None:
    assert doc_row(row) in DOCS.read_text(encoding="utf-8")


@pytest.mark.parametrize(("enum", "table"), [(CaseStatus, CASE_TRANSITIONS),
                                             (TaskStatus, TASK_TRANSITIONS)])
def test_every_state_is_reachable_and_every_open_state_can_leave(
        enum: type[StrEnum], table: tuple[Transition, ...]) -> None:
    targets = {row.target for row in table}
    sources = {row.source for row in table if row.target != row.source}
    for state in enum:
        assert state in targets or (enum is TaskStatus and state == TaskStatus.READY), state
    terminal = ({CaseStatus.DELIVERED, CaseStatus.REFUSED, CaseStatus.WITHDRAWN}
                if enum is CaseStatus else
                {TaskStatus.APPROVED, TaskStatus.REJECTED, TaskStatus.SKIPPED,
                 TaskStatus.CANCELLED})
    for state in enum:
        assert (state in sources) != (state in terminal), state


def test_statuses_are_plain_strings() -> None:
    assert CaseStatus.IN_PROGRESS == "in_progress" and isinstance(TaskStatus.READY, str)


def test_a_role_that_never_may_is_refused_before_the_state_is_looked_at() -> None:
    with pytest.raises(NotPermitted):
        CASE.check(CaseStatus.DELIVERED, "accept", Role.APPLICANT)
    with pytest.raises(TransitionNotAllowed) as err:
        CASE.check(CaseStatus.DELIVERED, "accept", Role.WINDOW)
    assert str(err.value) == "case in state 'delivered' does not allow 'accept'"
    with pytest.raises(NotPermitted):
        TASK.check(TaskStatus.READY, "fly", Role.ADMIN)


def test_admins_and_supervisors_cannot_decide() -> None:
    for role in (Role.ADMIN, Role.SUPERVISOR, Role.WINDOW):
        with pytest.raises(NotPermitted):
            TASK.check(TaskStatus.CLAIMED, "approve", role)


def test_resume_goes_back_to_previous() -> None:
    assert TASK.check(TaskStatus.SUSPENDED, "resume", Role.DEPARTMENT).target is None


def test_a_table_with_two_rows_for_one_move_is_refused() -> None:
    row = Transition("a", "go", "b", frozenset({Role.ADMIN}))
    with pytest.raises(ValueError, match="two rows"):
        Machine("thing", [row, row])
