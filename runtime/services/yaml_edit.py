"""Small edits to YAML text that keep everything else as the person wrote it.

Catalog files are written by hand too, with comments that explain them. Setting a
matter's ``version`` or renaming a department therefore changes only the characters
of that value. Every edit is verified by parsing the result; when a layout is too
unusual to edit in place (flow-style documents, block scalars) the document is
written out again in full, which loses comments but never changes meaning.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from builder.guided.positions import after_line, line_start, node_end, reads_as

_FLOW_UNSAFE = set(",[]{}#:&*!|>'\"%@`\n\r\t")
# Characters YAML refuses or folds as line breaks even inside quotes (json.dumps
# leaves them raw): escape them.
_NOT_PRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")


def scalar(value: str | int) -> str:
    """``value`` as a YAML scalar usable inside a flow mapping: plain when that reads
    back unchanged, else double-quoted (a JSON string is a valid YAML one)."""
    if isinstance(value, int):
        return str(value)
    if value and value == value.strip() and not _FLOW_UNSAFE & set(value) and \
            value[0] not in "-?" and reads_as(value, value):
        return value
    quoted = json.dumps(value, ensure_ascii=False)
    return _NOT_PRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def _compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None


def _load(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None


def _dump(value: Any) -> str:
    return str(yaml.safe_dump(value, allow_unicode=True, sort_keys=False, width=100))


def _top_mapping(root: yaml.Node | None) -> yaml.MappingNode | None:
    if isinstance(root, yaml.MappingNode) and not root.flow_style:
        return root
    return None


def set_top_scalar(text: str, key: str, value: str | int, *, after: str = "id") -> str:
    """``text`` with the top-level ``key`` set to ``value``; a missing key is added on
    the line after ``after``. The text must parse to a mapping."""
    expected = _load(text)
    if not isinstance(expected, dict):
        raise ValueError("not a YAML mapping")
    expected = {**expected, key: value} if key in expected else _insert(expected, after,
                                                                         key, value)
    edited = _edit_top(text, key, value, after)
    if edited is not None and _load(edited) == expected:
        return edited
    return _dump(expected)


def _insert(doc: dict[str, Any], after: str, key: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in doc.items():
        out[k] = v
        if k == after:
            out[key] = value
    out.setdefault(key, value)
    return out


def _edit_top(text: str, key: str, value: str | int, after: str) -> str | None:
    root = _top_mapping(_compose(text))
    if root is None:
        return None
    anchor: tuple[yaml.Node, yaml.Node] | None = None
    for k, v in root.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            if not isinstance(v, yaml.ScalarNode) or v.style in ("|", ">"):
                return None
            return text[:v.start_mark.index] + scalar(value) + text[v.end_mark.index:]
        if isinstance(k, yaml.ScalarNode) and k.value == after:
            anchor = (k, v)
    if anchor is None:
        return None
    k, v = anchor
    at = after_line(text, node_end(v))
    line = " " * k.start_mark.column + f"{key}: {scalar(value)}\n"
    prefix = text[:at] if text[:at].endswith("\n") else text[:at] + "\n"
    return prefix + line + text[at:]


def edit_departments(text: str, departments: Sequence[Mapping[str, str]]) -> str:
    """``departments.yaml`` text changed to list exactly ``departments`` (same order):
    one renamed, removed or appended entry is edited in place, comments kept."""
    doc = _load(text)
    expected = {**(doc if isinstance(doc, dict) else {}),
                "departments": [{"id": d["id"], "name": d["name"]} for d in departments]}
    edited = _edit_list(text, departments)
    if edited is not None and _load(edited) == expected:
        return edited
    items = "".join(f"  - {_flow_item(d)}\n" for d in departments)
    rest = {k: v for k, v in expected.items() if k != "departments"}
    return "departments:\n" + items + (_dump(rest) if rest else "")


def _flow_item(dep: Mapping[str, str]) -> str:
    return f"{{id: {scalar(dep['id'])}, name: {scalar(dep['name'])}}}"


def _items(text: str) -> list[tuple[yaml.MappingNode, dict[str, yaml.Node]]] | None:
    root = _top_mapping(_compose(text))
    if root is None:
        return None
    for k, v in root.value:
        if isinstance(k, yaml.ScalarNode) and k.value == "departments" and \
                isinstance(v, yaml.SequenceNode) and not v.flow_style:
            found = []
            for item in v.value:
                if not isinstance(item, yaml.MappingNode):
                    return None
                found.append((item, {str(ik.value): iv for ik, iv in item.value}))
            return found
    return None


def _edit_list(text: str, departments: Sequence[Mapping[str, str]]) -> str | None:
    items = _items(text)
    if not items:
        return None
    old = [str(getattr(fields.get("id"), "value", "")) for _, fields in items]
    new = [d["id"] for d in departments]
    if old == new:  # a rename: change only the names that differ
        for (_, fields), dep in sorted(zip(items, departments, strict=True),
                                       key=lambda pair: -pair[0][0].start_mark.index):
            name = fields.get("name")
            if not isinstance(name, yaml.ScalarNode) or name.style in ("|", ">"):
                return None
            if name.value != dep["name"]:
                text = (text[:name.start_mark.index] + scalar(dep["name"]) +
                        text[name.end_mark.index:])
        return text
    if len(new) == len(old) - 1 and [i for i in old if i not in new] and \
            [i for i in old if i in new] == new:
        gone = next(i for i, dep in enumerate(old) if dep not in new)
        node = items[gone][0]
        start = line_start(text, node.start_mark.index)
        if text[start:node.start_mark.index].strip() != "-":
            return None
        return text[:start] + text[after_line(text, node_end(node)):]
    if new[:-1] == old and new[-1] not in old:
        last = items[-1][0]
        start = line_start(text, last.start_mark.index)
        dash = text.find("-", start, last.start_mark.index)
        if dash < 0:
            return None
        at = after_line(text, node_end(last))
        prefix = text[:at] if text[:at].endswith("\n") else text[:at] + "\n"
        return prefix + " " * (dash - start) + "- " + _flow_item(departments[-1]) + "\n" + text[at:]
    return None
