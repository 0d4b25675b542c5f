"""The published rating counts (好差评 per department) without reading every case.

Derived records, written in the case's own batch (next to `list_index`):

- ``rating-tally`` (id = department): how many rated cases count with each level
  (keys ``"1"`` … ``"5"``; a case whose appeal was upheld counts nowhere);
- ``unrated-tally`` (id = the responsible department): how many unrated rateable cases
  were decided on each day (keys ``YYYY-MM-DD``, China time, of ``decided_at`` or else
  ``closed_at``);
- ``unrated-day:<YYYY-MM-DD>`` (id = case id): those cases one by one, with their
  responsible department, for the few days at the threshold.

A change moves the case's contribution (old minus new) with `WriteBatch.add_counts`, so
concurrent batches lose no increment; most changes move nothing and write nothing.

Counting at ``now`` (`counts`): the rated tallies; for each day whose every moment is
``default_days`` or more before ``now`` its unrated tally (基本满意 by default); for the
days at the threshold, each case of the day judged by `counted_level` itself — the
same rule as before, so the counts are exactly those of reading every case.

Stores written before keep their cases: `backfill` makes the tallies once from the
``rating`` / ``unrated`` list records, replacing (never adding to) any tally, in one
batch with its marker ``lists/tallied``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from runtime.engine import rating as engine_rating
from runtime.engine.calendar import CHINA_TZ
from runtime.engine.events import iso
from runtime.engine.vocabulary import RATEABLE_CASE
from runtime.services import list_index
from runtime.services.errors import ServiceError
from runtime.store import Store, WriteBatch

RATED_TALLY, UNRATED_TALLY = "rating-tally", "unrated-tally"
TALLIED = ("lists", "tallied")
"""Marks the back-fill done."""
MARGIN = timedelta(minutes=1)
"""Days this close to the threshold are judged case by case (float days, rounding)."""

EPOCH = datetime(2000, 1, 1, tzinfo=CHINA_TZ)
Key = tuple[str, str]
Lead = Callable[[Mapping[str, Any]], str]
"""The lead department of a case's matter (raises `ServiceError` when unknown)."""


def unrated_day_kind(day: str) -> str:
    """The unrated rateable cases decided on ``day`` (YYYY-MM-DD, China time)."""
    return "unrated-day:" + day


def responsible(case: Mapping[str, Any], lead: str) -> str:
    """The matter's lead department when it has a task on the case, else the first
    department that has one (a 差评 must reach someone who can see the case)."""
    departments = [t["department"] for t in case.get("tasks") or ()]
    return lead if lead in departments or not departments else departments[0]


def decision_day(case: Mapping[str, Any]) -> str | None:
    """The day (China time) the rating's default period runs from, or None."""
    decided = case.get("decided_at") or case.get("closed_at")
    if not decided:
        return None
    return datetime.fromisoformat(decided).astimezone(CHINA_TZ).date().isoformat()


def contribution(case: Mapping[str, Any] | None, lead: str
                 ) -> tuple[Key | None, Key | None, dict[str, Any] | None]:
    """What ``case`` adds to the tallies: (rated tally, level) or None, (unrated tally,
    day) or None, and its ``unrated-day`` record or None."""
    if not case or case.get("status") not in RATEABLE_CASE:
        return None, None, None
    rating = case.get("rating")
    if rating:
        level = engine_rating.counted_level(case, EPOCH, 0.0)  # (a rating's: at any time)
        return (None if level is None else (rating["department"], str(level))), None, None
    day = decision_day(case)
    if day is None:
        return None, None, None
    department = responsible(case, lead)
    doc = {k: case.get(k) for k in ("id", "status", "decided_at", "closed_at")}
    return None, (department, day), {**doc, "rating": None, "department": department}


def track_tally(tx: WriteBatch, old: Mapping[str, Any] | None, new: Mapping[str, Any],
                lead: str) -> None:
    """Move the case's contribution to the tallies (in the change's batch)."""
    before, after = contribution(old, lead), contribution(new, lead)
    if before == after:
        return
    for kind, was, now in ((RATED_TALLY, before[0], after[0]),
                           (UNRATED_TALLY, before[1], after[1])):
        if was != now:
            if was is not None:
                tx.add_counts(kind, was[0], {was[1]: -1})
            if now is not None:
                tx.add_counts(kind, now[0], {now[1]: 1})
    was_day, now_day = (None if k is None else k[1] for k in (before[1], after[1]))
    if was_day is not None and was_day != now_day:
        tx.put_record(unrated_day_kind(was_day), new["id"], None)
    if now_day is not None and after[2] != before[2]:
        tx.put_record(unrated_day_kind(now_day), new["id"], after[2])


def _day_bounds(day: str) -> tuple[datetime, datetime]:
    start = datetime.combine(date.fromisoformat(day), time(), CHINA_TZ)
    return start, start + timedelta(days=1)


def counted(store: Store, now: datetime, default_days: float
            ) -> dict[str, dict[int, tuple[int, int]]]:
    """Per department, per level: (how many count, how many of them by default)."""
    found: dict[str, dict[int, tuple[int, int]]] = {}

    def add(department: str, level: int, n: int, default: int) -> None:
        levels = found.setdefault(department, {})
        total, by_default = levels.get(level, (0, 0))
        levels[level] = (total + n, by_default + default)

    for record in store.list_records(RATED_TALLY):
        for key, n in _counts(record):
            add(record["id"], int(key), n, 0)
    period = timedelta(days=default_days)
    near: set[str] = set()
    for record in store.list_records(UNRATED_TALLY):
        for day, n in _counts(record):
            start, end = _day_bounds(day)
            if end + period + MARGIN <= now:
                add(record["id"], engine_rating.DEFAULT_LEVEL, n, n)
            elif start + period - MARGIN <= now and n:
                near.add(day)
    for day in sorted(near):
        for case in store.list_records(unrated_day_kind(day)):
            level = engine_rating.counted_level(case, now, default_days)
            if level is not None:
                add(case["department"], level, 1, 1)
    return found


def _counts(record: Mapping[str, Any]) -> Iterable[tuple[str, int]]:
    return ((k, int(n)) for k, n in record.items() if k not in ("kind", "id"))


def backfill(store: Store, lead: Lead, now: datetime) -> int:
    """Make the tallies, once per store, from the list records (`list_index`, back-filled
    before), and the ``unrated-day`` records. Each unrated case's day record is written
    from its ``unrated`` record read again inside the batch (locked on PostgreSQL, as
    `list_index` does), so a newer write wins. The tallies are computed from scratch in
    one batch with the marker, holding the counts (`WriteBatch.hold_counts`): a case
    change committed before is in what it reads, a later one adds to what it writes; it
    replaces whatever tally there was, so a second run does no harm."""
    if store.get_record(*TALLIED) is not None:
        return 0
    unrated = [doc["id"] for doc in store.list_records(list_index.UNRATED)]
    for first in range(0, len(unrated), list_index.SCAN):
        with store.write() as tx:
            for case_id in unrated[first:first + list_index.SCAN]:
                case = tx.get_record(list_index.UNRATED, case_id)
                _, day, doc = _contribution_or_none(case, lead)
                if day is not None and doc is not None:
                    tx.put_record(unrated_day_kind(day[1]), case_id, doc)
    with store.write() as tx:
        tx.hold_counts()
        tallies: dict[str, dict[str, dict[str, int]]] = {RATED_TALLY: {}, UNRATED_TALLY: {}}
        cases = 0
        for kind in (list_index.RATED, list_index.UNRATED):
            for case in store.list_records(kind):
                rated, day, _ = _contribution_or_none(case, lead)
                for name, key in ((RATED_TALLY, rated), (UNRATED_TALLY, day)):
                    if key is not None:
                        counts = tallies[name].setdefault(key[0], {})
                        counts[key[1]] = counts.get(key[1], 0) + 1
                cases += 1
        for kind, tally in tallies.items():
            for record in store.list_records(kind):
                if record["id"] not in tally:
                    tx.put_record(kind, record["id"], None)
            for department, made in tally.items():
                tx.put_record(kind, department, made)
        tx.put_record(*TALLIED, {"at": iso(now), "cases": cases})
    return 0


def _contribution_or_none(case: Mapping[str, Any] | None, lead: Lead
                          ) -> tuple[Key | None, Key | None, dict[str, Any] | None]:
    """`contribution` of a list record; nothing for an unrated case of an unknown matter
    (the counts skipped those before)."""
    if case is None or case.get("rating"):
        return contribution(case, "")
    try:
        return contribution(case, lead(case))
    except ServiceError:
        return None, None, None
