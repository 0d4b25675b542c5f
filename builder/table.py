"""The plan as a table a centre director can read (plain text, CJK-aware widths)."""

from __future__ import annotations

import unicodedata

from builder.plan import Plan, number
from builder.spec import MatterSpec


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _days(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def render_table(matter: MatterSpec, plan: Plan, departments: dict[str, str]) -> str:
    """Stages, steps with start/finish/slack, the critical path and the saving."""
    critical = set(plan.critical_path)
    rows = [("阶段 stage", "环节 step", "部门 department", "天 days", "开始 start",
             "完成 finish", "机动 slack", "")]
    for i, stage in enumerate(plan.stages):
        for step_id in stage:
            step = matter.step(step_id)
            timing = plan.steps[step_id]
            depts = "、".join(departments.get(d, d) for d in step.departments)
            rows.append((str(i + 1), f"{step.name} ({step_id})", depts, _days(step.days),
                         _days(number(timing.start)), _days(number(timing.finish)),
                         _days(number(timing.slack)), "★ critical" if step_id in critical
                         else ""))
    widths = [max(_width(row[c]) for row in rows) for c in range(len(rows[0]))]
    lines = [f"{matter.name} ({matter.id} v{matter.version})", ""]
    for n, row in enumerate(rows):
        lines.append("  ".join(_pad(cell, widths[c]) for c, cell in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths).rstrip())
    lines += [
        "",
        f"critical path: {' -> '.join(plan.critical_path) or '(none)'}",
        f"parallel: {_days(number(plan.parallel_days))} working days; serial: "
        f"{_days(number(plan.serial_days))}; saving: {_days(number(plan.saving_days))} days "
        f"({plan.saving_percent:g}%)",
        f"promised time_limit: {matter.time_limit:g}; statutory_limit: "
        f"{matter.statutory_limit:g} working days",
    ]
    return "\n".join(lines) + "\n"
