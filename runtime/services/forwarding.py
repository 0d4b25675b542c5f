"""The ``forwarding`` records: a village point's case waiting for its town point to
forward it (转报), kept in step with the case in the case's own batch."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runtime.store import WriteBatch

KIND = "forwarding"


def track_forwarding(tx: WriteBatch, old: Mapping[str, Any] | None,
                     new: Mapping[str, Any]) -> None:
    """Keep the ``forwarding`` record of a case in step with it (same batch)."""
    pending = new.get("forward") or {}
    waiting = bool(pending.get("due")) and not pending.get("at") and not new.get("closed_at")
    before = (old or {}).get("forward") or {}
    was = bool(before.get("due")) and not before.get("at") and not (old or {}).get("closed_at")
    if waiting and not was:
        tx.put_record(KIND, new["id"], {"case": new["id"], "to": pending.get("to") or "",
                                        "due": pending["due"], "agent": new.get("agent")})
    elif was and not waiting:
        tx.put_record(KIND, new["id"], None)
