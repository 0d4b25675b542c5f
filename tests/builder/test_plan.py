"""The plan of concrete matters, as CONTRACT.md pins it."""

from __future__ import annotations

import gc
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

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


def test_plan_without_data_is_made_once_per_spec_and_read_only() -> None:
    matter = load_matter(str(FIXTURES / "matters" / "valid" / "fractions.yaml"), FIXTURES)
    plan = make_plan(matter)
    assert make_plan(matter) is plan
    assert make_plan(matter, {}) is not plan and make_plan(matter, {}) == plan
    with pytest.raises(TypeError):
        plan.steps["a"] = plan.steps["b"]  # type: ignore[index]


def test_a_remembered_plan_leaves_with_its_spec() -> None:
    from builder.plan import _PLANS
    from builder.spec import MatterSpec, Step

    matter = MatterSpec("m", "事项", 1, "amr", 5, 10, "", {"type": "object"}, {}, (),
                        (Step("a", "甲", ("amr",), 2),))
    make_plan(matter)
    assert id(matter) in _PLANS
    key = id(matter)
    del matter
    gc.collect()
    assert key not in _PLANS


def test_loading_compiles_and_plans_each_matter_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import builder.check
    import builder.compile
    import builder.plan

    calls: Counter[str] = Counter()

    def counted(module: Any, name: str) -> None:
        real = getattr(module, name)

        def count(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return real(*args, **kwargs)
        monkeypatch.setattr(module, name, count)

    for module in (builder.check, builder.compile, builder.plan):
        for name in ("compile_step", "plan_steps"):
            if hasattr(module, name):
                counted(module, name)
    matter = load_catalog(FIXTURES / "catalog").matter("enterprise-establishment")
    plan = make_plan(matter)
    assert calls == {"compile_step": len(matter.steps), "plan_steps": 1}
    assert plan.critical_path == ("license", "site-check")


def test_planning_a_cycle_is_refused() -> None:
    from builder.plan import plan_steps
    from builder.spec import Need, Step

    a = Step("a", "甲", ("amr",), 1, needs=(Need("b"),))
    b = Step("b", "乙", ("psb",), 1, needs=(Need("a"),))
    with pytest.raises(ValueError, match="cycle"):
        plan_steps("m", 1, (a, b))
