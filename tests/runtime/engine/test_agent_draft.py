"""An agent's draft (全程代办 on the site): the principal may be corrected while it is a
draft, only on an agent's draft; a village point's 转报 starts at submission."""

from __future__ import annotations

import pytest

from runtime.engine import ValidationFailed, forwarding, new_case, save_draft, submit
from runtime.engine.actor import Actor
from runtime.engine.states import Role
from tests.runtime.engine.helpers import (
    APPLICANT,
    CAL,
    NOW,
    draft,
    fixture_data,
    fixture_matter,
    ids,
    later,
)

M = fixture_matter()
AGENT = Actor("u_agent", Role.AGENT, None, "刘代办", point="青禾村代办点")
PRINCIPAL = {"name": "王小明", "id_number": "110101199003071233", "phone": "13800138000"}
VILLAGE = {"name": "青禾村代办点", "level": "village", "town": "青禾镇代办点"}


def _agent_draft() -> dict:
    return new_case(M, AGENT, NOW, data=fixture_data(),
                    materials={"id-card": ["f_id"], "entrustment": ["f_letter"]},
                    on_behalf_of=PRINCIPAL, agent_point=VILLAGE, new_id=ids())


def test_the_principal_is_corrected_on_the_agents_draft_only() -> None:
    case = _agent_draft()
    fixed = save_draft(case, M, AGENT, later(hours=1),
                       on_behalf_of={**PRINCIPAL, "name": "王小明（户主）"})
    assert fixed["on_behalf_of"]["name"] == "王小明（户主）"
    assert save_draft(case, M, AGENT, later(hours=1), data=fixture_data())[
        "on_behalf_of"] == PRINCIPAL  # not named: kept
    with pytest.raises(ValidationFailed):
        save_draft(draft(M), M, APPLICANT, NOW, on_behalf_of=PRINCIPAL)
    with pytest.raises(ValidationFailed):
        save_draft(case, M, AGENT, NOW, on_behalf_of={})


def test_forwarding_starts_when_the_agent_submits() -> None:
    case = _agent_draft()
    assert "forward" not in case
    at = later(days=3)  # Thursday
    done = submit(case, M, AGENT, at, forward=forwarding(VILLAGE, at, CAL))
    assert done["forward"]["to"] == "青禾镇代办点"
    assert done["forward"]["due"].startswith("2026-03-09")  # Thursday + 2 working days
    plain = submit(draft(M), M, APPLICANT, NOW, forward=forwarding(VILLAGE, NOW, CAL))
    assert "forward" not in plain  # only an agent's case is forwarded
