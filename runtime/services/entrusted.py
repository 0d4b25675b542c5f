"""The principal's index of entrusted cases (全程代办): one small record per case an
agent submitted for a person or company, kept in the case's own batch, so the
principal's 我的办件 reads only its own entries — never every case.

The record's kind carries the principal's number (``entrusted:<ID NUMBER>``) and its id
is the case id: both stores find a kind's records by key (PostgreSQL by the primary key
``(kind, id)``), and two cases of one principal written at once never touch the same
record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from runtime.engine.events import iso
from runtime.store import Store, WriteBatch

PREFIX = "entrusted:"


def kind_of(id_number: str) -> str:
    """The record kind holding one principal's entrusted cases."""
    return PREFIX + id_number.strip().upper()


def _principal(case: Mapping[str, Any] | None) -> str:
    """The principal's number once the case is submitted ('' before, or no agent)."""
    if not case or not case.get("agent") or not case.get("submitted_at"):
        return ""
    return str((case.get("on_behalf_of") or {}).get("id_number") or "").strip().upper()


def track_entrusted(tx: WriteBatch, old: Mapping[str, Any] | None,
                    new: Mapping[str, Any]) -> None:
    """Index a submitted entrusted case under its principal's number (same batch)."""
    number, before = _principal(new), _principal(old)
    if number == before:
        return
    if before:
        tx.put_record(kind_of(before), new["id"], None)
    if number:
        tx.put_record(kind_of(number), new["id"], {"case": new["id"], "agent": new["agent"],
                                                   "submitted_at": new["submitted_at"]})


def entrusted_ids(store: Store, id_number: str) -> list[str]:
    """The ids of the cases entrusted by the holder of ``id_number``."""
    if not id_number.strip():
        return []
    return [r["case"] for r in store.list_records(kind_of(id_number))]


#: The record marking that the entrusted cases submitted before the index existed were
#: indexed (once per store; later writes keep the index in their own batch).
BACKFILLED = ("worker", "entrusted-index")
PAGE = 500


def backfill_entrusted(store: Store, now: datetime) -> int:
    """Index the entrusted cases submitted before the principal's index existed: a
    one-time sweep at start, marked done by ``BACKFILLED``; how many were indexed.
    Writing an entry that is already there changes nothing, so two processes starting
    together agree."""
    if store.get_record(*BACKFILLED) is not None:
        return 0
    found, offset = 0, 0
    while True:
        page = store.list_cases(limit=PAGE, offset=offset)
        missing = [c for c in page if (number := _principal(c))
                   and store.get_record(kind_of(number), c["id"]) is None]
        if missing:
            with store.write() as tx:
                for case in missing:
                    track_entrusted(tx, None, case)
            found += len(missing)
        if len(page) < PAGE:
            break
        offset += len(page)
    with store.write() as tx:
        tx.put_record(*BACKFILLED, {"at": iso(now), "indexed": found})
    return found


def backfill_at_start(store: Store) -> Callable[[datetime], int]:
    """The worker's start-up chore (``Worker.starting``): the back-fill, adding no job."""
    def chore(now: datetime) -> int:
        backfill_entrusted(store, now)
        return 0
    return chore
