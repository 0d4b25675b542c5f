"""The form fields a matter's conditions and ``ui`` name, found in its JSON Schemas."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from builder.source import Path_


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def form_fields(doc: Mapping[str, Any]) -> list[str] | None:
    """The top-level field names of a matter's form, None when it has no usable form."""
    form = doc.get("form")
    props = form.get("properties") if isinstance(form, dict) else None
    return list(props) if isinstance(props, dict) else None


def schema_has_path(schema: Any, parts: list[str]) -> bool:
    """True when ``a.b`` (as parts) names a field of ``schema``, through lists too."""
    node = schema
    for part in parts:
        while isinstance(node, dict) and node.get("type") == "array":
            node = node.get("items")
        props = node.get("properties") if isinstance(node, dict) else None
        if not isinstance(props, dict) or part not in props:
            return False
        node = props[part]
    return True


def condition_properties(block: Any, path: Path_) -> Iterator[tuple[Path_, str]]:
    """Top-level property names a condition fragment tests, with their paths."""
    if not isinstance(block, dict):
        return
    props = block.get("properties")
    if isinstance(props, dict):
        for name in props:
            yield (*path, "properties", name), name
    for i, name in enumerate(_strings(block.get("required"))):
        yield (*path, "required", i), name
    for key in ("allOf", "anyOf", "oneOf"):
        subs = block.get(key)
        for i, sub in enumerate(subs if isinstance(subs, list) else []):
            yield from condition_properties(sub, (*path, key, i))
    if isinstance(block.get("not"), dict):
        yield from condition_properties(block["not"], (*path, "not"))


