"""Small server-drawn SVG bar charts (no JavaScript, no inline style: CSP-safe).

The house draws its own, as ``builder/svg.py`` draws the plan: a horizontal bar per
row, with up to two series (e.g. actual against promised days). Every text is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

ROW = 26
LABEL_WIDTH = 230
BAR_WIDTH = 380
COLOURS = ("#2f6fb0", "#c9a227")
MAX_LABEL = 18


@dataclass(frozen=True)
class Series:
    """One measure drawn for every row."""

    name: str
    values: Sequence[float | None]


def _short(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[:MAX_LABEL - 1] + "…"


def _number(value: float, unit: str) -> str:
    return (f"{value:.0%}" if unit == "%" else f"{value:g}{unit}")


def bar_chart(title: str, labels: Sequence[str], series: Sequence[Series], *,
              unit: str = "", maximum: float | None = None) -> str:
    """An SVG document: ``labels`` down the left, one bar per series and label."""
    series = list(series)[:len(COLOURS)]
    values = [v for s in series for v in s.values if v is not None]
    top = maximum if maximum is not None else max([*values, 0.0]) or 1.0
    band = ROW * max(1, len(series))
    height = 48 + band * max(1, len(labels)) + 10
    width = LABEL_WIDTH + BAR_WIDTH + 70
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
           'font-family="sans-serif" font-size="13">',
           f"<title>{escape(title)}</title>",
           f'<text x="0" y="16" font-weight="bold">{escape(title)}</text>']
    x = 0
    for colour, s in zip(COLOURS, series, strict=False):
        out.append(f'<rect x="{x}" y="24" width="12" height="12" fill="{colour}"/>'
                   f'<text x="{x + 16}" y="35">{escape(s.name)}</text>')
        x += 30 + 14 * len(s.name)
    if not labels:
        out.append('<text x="0" y="66" fill="#555">本期无数据</text>')
    for row, label in enumerate(labels):
        y0 = 48 + row * band
        out.append(f'<text x="0" y="{y0 + ROW - 9}"><title>{escape(label)}</title>'
                   f"{escape(_short(label))}</text>")
        for n, (colour, s) in enumerate(zip(COLOURS, series, strict=False)):
            value = s.values[row] if row < len(s.values) else None
            y = y0 + n * ROW + 4
            if value is None:
                out.append(f'<text x="{LABEL_WIDTH}" y="{y + 14}" fill="#555">—</text>')
                continue
            length = max(0.0, min(1.0, value / top)) * BAR_WIDTH
            out.append(f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{ROW - 8}"'
                       f' fill="{colour}"/><text x="{LABEL_WIDTH + length + 4:.1f}" '
                       f'y="{y + 14}">{escape(_number(value, unit))}</text>')
    out.append("</svg>")
    return "".join(out)
