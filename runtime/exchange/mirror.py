"""The receiving centre's side of a task sent to it: a built-in one-step matter (the
"mirror") derived from the acceptance message, so that its officers claim, suspend,
give opinions, approve with the form or reject exactly as for a local task."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

MIRROR_PREFIX = "x."
"""Mirror matter ids start so; a catalog matter id never does (``^[a-z0-9][a-z0-9-]*$``)."""


def mirror_id(peer: str, matter: str, step: str) -> str:
    """The id of the mirror matter of ``step`` of ``matter`` from ``peer``."""
    return f"{MIRROR_PREFIX}{peer}.{matter}.{step}"


def is_mirror(matter_id: str) -> bool:
    """Whether a matter id names a mirror (never published, never applied for)."""
    return matter_id.startswith(MIRROR_PREFIX)


def _field(title: str, value: Any) -> dict[str, Any]:
    kind = ("boolean" if isinstance(value, bool) else "number"
            if isinstance(value, int | float) else "string")
    return {"type": kind, "title": title}


def case_data(body: Mapping[str, Any]) -> dict[str, Any]:
    """What the mirror case holds as its data: only the values the step may read (an
    output not given upstream is left out)."""
    return {item["key"]: item["value"] if isinstance(item["value"], str | bool | int | float)
            else json.dumps(item["value"], ensure_ascii=False) for item in body.get("data") or ()
            if item.get("value") is not None}


def mirror_matter(peer: str, peer_name: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """The matter document (as a catalog file would write it) of an acceptance's step."""
    matter, step = body["matter"], body["step"]
    properties = {item["key"]: _field(str(item.get("title") or item["key"]), item.get("value"))
                  for item in body.get("data") or ()}
    materials = [{"id": m["id"], "name": m["name"], "required": False,
                  "accept": sorted({f["name"].rpartition(".")[2].lower()
                                    for f in m.get("files") or () if "." in f["name"]}
                                   | set(m.get("accept") or ()) or {"pdf"}),
                  **({"deferrable": True} if "deferred" in m else {})}
                 for m in body.get("materials") or ()]
    days = float(body.get("limit_days") or step.get("days") or 1)
    doc: dict[str, Any] = {
        "id": mirror_id(peer, matter["id"], step["id"]),
        "name": f"{matter['name']}·{step['name']}（{peer_name}）",
        "version": int(matter.get("version") or 1),
        "lead": body["department"], "time_limit": days, "statutory_limit": days,
        "form": {"type": "object", "properties": properties},
        "ui": {"order": list(properties)},
        "materials": materials,
        "steps": [{"id": step["id"], "name": step["name"], "department": body["department"],
                   "days": days, "materials": [m["id"] for m in materials],
                   **({"form": step["form"]} if step.get("form") else {}),
                   **({"outputs": list(step["outputs"])} if step.get("outputs") else {}),
                   **({"reply_options": list(step["reply_options"])}
                      if step.get("reply_options") else {})}],
    }
    return doc


def deferrals(body: Mapping[str, Any]) -> list[Any]:
    """The materials the sender accepted as missing (容缺), to be supplied later by a
    补正 message: ids, or (id, due) when the sender gave a due date."""
    out: list[Any] = []
    for m in body.get("materials") or ():
        if "deferred" in m and not m.get("files"):
            due = m["deferred"]
            out.append((m["id"], datetime.fromisoformat(due)) if due else m["id"])
    return out
