"""Near-miss names: the "did you mean …" of every message."""

from __future__ import annotations

from collections.abc import Iterable

# Words people reach for from other workflow tools, and the key onewindow uses.
SYNONYMS = {
    "depends_on": "needs", "depends": "needs", "requires": "needs", "after": "needs",
    "prerequisites": "needs", "predecessors": "needs", "upstream": "needs",
    "dept": "department", "department_id": "department", "depts": "departments",
    "duration": "days", "limit": "days", "deadline": "days", "time": "days",
    "condition": "when", "if": "when", "title": "name", "label": "name",
    "output": "outputs", "input": "reads", "inputs": "reads", "read": "reads",
    "need": "needs", "material": "materials", "step": "steps", "promised_limit": "time_limit",
    "legal_limit": "statutory_limit", "types": "accept", "extensions": "accept",
}


def _distance(a: str, b: str) -> int:
    """Optimal-string-alignment edit distance (a swap of neighbours costs 1)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def _prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate ``name`` was most likely meant to be, if any is close enough."""
    options = list(candidates)
    if SYNONYMS.get(name) in options:
        return SYNONYMS[name]
    lowered = name.lower()
    best: tuple[int, int, int] | None = None
    choice = None
    for index, option in enumerate(options):
        dist = _distance(lowered, option.lower())
        if dist > max(1, min(len(name), len(option)) // 3):
            continue
        rank = (dist, -_prefix(lowered, option.lower()), index)
        if best is None or rank < best:
            best, choice = rank, option
    return choice


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for a close candidate, else an empty string."""
    return hint_text(closest(name, candidates))


def hint_text(close: str | None) -> str:
    """`` (did you mean 'x'?)`` for what ``closest`` found, else an empty string."""
    return f" (did you mean '{close}'?)" if close else ""
