"""Shared builders for the engine tests: actors, the fixture matter, cases in any state."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from builder import load_catalog
from builder.spec import Material, MatterSpec, Need, Step
from runtime.engine import (
    CHINA_TZ,
    Actor,
    Role,
    WorkCalendar,
    accept,
    approve,
    claim,
    new_case,
    submit,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "catalog"
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=CHINA_TZ)  # a Monday
CAL = WorkCalendar()
LICENSE_NO = "91110000MA01ABCD2Q"

APPLICANT = Actor("u_app", Role.APPLICANT, None, "张三")
OTHER_APPLICANT = Actor("u_app2", Role.APPLICANT, None, "李四")
WINDOW = Actor("u_win", Role.WINDOW, None, "综合窗口")
SUPERVISOR = Actor("u_sup", Role.SUPERVISOR, None, "电子监察")
ADMIN = Actor("u_adm", Role.ADMIN, None, "管理员")


def staff(department: str, n: int = 1) -> Actor:
    """Reviewer number ``n`` of ``department``."""
    return Actor(f"u_{department}{n}", Role.DEPARTMENT, department, f"{department} 审批人员{n}")


def ids() -> Callable[[str], str]:
    """A deterministic ``new_id``: prefix + 12 hex digits counting up."""
    counter = itertools.count(1)
    return lambda prefix: f"{prefix}{next(counter):012x}"


def later(days: float = 0, hours: float = 0) -> datetime:
    """``NOW`` plus calendar time."""
    return NOW + timedelta(days=days, hours=hours)


@cache
def fixture_matter() -> MatterSpec:
    """The enterprise-establishment matter of tests/fixtures/catalog."""
    return load_catalog(FIXTURES).matter("enterprise-establishment")


def fixture_data(**changes: Any) -> dict[str, Any]:
    """Valid applicant data for the fixture matter."""
    data: dict[str, Any] = {"company_name": "成都甲乙科技有限公司", "registered_capital": 1000000,
                            "needs_seal": True}
    data.update(changes)
    return data


def draft(matter: MatterSpec | None = None, data: dict[str, Any] | None = None,
          materials: dict[str, Any] | None = None) -> dict[str, Any]:
    """A draft case of the applicant."""
    matter = matter or fixture_matter()
    return new_case(matter, APPLICANT, NOW, data=fixture_data() if data is None else data,
                    materials={"id-card": ["f_id"]} if materials is None else materials,
                    new_id=ids())


def submitted(matter: MatterSpec | None = None, **kwargs: Any) -> dict[str, Any]:
    """A submitted case."""
    matter = matter or fixture_matter()
    return submit(draft(matter, **kwargs), matter, APPLICANT, NOW)


def running(matter: MatterSpec | None = None, deferred: Iterable[Any] = (),
            **kwargs: Any) -> dict[str, Any]:
    """An accepted, in-progress case."""
    matter = matter or fixture_matter()
    return accept(submitted(matter, **kwargs), matter, WINDOW, NOW, number="CS2026000001",
                  calendar=CAL, deferred=deferred, new_id=ids())


def task(case: dict[str, Any], step: str, department: str | None = None) -> dict[str, Any]:
    """The task of ``step`` (and ``department``) in the case."""
    found = [t for t in case["tasks"]
             if t["step"] == step and (department is None or t["department"] == department)]
    assert len(found) == 1, f"{len(found)} tasks for {step}/{department}"
    return found[0]


def status(case: dict[str, Any], step: str, department: str | None = None) -> str:
    """The status of that task."""
    return str(task(case, step, department)["status"])


def decide(case: dict[str, Any], matter: MatterSpec, step: str, department: str | None = None,
           data: dict[str, Any] | None = None, when: datetime = NOW,
           **kwargs: Any) -> dict[str, Any]:
    """Claim and approve the task of ``step`` (by reviewer 1 of its department)."""
    t = task(case, step, department)
    actor = staff(t["department"])
    case = claim(case, matter, actor, when, t["id"])
    return approve(case, matter, actor, when, t["id"], calendar=CAL, data=data, **kwargs)


def license_ok(case: dict[str, Any]) -> dict[str, Any]:
    """Approve the fixture's license step with a valid licence number."""
    return decide(case, fixture_matter(), "license", data={"license_no": LICENSE_NO})


OBJECT = {"type": "object"}


def make_matter(steps: Iterable[Step], materials: Iterable[Material] = (),
                form: dict[str, Any] | None = None, time_limit: float = 10) -> MatterSpec:
    """A matter built in code around ``steps``."""
    return MatterSpec(
        id="m", name="测试事项", version=1, lead="a", time_limit=time_limit, statutory_limit=20,
        notice="", form=form or {"type": "object", "properties": {"name": {"type": "string"}}},
        ui={}, materials=tuple(materials), steps=tuple(steps))


def step(step_id: str, departments: str | tuple[str, ...] = "a", days: float = 1,
         needs: Iterable[str | Need] = (), **kwargs: Any) -> Step:
    """A step built in code; ``needs`` items are step ids or `Need`s."""
    departments = (departments,) if isinstance(departments, str) else departments
    return Step(id=step_id, name=f"环节{step_id}", departments=departments, days=days,
                needs=tuple(n if isinstance(n, Need) else Need(n) for n in needs), **kwargs)
