"""The plan of concrete matters, as CONTRACT.md pins it."""

from __future__ import annotations

import json
from pathlib import Path

from builder import load_catalog, load_matter, make_plan

FIXTURES = Path(__file__).parent.parent / "fixtures"


def test_contract_example_plan() -> None:
    matter = load_catalog(FIXTURES / "catalog").matter("enterprise-establishment")
    plan = make_plan(matter).to_json()
    assert plan["stages"] == [["license"], ["seal", "tax", "site-check"]]
    assert plan["critical_path"] == ["license", "site-check"]
    assert plan["parallel_days"] == 3.5 and plan["serial_days"] == 6
    assert plan["steps"]["license"] == {"start": 0, "finish": 1, "slack": 0, "stage": 0}
    assert plan["steps"]["site-check"] == {"start": 0.5, "finish": 3.5, "slack": 0, "stage": 1}
    assert plan["steps"]["seal"]["slack"] == 1.5
    assert plan["saving_days"] == 2.5 and plan["saving_percent"] == 41.7
    assert json.loads(json.dumps(plan)) == plan


def test_data_leaves_out_steps_whose_condition_is_false() -> None:
    matter = load_catalog(FIXTURES / "catalog").matter("enterprise-establishment")
    plan = make_plan(matter, {"company_name": "甲", "registered_capital": 1, "needs_seal": False})
    assert "seal" not in plan.steps and plan.serial_days == 5
    assert "seal" in make_plan(matter, {"needs_seal": True}).steps


def test_fractional_days_are_exact() -> None:
    matter = load_matter(str(FIXTURES / "matters" / "valid" / "fractions.yaml"), FIXTURES)
    plan = make_plan(matter)
    assert plan.to_json()["parallel_days"] == 0.3
    assert plan.steps["c"].slack == 0 and plan.steps["b"].slack == 0
    assert plan.critical_path == ("a", "b")


def test_single_step_matter() -> None:
    matter = load_matter(str(FIXTURES / "matters" / "valid" / "single-step.yaml"), FIXTURES)
    plan = make_plan(matter).to_json()
    assert plan["stages"] == [["permit"]] and plan["critical_path"] == ["permit"]
    assert plan["parallel_days"] == plan["serial_days"] == 5 and plan["saving_days"] == 0


def test_a_step_left_out_passes_its_own_needs_on() -> None:
    from builder.plan import plan_steps
    from builder.spec import Need, Step

    a = Step("a", "甲", ("amr",), 2)
    b = Step("b", "乙", ("psb",), 1, needs=(Need("a"),), when={"required": ["x"]})
    c = Step("c", "丙", ("tax",), 1, needs=(Need("b"),))
    plan = plan_steps("m", 1, (a, c), (a, b, c))
    assert plan.steps["c"].start == 2  # still after a, though b does not apply
    assert plan.critical_path == ("a", "c") and plan.stages == (("a",), ("c",))
