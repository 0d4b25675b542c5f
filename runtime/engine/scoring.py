"""考核: monthly and yearly scores per department and officer under catalog/scoring.yaml.

Pure. Every point comes from one event of a case (or a complaint) and carries its key
(``rule:case:seq``) so it can be traced and, by a supervisor, annulled with a reason.
A score is ``base`` + deductions + bonuses (at most ``bonus_cap``), never below
``floor``; a department's band adds or takes points on top (``band_points``); an
officer's grade is the first whose minimum the score reaches (and, with ``top_share``,
only for the best share of officers).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from runtime.engine.calendar import CHINA_TZ
from runtime.engine.rating import BAD, RatingAction, Rectification
from runtime.engine.states import CaseAction, Role, TaskAction

_DECIDING = {TaskAction.APPROVE, TaskAction.REJECT}


@dataclass(frozen=True)
class Hit:
    """One event a rule counts: who it is charged to, and where it comes from."""

    rule: str
    department: str | None
    staff: str | None
    key: str
    at: str
    number: str
    note: str = ""


@dataclass
class Item:
    """A rule's points for one subject, with the events behind them."""

    rule: str
    name: str
    points_each: float
    hits: list[Hit] = field(default_factory=list)
    annulled: list[tuple[Hit, Mapping[str, Any]]] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many events count (annulled ones do not)."""
        return len(self.hits)

    @property
    def points(self) -> float:
        """The rule's points for this subject."""
        return round(self.points_each * len(self.hits), 2)


@dataclass
class Score:
    """One department's or officer's score in a period."""

    subject: str
    name: str
    base: float
    items: list[Item]
    score: float = 0.0
    band_points: float = 0.0
    grade: str = ""


def in_period(at: str | None, period: str) -> bool:
    """Whether an ISO moment falls in ``period`` (``YYYY`` or ``YYYY-MM``, China time)."""
    if not at:
        return False
    local = datetime.fromisoformat(at).astimezone(CHINA_TZ)
    return local.strftime("%Y-%m" if len(period) == 7 else "%Y") == period


def hits_of_case(case: Mapping[str, Any], period: str, now: datetime) -> list[Hit]:
    """Every scorable event of one case in the period."""
    hits: list[Hit] = []
    number = case.get("number") or ""
    tasks = {t["id"]: t for t in case.get("tasks") or ()}
    supplements = 0
    for event in case.get("events") or ():
        action, at, seq = event["action"], event["at"], event.get("seq", 0)
        key = f"{case['id']}:{seq}"
        if event["entity"] == "task":
            task = tasks.get(event.get("task") or "")
            if task is None or not in_period(at, period):
                continue
            if action == TaskAction.CONSENT:
                hits.append(Hit("task_consented", task["department"], None, key, at, number))
            # A consent is late by definition: it is counted once, as a consent.
            if action in _DECIDING and task.get("due") and \
                    datetime.fromisoformat(at) > datetime.fromisoformat(task["due"]):
                staff = event["actor"] if event.get("role") == Role.DEPARTMENT else None
                hits.append(Hit("task_overdue", task["department"], staff, key, at, number))
        elif event["entity"] == "case" and action == CaseAction.REQUEST_SUPPLEMENT:
            supplements += 1
            if supplements > 1 and in_period(at, period):
                hits.append(Hit("supplement_repeated", None, event["actor"], key, at, number))
        elif event["entity"] == "rating" and action == RatingAction.RATE and in_period(at, period):
            rating = case.get("rating") or {}
            rect = rating.get("rectification") or {}
            if rating.get("level") in BAD and rect.get("status") != Rectification.ANNULLED:
                hits.append(Hit("bad_rating", rating["department"], None, key, at, number,
                                rating.get("comment", "")))
            elif rating.get("level") == 5:
                hits.append(Hit("good_rating", rating["department"], None, key, at, number))
    rect = (case.get("rating") or {}).get("rectification")
    if rect and rect.get("due") and in_period(rect["due"], period):
        answered = (rect.get("reply") or rect.get("appeal") or {}).get("at")
        due = datetime.fromisoformat(rect["due"])
        late = datetime.fromisoformat(answered) > due if answered else now > due
        if late and rect.get("status") != Rectification.ANNULLED:
            hits.append(Hit("rectification_late", rect["department"], None,
                            f"{case['id']}:rectification", rect["due"], number))
    return hits


def hits_of_complaint(doc: Mapping[str, Any], period: str) -> list[Hit]:
    """A complaint closed in the period against a department; upheld (投诉属实); and the
    refusal or rejection its closing overturned, charged to whoever decided it."""
    closing = next((h for h in doc.get("history", ()) if h["action"] == "close"), None)
    if closing is None or not in_period(closing["at"], period):
        return []
    at, number, note = closing["at"], doc.get("case_number") or "", doc.get("text", "")
    result = doc.get("result") or {}
    hits = []
    if doc.get("department"):
        hits.append(Hit("complaint_closed", doc["department"], None, f"{doc['id']}:close",
                        at, number, note))
        if result.get("verdict") == "upheld":
            hits.append(Hit("complaint_upheld", doc["department"], None,
                            f"{doc['id']}:upheld", at, number, note))
    overturned = result.get("overturned")
    if overturned:  # traced to the deciding event of the case: case:seq
        hits.append(Hit("refusal_overturned", overturned.get("department"),
                        overturned.get("staff"),
                        f"{overturned['case']}:{overturned['seq']}:overturned", at,
                        overturned.get("number") or number, result.get("text", "")))
    return hits


def score(hits: Iterable[Hit], rules: Mapping[str, Any], *, departments: Mapping[str, str],
          staff: Mapping[str, str], annulled: Mapping[str, Mapping[str, Any]]
          ) -> tuple[list[Score], list[Score]]:
    """Department and staff scores (by name) from the hits under ``rules``."""
    base = float(rules.get("base", 100))
    by_event: dict[str, list[Mapping[str, Any]]] = {}
    for rule in rules.get("rules", ()):
        by_event.setdefault(rule["event"], []).append(rule)
    dept_items: dict[str, dict[str, Item]] = {d: {} for d in departments}
    staff_items: dict[str, dict[str, Item]] = {u: {} for u in staff}
    for hit in hits:
        for rule in by_event.get(hit.rule, ()):
            targets = []
            if hit.department:
                targets.append(dept_items.setdefault(hit.department, {}))
            if hit.staff and rule.get("staff"):
                targets.append(staff_items.setdefault(hit.staff, {}))
            key = f"{rule['id']}:{hit.key}"
            for items in targets:
                item = items.setdefault(rule["id"], Item(rule["id"], rule["name"],
                                                          float(rule["points"])))
                if key in annulled:
                    item.annulled.append((hit, annulled[key]))
                else:
                    item.hits.append(hit)
    order = {r["id"]: n for n, r in enumerate(rules.get("rules", ()))}

    def listed(items: Mapping[str, Item]) -> list[Item]:
        """Items in the catalog's order, events by time (whatever order cases came in)."""
        for item in items.values():
            item.hits.sort(key=lambda h: (h.at, h.key))
            item.annulled.sort(key=lambda a: (a[0].at, a[0].key))
        return sorted(items.values(), key=lambda i: order[i.rule])
    depts = [_total(Score(d, departments.get(d, d), base, listed(i)), rules)
             for d, i in dept_items.items()]
    for s in depts:
        s.band_points = band(s.score, rules.get("bands") or {})
    people = [_total(Score(u, staff.get(u, u), base, listed(i)), rules)
              for u, i in staff_items.items()]
    _grade(people, rules.get("grades") or [])
    return sorted(depts, key=lambda s: s.name), sorted(people, key=lambda s: (-s.score, s.name))


def _total(s: Score, rules: Mapping[str, Any]) -> Score:
    minus = sum(i.points for i in s.items if i.points < 0)
    plus = sum(i.points for i in s.items if i.points > 0)
    cap = rules.get("bonus_cap")
    if cap is not None:
        plus = min(plus, float(cap))
    s.score = round(max(float(rules.get("floor", 0)), s.base + minus + plus), 2)
    return s


def band(value: float, bands: Mapping[str, Any]) -> float:
    """A department's reward or penalty for its score (Shiquan: above 94 +2; below 85
    −1 for every 5 points or part of them, at most −3)."""
    if "above" in bands and value > bands["above"]:
        return float(bands.get("above_points", 0))
    if "below" in bands and value < bands["below"]:
        steps = math.ceil((bands["below"] - value) / bands.get("below_step", 5))
        points = steps * float(bands.get("below_points", -1))
        return max(points, float(bands.get("below_limit", points)))
    return 0.0


def _grade(people: list[Score], grades: list[Mapping[str, Any]]) -> None:
    ranked = sorted(people, key=lambda s: -s.score)
    for rank, person in enumerate(ranked, start=1):
        for grade in grades:
            share = grade.get("top_share")
            if person.score >= grade["min"] and (
                    share is None or rank <= math.ceil(share * len(ranked))):
                person.grade = grade["name"]
                break


def collect(cases: Iterable[Mapping[str, Any]], complaints: Iterable[Mapping[str, Any]],
            period: str, now: datetime) -> list[Hit]:
    """Every hit of the period."""
    hits = [h for c in cases for h in hits_of_case(c, period, now)]
    return hits + [h for d in complaints for h in hits_of_complaint(d, period)]


def officers(cases: Iterable[Mapping[str, Any]], period: str,
             is_staff: Callable[[str], bool]) -> set[str]:
    """Officers who decided a task or requested a supplement in the period (so an
    officer with a clean record is scored too)."""
    found = set()
    for case in cases:
        for event in case.get("events") or ():
            if event["action"] in (*_DECIDING, CaseAction.REQUEST_SUPPLEMENT) and \
                    in_period(event["at"], period) and is_staff(event["actor"]):
                found.add(event["actor"])
    return found
