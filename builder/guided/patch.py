"""Write a guided edit into the YAML text as the smallest change of the text.

The guided editor computes the whole new document; ``patch_text`` compares it with the
document the text holds and edits only the spans of the values that differ: a changed
scalar is replaced where it stands, a removed key loses its lines, an added key is
written after its neighbour at the same indentation. Every other character (comments,
blank lines, flow lists wrapped by hand, quoting) stays as the person wrote it.

Only when the result would not read back as the new document (an unusual layout) is the
whole document written out again (``to_yaml``), which keeps the meaning but not comments.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping
from typing import Any

import yaml

from builder.guided.positions import after_line, line_start, node_end, reads_as
from builder.guided.values import _is_scalar, _same
from builder.guided.yaml_text import dump_block, to_yaml

_FLOW_UNSAFE = set(",[]{}#:&*!|>'\"%@`\n\r\t")
_NOT_PRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")

_Edit = tuple[int, int, str]
# libyaml reads the data 10x faster; node positions still come from the Python composer,
# whose marks count characters.
_FastLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _data(text: str) -> Any:
    return yaml.load(text, Loader=_FastLoader)


class _Redo(Exception):
    """This node cannot be patched in place: replace its parent as a whole."""


def patch_text(text: str, new: Mapping[str, Any]) -> str:
    """``text`` changed so that it reads as ``new``, touching only what differs."""
    patched = patch_in_place(text, new)
    return patched if patched is not None else to_yaml(new)


def patch_in_place(text: str, new: Mapping[str, Any]) -> str | None:
    """The in-place patch, or None when the layout does not allow one."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        old = _data(text)
    except yaml.YAMLError:
        return None
    if root is None or not isinstance(old, dict):
        return None
    edits: list[_Edit] = []
    try:
        _Patcher(text, edits).node(root, old, dict(new), 0)
    except _Redo:
        return None
    out = text
    for start, end, replacement in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        out = out[:start] + replacement + out[end:]
    try:
        back = _data(out)
    except yaml.YAMLError:
        return None
    return out if _same(back, dict(new)) else None


# -- rendering values ---------------------------------------------------------------

def inline(value: Any) -> str:
    """A value on one line, valid both as a block value and inside ``[...]``/``{...}``."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        if value and value == value.strip() and not _FLOW_UNSAFE & set(value) and \
                value[0] not in "-?" and reads_as(value, value):
            return value
        return _NOT_PRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}",
                                  json.dumps(value, ensure_ascii=False))
    if isinstance(value, list):
        return "[" + ", ".join(inline(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{inline(str(k))}: {inline(v)}" for k, v in value.items()) + "}"
    raise _Redo


def _indented(block: str, column: int, *, first: bool = True) -> str:
    """``block`` (lines ending in newlines) moved right by ``column`` spaces."""
    lines = block.splitlines(keepends=True)
    pad = " " * column
    return "".join((pad if (i or first) and line.strip() else "") + line
                   for i, line in enumerate(lines))


def _one_line(value: Any) -> bool:
    return (_is_scalar(value) and "\n" not in str(value)) or (
        isinstance(value, list) and all(_is_scalar(v) and "\n" not in str(v) for v in value)
        and len(inline(value)) <= 60)


class _Patcher:
    def __init__(self, text: str, edits: list[_Edit]) -> None:
        self.text = text
        self.edits = edits

    def starts_line(self, index: int) -> bool:
        return not self.text[line_start(self.text, index):index].strip()

    def node(self, node: yaml.Node, old: Any, new: Any, indent: int) -> None:
        """Patch ``node`` (holding ``old``) to hold ``new``; ``indent`` is where a block
        value under it would start."""
        if _same(old, new):
            return
        if isinstance(node, yaml.MappingNode) and not node.flow_style and \
                isinstance(old, dict) and isinstance(new, dict):
            try:
                return self.mapping(node, old, new)
            except _Redo:
                pass
        elif isinstance(node, yaml.SequenceNode) and not node.flow_style and \
                isinstance(old, list) and isinstance(new, list):
            try:
                return self.sequence(node, old, new)
            except _Redo:
                pass
        self.replace(node, new, indent)

    # -- mappings -----------------------------------------------------------------

    def mapping(self, node: yaml.MappingNode, old: dict[str, Any], new: dict[str, Any]) -> None:
        pairs = [(k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)]
        if len(pairs) != len(node.value) or [k.value for k, _ in pairs] != [str(k) for k in old]:
            raise _Redo
        # The order of a mapping's keys means nothing: the text keeps its own.
        column = pairs[0][0].start_mark.column
        found: list[_Edit] = []
        for key_node, value_node in pairs:
            key = key_node.value
            if key not in new:
                found.append(self.deletion(key_node, value_node))
        inserts = self.mapping_inserts(pairs, old, new, column)
        found.extend(inserts)
        self.edits.extend(found)
        for key_node, value_node in pairs:
            key = key_node.value
            if key in new:
                self.node(value_node, old[key], new[key], column + 2)

    def deletion(self, first: yaml.Node, last: yaml.Node) -> _Edit:
        if not self.starts_line(first.start_mark.index):
            raise _Redo  # the first key of "- id: x": rewrite the item
        return (line_start(self.text, first.start_mark.index),
                after_line(self.text, node_end(last)), "")

    def mapping_inserts(self, pairs: list[tuple[yaml.ScalarNode, yaml.Node]],
                        old: dict[str, Any], new: dict[str, Any], column: int) -> list[_Edit]:
        by_key = {k.value: v for k, v in pairs}
        out: list[_Edit] = []
        previous: str | None = None
        pending: list[str] = []
        for key in [*new, None]:
            if key is not None and key not in old:
                pending.append(key)
                continue
            if pending:
                block = dump_block({k: new[k] for k in pending})
                if previous is None:  # before the first key still there
                    if key is None or not self.starts_line(
                            next(k for k, _ in pairs if k.value == key).start_mark.index):
                        raise _Redo
                    at = line_start(self.text, next(
                        k for k, _ in pairs if k.value == key).start_mark.index)
                else:
                    at = after_line(self.text, node_end(by_key[previous]))
                out.append((at, at, self.newline_before(at) + _indented(block, column)))
                pending = []
            previous = key if key is not None and key in old else previous
        return out

    def newline_before(self, at: int) -> str:
        return "" if at == 0 or self.text[at - 1] == "\n" else "\n"

    # -- sequences ----------------------------------------------------------------

    def sequence(self, node: yaml.SequenceNode, old: list[Any], new: list[Any]) -> None:
        items = node.value
        dash = self.dash_column(items[0]) if items else None
        if dash is None:
            raise _Redo
        ids_old, ids_new = _ids(old), _ids(new)
        if ids_old is None or ids_new is None:
            if len(old) != len(new):
                raise _Redo
            for item, o, n in zip(items, old, new, strict=True):
                self.node(item, o, n, dash + 2)
            return
        kept = [i for i in ids_old if i in ids_new]
        if kept != [i for i in ids_new if i in ids_old]:
            return self.reorder(items, ids_old, ids_new, old, new)
        by_id = dict(zip(ids_old, items, strict=True))
        for item_id, item in by_id.items():
            if item_id not in ids_new:
                start = line_start(self.text, item.start_mark.index)
                if self.text[start:item.start_mark.index].strip() != "-":
                    raise _Redo
                self.edits.append((start, after_line(self.text, node_end(item)), ""))
        previous: str | None = None
        for position, item_id in enumerate(ids_new):
            if item_id in by_id:
                previous = item_id
                continue
            block = dump_block([new[position]])
            if previous is None:
                at = line_start(self.text, items[0].start_mark.index)
            else:
                at = after_line(self.text, node_end(by_id[previous]))
            self.edits.append((at, at, self.newline_before(at) + _indented(block, dash)))
        old_by_id = dict(zip(ids_old, old, strict=True))
        for position, item_id in enumerate(ids_new):
            if item_id in by_id:
                self.node(by_id[item_id], old_by_id[item_id], new[position], dash + 2)

    def reorder(self, items: list[yaml.Node], ids_old: list[str], ids_new: list[str],
                old: list[Any], new: list[Any]) -> None:
        """Items moved (and nothing else): their texts swap places, gaps stay put."""
        if sorted(ids_old) != sorted(ids_new) or not all(
                _same(o, new[ids_new.index(i)]) for i, o in zip(ids_old, old, strict=True)):
            raise _Redo
        spans = [(line_start(self.text, item.start_mark.index),
                  after_line(self.text, node_end(item))) for item in items]
        for (_, end), (start, _) in itertools.pairwise(spans):
            if end > start:
                raise _Redo
        texts = dict(zip(ids_old, (self.text[a:b] for a, b in spans), strict=True))
        gaps = [self.text[end:start] for (_, end), (start, _) in
                itertools.pairwise(spans)]
        region = "".join(texts[i] + (gaps[n] if n < len(gaps) else "")
                         for n, i in enumerate(ids_new))
        self.edits.append((spans[0][0], spans[-1][1], region))

    def dash_column(self, item: yaml.Node) -> int | None:
        start = line_start(self.text, item.start_mark.index)
        before = self.text[start:item.start_mark.index]
        if before.strip() != "-":
            return None
        return before.index("-")

    # -- replacing a whole value --------------------------------------------------

    def replace(self, node: yaml.Node, new: Any, indent: int) -> None:
        text = self.text
        start = int(node.start_mark.index)
        block_scalar = isinstance(node, yaml.ScalarNode) and node.style in ("|", ">")
        inline_old = not block_scalar and (isinstance(node, yaml.ScalarNode) or
                                           bool(getattr(node, "flow_style", False)))
        if isinstance(new, str) and "\n" in new:
            body = dump_block({"k": new}).split("\n", 1)  # "k: |-", then the lines
            header = body[0][len("k: "):]
            if not header.startswith(("|", ">")):  # dumped quoted: keep it on one line
                self.inline_replace(node, new, inline_old, block_scalar)
                return
            content = _indented(body[1], indent - 2) if body[1] else ""
            if block_scalar:
                end = after_line(text, node_end(node))
                self.edits.append((start, end, header + "\n" + content))
            elif inline_old:
                self.edits.append((start, int(node.end_mark.index), header))
                at = after_line(text, int(node.end_mark.index))
                self.edits.append((at, at, self.newline_before(at) + content))
            else:
                self.inline_replace(node, new, inline_old, block_scalar)
            return
        if _one_line(new) or (inline_old and (isinstance(new, list | dict)) and \
                len(inline(new)) <= 100):
            self.inline_replace(node, new, inline_old, block_scalar)
            return
        self.block_replace(node, new, indent)

    def inline_replace(self, node: yaml.Node, new: Any, inline_old: bool,
                       block_scalar: bool) -> None:
        start = int(node.start_mark.index)
        if inline_old:
            self.edits.append((start, int(node.end_mark.index), inline(new)))
        elif block_scalar:
            end = after_line(self.text, node_end(node))
            self.edits.append((start, end, inline(new) + "\n"))
        else:  # a block collection becomes one line: it starts on the key's line
            key_end = self.text.rfind(":", 0, line_start(self.text, start))
            if key_end < 0 or not self.starts_line(start):
                raise _Redo
            end = after_line(self.text, node_end(node))
            self.edits.append((key_end + 1, end, " " + inline(new) + "\n"))

    def block_replace(self, node: yaml.Node, new: Any, indent: int) -> None:
        text = self.text
        start = int(node.start_mark.index)
        block = dump_block(new)
        if isinstance(node, yaml.ScalarNode) or getattr(node, "flow_style", False):
            # "key: value  # why" becomes "key:  # why" with the block on the lines below
            end = int(node.end_mark.index)
            line_end = after_line(text, end)
            comment = text[end:line_end].strip()
            cut = start - 1 if text[start - 1:start] == " " else start
            self.edits.append((cut, line_end, (f"  {comment}" if comment else "") + "\n"
                               + _indented(block, indent)))
            return
        end = after_line(text, node_end(node))
        self.edits.append((start, end, _indented(block, node.start_mark.column, first=False)))


def _ids(items: list[Any]) -> list[str] | None:
    if not items or not all(isinstance(i, dict) and isinstance(i.get("id"), str)
                            for i in items):
        return None
    ids = [i["id"] for i in items]
    return ids if len(set(ids)) == len(ids) else None
