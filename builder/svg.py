"""The plan as a picture: stages as columns, one box per step, critical path in blue.

Plain SVG text built server-side (no JavaScript); the web UI embeds the same picture,
optionally colouring each step by its live state. Red and yellow are kept for the
deadline lights, so the critical path never reads as "overdue".
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from xml.sax.saxutils import escape

from builder.plan import Plan, number
from builder.spec import At, MatterSpec

BOX_W, BOX_H, COL_GAP, ROW_GAP, MARGIN, HEADER = 190, 92, 70, 18, 20, 56
LINE_CHARS, NAME_LINES = 13, 3
CHAR_PX = 13
CRITICAL = "#1f5fbf"

LIGHT_STROKE = {"green": "#1b7f3b", "yellow": "#b88600", "red": "#c62828"}


def _lines(text: str, width: int, most: int) -> list[str]:
    """``text`` in lines of ``width`` characters; only the last shown line is clipped."""
    lines = [text[i:i + width] for i in range(0, len(text), width)] or [""]
    if len(lines) > most:
        lines = lines[:most]
        lines[-1] = lines[-1][:-1] + "…"
    return lines


def render_svg(matter: MatterSpec, plan: Plan, departments: Mapping[str, str],
               states: Mapping[str, tuple[str, str, str | None]] | None = None, *,
               public: bool = False) -> str:
    """SVG of ``plan``. ``states`` maps a step id to (state, fill colour, light) for a
    running case (the caller owns the vocabulary of states); ``public`` leaves out
    planning words the public does not need (slack)."""
    pos: dict[str, tuple[float, float]] = {}
    for col, stage in enumerate(plan.stages):
        for row, step_id in enumerate(stage):
            pos[step_id] = (MARGIN + col * (BOX_W + COL_GAP),
                            HEADER + MARGIN + row * (BOX_H + ROW_GAP))
    rows = max((len(s) for s in plan.stages), default=1)
    caption = (f"并联 {number(plan.parallel_days):g} 个工作日 · 串联 {number(plan.serial_days):g}"
               f" 个工作日 · 节省 {number(plan.saving_days):g} 个工作日"
               f"（{plan.saving_percent:g}%）")
    legend = "蓝色粗线为关键路径（决定总时长），虚线为初审即启动"
    width = max(MARGIN * 2 + max(len(plan.stages), 1) * (BOX_W + COL_GAP) - COL_GAP,
                MARGIN * 2 + max(len(caption), len(legend)) * CHAR_PX)
    height = HEADER + MARGIN * 2 + rows * (BOX_H + ROW_GAP) - ROW_GAP + 48
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
        f'<path d="M0,0 L10,5 L0,10 z" fill="{CRITICAL}"/></marker></defs>',
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
            colour = CRITICAL if hot else "#555"
            dash = ' stroke-dasharray="6 4"' if need.at is At.PRELIMINARY else ""
            marker = "arrow-critical" if hot else "arrow"
            out.append(f'<path d="M{x1 + BOX_W},{y1 + BOX_H / 2} C{x1 + BOX_W + COL_GAP / 2},'
                       f'{y1 + BOX_H / 2} {x2 - COL_GAP / 2},{y2 + BOX_H / 2} {x2},'
                       f'{y2 + BOX_H / 2}" fill="none" stroke="{colour}" stroke-width='
                       f'"{2.5 if hot else 1.4}"{dash} marker-end="url(#{marker})"/>')
    for step_id, (x, y) in pos.items():
        step = matter.step(step_id)
        timing = plan.steps[step_id]
        state, fill, light = (states or {}).get(step_id, ("", "#ffffff", None))
        stroke = LIGHT_STROKE.get(light or "", CRITICAL if step_id in critical else "#667")
        wide = 3.0 if step_id in critical or light else 1.5
        depts = "、".join(departments.get(d, d) for d in step.departments)
        names = _lines(step.name, LINE_CHARS, NAME_LINES)
        out.append(f'<g class="step" data-step="{escape(step_id)}"'
                   + (f' data-state="{escape(state)}"' if state else "") + ">")
        out.append(f"<title>{escape(step.name)}（{escape(depts)}）</title>")
        out.append(f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="8" '
                   f'fill="{fill}" stroke="{stroke}" stroke-width="{wide}"/>')
        for n, line in enumerate(names):
            out.append(f'<text x="{x + 10}" y="{y + 19 + 16 * n}" font-weight="bold">'
                       f"{escape(line)}</text>")
        out.append(f'<text x="{x + 10}" y="{y + BOX_H - 26}" fill="#444">'
                   f"{escape(_lines(depts, 14, 1)[0])}</text>")
        days = f"第 {number(timing.start):g}–{number(timing.finish):g} 个工作日"
        if not public:
            days += f" · 机动时间 {number(timing.slack):g} 天"
        out.append(f'<text x="{x + 10}" y="{y + BOX_H - 9}" fill="#666" font-size="11">'
                   f"{days}</text>")
        out.append("</g>")
    out.append(f'<text x="{MARGIN}" y="{height - 30}" fill="#333">{caption}</text>')
    out.append(f'<text x="{MARGIN}" y="{height - 10}" fill="#555" font-size="12">'
               f"{legend}</text>")
    out.append("</svg>")
    return "\n".join(out) + "\n"
