"""The centre's list indexes: small records written in the case's own batch, so the
lists of ratings (好差评), the results announcement (办件结果公告) and the scores (考核)
read only what they show — never every case.

Each record is a slim copy of the case holding exactly the fields the list's existing
code reads, so a list built from the records is the list built from the cases:

- ``rating`` / ``unrated``: a rateable case with or without its rating (id = case id);
  ``rating:<department>``: the rated ones again, under the department the rating is
  charged to (a department's own list);
- ``result:<YYYY-MM>``: an announced finished case, by its decision's month, with the
  holder already masked; ``result-month`` names the months that have one;
- ``score:<YYYY-MM>``: a case's scorable events (task decisions and consents,
  supplement requests, the rating) and rectification, once under every month (China
  time) in which one of them, or the rectification's due date, falls.

Stores written before keep their cases: `backfill` indexes them once at start (the
worker's ``starting`` chores) and marks it done (``lists/indexed-v2``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from runtime.engine.calendar import CHINA_TZ
from runtime.engine.events import iso
from runtime.engine.rating import RatingAction
from runtime.engine.states import CaseAction, TaskAction
from runtime.engine.vocabulary import RATEABLE_CASE
from runtime.store import Store, WriteBatch

RATED, UNRATED = "rating", "unrated"
RESULT_MONTHS = "result-month"
INDEXED = ("lists", "indexed-v2")
"""Marks the back-fill done (v2: with ``rating:<department>``; ``lists/indexed`` marked
the first, so stores indexed before run it once more)."""
SCAN = 500
SKEW = timedelta(minutes=5)
"""How far another process's clock may lag ours (the back-fill's second look)."""
SCORED = frozenset({TaskAction.CONSENT, TaskAction.APPROVE, TaskAction.REJECT,
                    CaseAction.REQUEST_SUPPLEMENT, RatingAction.RATE})
"""Event actions the scoring reads (by action alone: `scoring.officers` does too)."""

Key = tuple[str, str]


def result_kind(month: str) -> str:
    """The records of results announced for decisions of ``month`` (YYYY-MM)."""
    return "result:" + month


def score_kind(month: str) -> str:
    """The slim cases with a scorable event (or a rectification due) in ``month``."""
    return "score:" + month


def rating_kind(department: str) -> str:
    """The rated cases whose rating is charged to ``department`` (its own list)."""
    return "rating:" + department


def month_of(at: str) -> str:
    """The month (YYYY-MM, China time) of an ISO moment."""
    return datetime.fromisoformat(at).astimezone(CHINA_TZ).strftime("%Y-%m")


def _rateable(case: Mapping[str, Any]) -> dict[Key, dict[str, Any]]:
    if case.get("status") not in RATEABLE_CASE:
        return {}
    doc = {k: case.get(k) for k in ("id", "number", "matter", "matter_version", "status",
                                    "decided_at", "closed_at", "rating")}
    doc["tasks"] = [{"department": t["department"]} for t in case.get("tasks") or ()]
    rating = case.get("rating")
    if not rating:
        return {(UNRATED, case["id"]): doc}
    return {(RATED, case["id"]): doc, (rating_kind(rating["department"]), case["id"]): doc}


def _result(case: Mapping[str, Any]) -> dict[Key, dict[str, Any]]:
    from runtime.services.public import ANNOUNCED, _row  # the announcement's own rule
    if case.get("status") not in ANNOUNCED:
        return {}
    row = _row(case, "")
    if row is None:
        return {}
    return {(result_kind(row.date[:7]), case["id"]): {
        "number": row.number, "matter": row.matter, "holder": row.holder,
        "result": row.result, "date": row.date}}


def _scored(case: Mapping[str, Any]) -> dict[Key, dict[str, Any]]:
    events = [{k: e.get(k) for k in ("entity", "action", "at", "seq", "task", "actor", "role")}
              for e in case.get("events") or () if e["action"] in SCORED]
    rating = case.get("rating")
    rect = (rating or {}).get("rectification") or {}
    months = {month_of(e["at"]) for e in events} | ({month_of(rect["due"])} if rect.get("due")
                                                  else set())
    if not months:
        return {}
    used = {e["task"] for e in events if e.get("task")}
    doc = {"id": case["id"], "number": case.get("number"), "events": events,
           "rating": rating, "tasks": [{k: t.get(k) for k in ("id", "department", "due")}
                                       for t in case.get("tasks") or () if t["id"] in used]}
    return {(score_kind(m), case["id"]): doc for m in sorted(months)}


def entries(case: Mapping[str, Any] | None) -> dict[Key, dict[str, Any]]:
    """Every index record of ``case``: (kind, id) → doc."""
    if not case:
        return {}
    return {**_rateable(case), **_result(case), **_scored(case)}


def sync_records(tx: WriteBatch, before: Mapping[Key, Any],
                 after: Mapping[Key, Any]) -> list[Key]:
    """Make the index records ``before`` into ``after`` (deleting what went, writing what
    changed: nothing when nothing did); the keys that are new."""
    for kind, record_id in before.keys() - after.keys():
        tx.put_record(kind, record_id, None)
    for key, doc in after.items():
        if before.get(key) != doc:
            tx.put_record(*key, doc)
    return [key for key in after if key not in before]


def track_lists(tx: WriteBatch, old: Mapping[str, Any] | None,
                new: Mapping[str, Any]) -> None:
    """Bring the case's index records up to date (in the change's batch)."""
    for kind, _ in sync_records(tx, entries(old), entries(new)):
        if kind.startswith("result:"):
            tx.put_record(RESULT_MONTHS, kind[7:], {"month": kind[7:]})


def read(store: Store, kinds: Iterable[str]) -> list[dict[str, Any]]:
    """The records of ``kinds``, one per id (a case under several months once)."""
    found: dict[str, dict[str, Any]] = {}
    for kind in kinds:
        for doc in store.list_records(kind):
            found.setdefault(doc["id"], doc)
    return list(found.values())


def months_of(period: str) -> list[str]:
    """The months of a period: ``YYYY-MM`` itself, or the twelve of ``YYYY``."""
    return [period] if len(period) == 7 else [f"{period}-{m:02d}" for m in range(1, 13)]


def _index(tx: WriteBatch, case_ids: Iterable[str]) -> None:
    """Write the records of each case as it is now: read inside the batch that writes
    them (locked there on PostgreSQL; batches run one at a time in the embedded store),
    so a request's newer write of the case is never overwritten from an older read."""
    for case_id in case_ids:
        for (kind, record_id), doc in entries(tx.get_case(case_id)).items():
            tx.put_record(kind, record_id, doc)
            if kind.startswith("result:"):
                tx.put_record(RESULT_MONTHS, kind[7:], {"month": kind[7:]})


def backfill(store: Store, now: datetime) -> int:
    """Index, once per store, the cases written before the indexes; how many cases.

    The sweep pages through the cases newest change first; a case a request changes
    meanwhile moves to the front and could be passed over, so the cases changed since
    the sweep began (less `SKEW` for other processes' clocks) are indexed once more."""
    if store.get_record(*INDEXED) is not None:
        return 0
    done = offset = 0
    while True:
        page = store.list_cases(limit=SCAN, offset=offset)
        with store.write() as tx:
            _index(tx, (case["id"] for case in page))
        done += len(page)
        if len(page) < SCAN:
            break
        offset += len(page)
    since, offset = now - SKEW, 0
    while True:
        page = store.list_cases(limit=SCAN, offset=offset)
        moved = [c["id"] for c in page if datetime.fromisoformat(c["updated_at"]) >= since]
        with store.write() as tx:
            _index(tx, moved)
        if len(moved) < len(page) or len(page) < SCAN:
            break
        offset += len(page)
    with store.write() as tx:
        tx.put_record(*INDEXED, {"at": iso(now), "cases": done})
    return 0
