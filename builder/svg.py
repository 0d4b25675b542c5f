"""The plan as a picture: stages as columns, one box per step, critical path in red.

Plain SVG text built server-side (no JavaScript); the web UI embeds the same picture,
optionally colouring each step by its live state.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from xml.sax.saxutils import escape

from builder.plan import Plan, number
from builder.spec import At, MatterSpec

BOX_W, BOX_H, COL_GAP, ROW_GAP, MARGIN, HEADER = 190, 64, 70, 18, 20, 56

STATE_FILL = {
    "waiting": "#f4f5f7", "ready": "#e8f1fb", "claimed": "#e8f1fb", "preliminary": "#e8f1fb",
    "suspended": "#fff4d6", "approved": "#e3f4e8", "rejected": "#fbe4e4",
    "skipped": "#eeeeee", "cancelled": "#eeeeee",
}
LIGHT_STROKE = {"green": "#1b7f3b", "yellow": "#b88600", "red": "#c62828"}


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_svg(matter: MatterSpec, plan: Plan, departments: Mapping[str, str],
               states: Mapping[str, tuple[str, str | None]] | None = None) -> str:
    """SVG of ``plan``; ``states`` maps step id to (state, light) for a running case."""
    pos: dict[str, tuple[float, float]] = {}
    for col, stage in enumerate(plan.stages):
        for row, step_id in enumerate(stage):
            pos[step_id] = (MARGIN + col * (BOX_W + COL_GAP),
                            HEADER + MARGIN + row * (BOX_H + ROW_GAP))
    rows = max((len(s) for s in plan.stages), default=1)
    width = MARGIN * 2 + max(len(plan.stages), 1) * (BOX_W + COL_GAP) - COL_GAP
    height = HEADER + MARGIN * 2 + rows * (BOX_H + ROW_GAP) - ROW_GAP + 28
    critical = plan.critical_path
    critical_edges = set(itertools.pairwise(critical))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" font-family="sans-serif" font-size="13">',
        f"<title>{escape(matter.name)} 并联审批流程图</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#555"/></marker><marker id="arrow-critical" viewBox="0 0 10 10" refX="10" '
        'refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#c62828"/></marker></defs>',
    ]
    for col in range(len(plan.stages)):
        left = MARGIN + col * (BOX_W + COL_GAP)
        out.append(f'<text x="{left + BOX_W / 2}" y="{MARGIN + 14}" text-anchor="middle" '
                   f'font-weight="bold" fill="#333">第 {col + 1} 阶段</text>')
    for step in matter.steps:
        if step.id not in pos:
            continue
        x2, y2 = pos[step.id]
        for need in step.needs:
            if need.step not in pos:
                continue
            x1, y1 = pos[need.step]
            hot = (need.step, step.id) in critical_edges
            colour = "#c62828" if hot else "#555"
            dash = ' stroke-dasharray="6 4"' if need.at is At.PRELIMINARY else ""
            marker = "arrow-critical" if hot else "arrow"
            out.append(f'<path d="M{x1 + BOX_W},{y1 + BOX_H / 2} C{x1 + BOX_W + COL_GAP / 2},'
                       f'{y1 + BOX_H / 2} {x2 - COL_GAP / 2},{y2 + BOX_H / 2} {x2},'
                       f'{y2 + BOX_H / 2}" fill="none" stroke="{colour}" stroke-width='
                       f'"{2.5 if hot else 1.4}"{dash} marker-end="url(#{marker})"/>')
    for step_id, (x, y) in pos.items():
        step = matter.step(step_id)
        timing = plan.steps[step_id]
        state, light = (states or {}).get(step_id, (None, None))
        fill = STATE_FILL.get(state or "", "#ffffff")
        stroke = LIGHT_STROKE.get(light or "", "#c62828" if step_id in critical else "#667")
        wide = 3.0 if step_id in critical or light else 1.5
        depts = "、".join(departments.get(d, d) for d in step.departments)
        out += [
            f'<g class="step" data-step="{escape(step_id)}"'
            + (f' data-state="{escape(state)}"' if state else "") + ">",
            f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="8" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="{wide}"/>',
            f'<text x="{x + 10}" y="{y + 20}" font-weight="bold">{escape(_clip(step.name, 13))}'
            "</text>",
            f'<text x="{x + 10}" y="{y + 38}" fill="#444">{escape(_clip(depts, 14))}</text>',
            f'<text x="{x + 10}" y="{y + 55}" fill="#666" font-size="11">'
            f"{number(timing.start):g}–{number(timing.finish):g} 天 · 机动 "
            f"{number(timing.slack):g}</text>",
            "</g>",
        ]
    out.append(f'<text x="{MARGIN}" y="{height - 12}" fill="#333">并联 '
               f"{number(plan.parallel_days):g} 个工作日 · 串联 {number(plan.serial_days):g} "
               f"· 节省 {number(plan.saving_days):g}（{plan.saving_percent:g}%）"
               " · 红色为关键路径，虚线为初审即启动</text>")
    out.append("</svg>")
    return "\n".join(out) + "\n"
