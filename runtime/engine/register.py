"""What a case takes from the certificate register (证照库, 免提交): pure.

The services look the holder's certificates up (``found``: kind -> register entry, only
those still valid) and the engine decides what they satisfy: each applicable material
declared ``certificate: KIND`` needs no upload, and each field of the matter's
``register.fields`` is filled from the entry and locked (whatever was sent is replaced).
The case keeps ``register = {holder, materials: {id: entry}, fields: {path: {...}}}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from builder.spec import MatterSpec
from runtime.engine.events import clone

Entry = Mapping[str, Any]


def get_path(data: Any, dotted: str) -> Any:
    """The value at ``a.b`` in nested objects, or None."""
    node = data
    for part in dotted.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def _set_path(data: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = data
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value


def holder_number(matter: MatterSpec, data: Any) -> str:
    """The holder's credit code or ID number the matter looks certificates up by, as
    written in the answers (upper-cased, spaces removed); "" when there is none."""
    if matter.register is None:
        return ""
    value = get_path(data, matter.register.holder)
    return "".join(value.split()).upper() if isinstance(value, str) else ""


def wanted(matter: MatterSpec) -> tuple[str, ...]:
    """The certificate kinds this matter may take from the register."""
    return matter.register.kinds(matter) if matter.register is not None else ()


def take(matter: MatterSpec, data: Any, found: Mapping[str, Entry]
         ) -> tuple[Any, dict[str, Any] | None]:
    """``data`` with the locked fields filled from ``found``, and the case's ``register``
    record (None when nothing came from the register)."""
    if matter.register is None or not isinstance(data, Mapping) or not found:
        return data, None
    materials = {m.id: _summary(found[m.certificate])
                 for m in matter.applicable_materials(data)
                 if m.certificate and m.certificate in found}
    fields: dict[str, Any] = {}
    new = clone(data)
    for name, kind, attribute in matter.register.fields:
        entry = found.get(kind)
        if entry is None or entry.get(attribute) in (None, ""):
            continue
        _set_path(new, name, entry[attribute])
        fields[name] = {"kind": kind, "attribute": attribute, "case": entry.get("case"),
                        "case_number": entry.get("case_number"), "name": entry.get("name")}
    if not materials and not fields:
        return data, None
    return new, {"holder": holder_number(matter, data), "materials": materials,
                 "fields": fields}


def taken_materials(case: Mapping[str, Any]) -> frozenset[str]:
    """Materials the register satisfied on this case (免提交)."""
    return frozenset((case.get("register") or {}).get("materials") or {})


def _summary(entry: Entry) -> dict[str, Any]:
    keys = ("name", "number", "holder", "holder_name", "case", "case_number", "issued_at",
            "valid_until")
    return {"kind": entry.get("certificate"), **{k: entry.get(k) for k in keys}}
