"""The complaints' list indexes: records written in the complaint's own batch, so a
department's list reads only the complaints assigned to it, an applicant's only their
own, and the scoring of a month only the complaints closed in it — never every
complaint.

- ``complaint-department:<department>``: a copy of each complaint the department sees
  (assigned to it, not merely filed naming it); an assignment to another department
  moves it;
- ``complaint-applicant:<user>``: a copy of each complaint the applicant filed;
- ``complaint-closed:<YYYY-MM>``: a closed complaint, by its closing's month (China
  time), with exactly what the scoring reads (`scoring.hits_of_complaint`).

Stores written before keep their complaints: `backfill` indexes them once at start
(the worker's ``starting`` chores) and marks it done (``lists/complaints-indexed``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from runtime.engine.complaints import ComplaintAction, ComplaintStatus
from runtime.engine.events import iso
from runtime.services.list_index import Key, month_of, sync_records
from runtime.store import Store, WriteBatch

KIND = "complaint"
INDEXED = ("lists", "complaints-indexed")
BATCH = 200


def department_kind(department: str) -> str:
    """The complaints assigned to ``department``."""
    return "complaint-department:" + department


def applicant_kind(user_id: str) -> str:
    """The complaints filed by the applicant ``user_id``."""
    return "complaint-applicant:" + user_id


def closed_kind(month: str) -> str:
    """The complaints closed in ``month`` (YYYY-MM, China time), as the scoring reads them."""
    return "complaint-closed:" + month


def _copy(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "kind"}


def entries(doc: Mapping[str, Any] | None) -> dict[Key, dict[str, Any]]:
    """Every index record of the complaint ``doc``: (kind, id) → doc."""
    if not doc:
        return {}
    found = {(applicant_kind(doc["applicant"]), doc["id"]): _copy(doc)}
    if doc.get("department") and doc["status"] != ComplaintStatus.SUBMITTED:
        found[(department_kind(doc["department"]), doc["id"])] = _copy(doc)
    closing = next((h for h in doc.get("history") or () if h["action"] == ComplaintAction.CLOSE),
                   None)
    if closing is not None:
        found[(closed_kind(month_of(closing["at"])), doc["id"])] = {
            **{k: doc.get(k) for k in ("id", "case_number", "text", "department", "result")},
            "history": [closing]}
    return found


def track_complaint(tx: WriteBatch, old: Mapping[str, Any] | None,
                    new: Mapping[str, Any]) -> None:
    """Bring the complaint's index records up to date (in the change's batch)."""
    sync_records(tx, entries(old), entries(new))


def read(store: Store, kinds: Iterable[str]) -> list[dict[str, Any]]:
    """The complaints of ``kinds`` (as the ``complaint`` records read back)."""
    return [{**doc, "kind": KIND} for kind in kinds for doc in store.list_records(kind)]


def backfill(store: Store, now: datetime) -> int:
    """Index, once per store, the complaints written before the indexes; how many.

    Each complaint is read again inside the batch that writes its records (locked there
    on PostgreSQL; batches run one at a time in the embedded store), so a complaint a
    request changes meanwhile keeps the records of its newer version."""
    if store.get_record(*INDEXED) is not None:
        return 0
    ids = [doc["id"] for doc in store.list_records(KIND)]
    for start in range(0, len(ids), BATCH):
        with store.write() as tx:
            for complaint_id in ids[start:start + BATCH]:
                for (kind, record_id), doc in entries(tx.get_record(KIND, complaint_id)).items():
                    tx.put_record(kind, record_id, doc)
    with store.write() as tx:
        tx.put_record(*INDEXED, {"at": iso(now), "complaints": len(ids)})
    return 0
