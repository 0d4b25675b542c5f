"""The principal's index of entrusted cases (全程代办): one small record per case an
agent submitted for a person or company, kept in the case's own batch, so the
principal's 我的办件 reads only its own entries — never every case.

The record's kind carries the principal's number (``entrusted:<ID NUMBER>``) and its id
is the case id: both stores find a kind's records by key (PostgreSQL by the primary key
``(kind, id)``), and two cases of one principal written at once never touch the same
record.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
