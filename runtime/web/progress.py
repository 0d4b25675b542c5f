"""Per-step, per-department progress of a case, for every page that shows one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from builder import MatterSpec
from builder.plan import make_plan, number


def progress(services: Any, matter: MatterSpec, case: dict[str, Any]) -> dict[str, Any]:
    """Rows per task (step, department, state, dates, light, decision) and promised dates."""
    departments = {d.id: d.name for d in services.catalog.departments.values()}
    steps = {s.id: s for s in matter.steps}
    plan = make_plan(matter, case["data"])
    accepted = case.get("accepted_at")
    rows = []
    for task in case.get("tasks", ()):
        step = steps.get(task["step"])
        expected = None
        if accepted and task["step"] in plan.steps:
            finish = float(number(plan.steps[task["step"]].finish))
            expected = services.calendar.add(datetime.fromisoformat(accepted), finish).at
        rows.append({
            "task": task, "step": step, "step_name": step.name if step else task["step"],
            "department": departments.get(task["department"], task["department"]),
            "light": services.tasks.light(task), "expected": expected,
            "outputs": titled_outputs(step, case.get("outputs", {}).get(task["step"], {})),
        })
    promised = None
    if accepted:
        promised = services.calendar.add(datetime.fromisoformat(accepted),
                                          float(matter.time_limit)).at
    working = sorted({r["department"] for r in rows
                      if r["task"]["status"] in ("ready", "claimed", "preliminary", "suspended")})
    return {"rows": rows, "plan": plan, "promised": promised, "working": working,
            "step_names": {s.id: s.name for s in matter.steps},
            "departments": departments, "lead_name": departments.get(matter.lead, matter.lead)}


def titled_outputs(step: Any, outputs: dict[str, Any]) -> dict[str, Any]:
    """Outputs keyed by their field titles (统一社会信用代码, not license_no)."""
    props = (step.form or {}).get("properties", {}) if step is not None else {}
    return {props.get(name, {}).get("title", name): value for name, value in outputs.items()}
