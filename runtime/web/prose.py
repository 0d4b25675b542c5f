"""Catalog prose (the one-time notice, notes) as people read it, not as the YAML wraps it.

Administrators hard-wrap long lines in YAML; a page shows paragraphs, and within a
paragraph keeps a line break only where the author meant one: before a numbered item
or after a heading or a sentence/clause end. Continuation lines are joined (Chinese
text joins without a space).
"""

from __future__ import annotations

import re

MARKER = re.compile(r"^(?:[0-9]+[.、)）]|[（(][0-9一二三四五六七八九十]+[)）]|"
                    r"[一二三四五六七八九十]+、|[-•·*] )")
ENDS = tuple("。；：！？:;!?」”\"")
HEADING_CHARS = 16


def paragraphs(text: str) -> list[list[str]]:
    """The text's paragraphs, each a list of the lines to show."""
    out: list[list[str]] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines: list[str] = []
        for raw in block.splitlines():
            line = raw.strip()
            if not line:
                continue
            if lines and not MARKER.match(line) and not _ends(lines[-1]):
                lines[-1] = _join(lines[-1], line)
            else:
                lines.append(line)
        if lines:
            out.append(lines)
    return out


def _ends(line: str) -> bool:
    """A line after which a break was meant: a sentence end or a short heading."""
    return line.endswith(ENDS) or (bool(MARKER.match(line)) and len(line) <= HEADING_CHARS)


def _join(left: str, right: str) -> str:
    if left[-1].isascii() and left[-1].isalnum() and right[0].isascii() and right[0].isalnum():
        return f"{left} {right}"
    return left + right
