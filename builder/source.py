"""Read YAML while keeping where every key and value stood in the file.

Users write the catalog by hand, so every message must point at a line. PyYAML's
composer gives node marks; we build plain Python values from the node tree and keep
a map from each value's path (a tuple of keys/indexes) to its (line, column).

Catalog files may come from a careless or hostile hand (the admin's YAML editor), so
reading costs memory proportional to the file: a file is at most ``MAX_FILE_BYTES``;
an alias (``*name``) shares the value built for its anchor instead of copying it and
records no positions below itself; the nodes aliases repeat are counted, expanded, and
past ``MAX_ALIAS_NODES`` the file is refused (an "alias bomb" of nested anchors would
otherwise expand a few hundred bytes into billions of values); a recursive alias and
nesting deeper than ``MAX_DEPTH`` are refused too. Each refusal is a located problem.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from builder.errors import Problem

Path_ = tuple[str | int, ...]

try:  # the C loader is ~10x faster on large matters; the pure one is always there
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader


@dataclass
class Source:
    """A parsed YAML document with the position of every path in it."""

    file: str
    value: Any
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: Path_, *, key: bool = False) -> tuple[int, int]:
        """Line and column (1-based) of the value at ``path``, or of its key.

        Falls back to the nearest enclosing path that has a position.
        """
        probe = tuple(path)
        table = self.key_positions if key else self.positions
        while True:
            if probe in table:
                return table[probe]
            if key and probe in self.positions:
                return self.positions[probe]
            if not probe:
                return (1, 1)
            probe = probe[:-1]

    def problem(self, path: Path_, message: str, *, key: bool = False, severity: str = "error",
                code: str = "", params: Mapping[str, Any] | None = None) -> Problem:
        """A problem located at ``path`` in this file (``code``/``params``: see Problem)."""
        line, col = self.where(path, key=key)
        return Problem(self.file, line, col, message, severity, code, params or {})


def _mark(node: yaml.Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


MAX_FILE_BYTES = 4_000_000
"""The largest catalog file read (UTF-8 bytes): a real matter has a few kilobytes, the
synthetic 10,000-step matter of ``bench/plan.py`` 2.2 MB."""
MAX_ALIAS_NODES = 100_000
"""The most values that aliases may repeat in one file, counted as if copied out."""
MAX_DEPTH = 64
"""The deepest nesting of lists and mappings read; a matter's forms need about 12."""

_TAG = "tag:yaml.org,2002:"
_STR = f"{_TAG}str"
_SAFE_TAGS = {f"{_TAG}{t}" for t in
              ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")}


class _Refused(Exception):
    """Reading stops: the problem is recorded, the document is not used."""


_BUILDING = object()  # the value of a list or mapping while its items are being built


class _Builder:
    def __init__(self, src: Source, problems: list[Problem]) -> None:
        self.src = src
        self.problems = problems
        # An alias is the very node object of its anchor: by id, the value built for a
        # list or mapping, shared (not copied) by its aliases.
        self.built: dict[int, Any] = {}
        self.sizes: dict[int, tuple[int, int]] = {}  # of aliased nodes, see ``measure``
        self.repeated = 0  # values repeated by aliases, counted expanded
        # PyYAML's own readers of plain values, called directly: construct_object would
        # also memoise every node in the loader, whose reference cycles then keep the
        # whole node tree (600,000 objects for 10,000 steps) alive until a full GC.
        constructor = yaml.SafeLoader("")
        self.scalars: dict[str, Any] = {
            f"{_TAG}{t}": getattr(constructor, f"construct_yaml_{t}")
            for t in ("int", "float", "bool", "null", "timestamp")}
        constructor.dispose()

    def problem(self, node: yaml.Node, message: str, code: str, **params: Any) -> None:
        self.problem_at(_mark(node), message, code, **params)

    def problem_at(self, where: tuple[int, int], message: str, code: str,
                   **params: Any) -> None:
        line, col = where
        self.problems.append(Problem(self.src.file, line, col, message, code=code,
                                     params=params))

    def build(self, node: yaml.Node, path: Path_, depth: int = 0) -> Any:
        """The plain value of ``node``; a list or mapping seen before is an alias."""
        self.src.positions[path] = _mark(node)
        if isinstance(node, yaml.ScalarNode):  # an aliased scalar costs what its alias does
            return self.fresh(node, path, depth)
        key = id(node)
        if key in self.built:
            return self.alias(node, path, depth)
        if depth >= MAX_DEPTH:
            self.too_deep(_mark(node))
        self.built[key] = _BUILDING
        value = self.built[key] = self.fresh(node, path, depth)
        return value

    def alias(self, node: yaml.Node, path: Path_, depth: int) -> Any:
        """A second use of a node: its value is shared, its position is the alias's."""
        value = self.built[id(node)]
        site = self.src.positions[path] = self.src.where(path[:-1]) if not isinstance(
            path[-1], str) else self.src.where(path, key=True)
        if value is _BUILDING:
            self.problem_at(site, "invalid YAML: an alias refers to the anchor it is inside "
                                  "(a recursive alias)", code="yaml_recursive_alias")
            raise _Refused
        size, height = self.measure(node)
        if depth + height > MAX_DEPTH:
            self.too_deep(site)
        self.repeated += size
        if self.repeated > MAX_ALIAS_NODES:
            self.problem_at(site, f"invalid YAML: aliases (*name) repeat more than "
                                  f"{MAX_ALIAS_NODES:,} values; write the values out or use "
                                  "fewer nested anchors", code="yaml_alias_bomb",
                            limit=MAX_ALIAS_NODES)
            raise _Refused
        return value

    def too_deep(self, where: tuple[int, int]) -> None:
        self.problem_at(where, f"the document is nested more than {MAX_DEPTH} levels deep",
                        code="yaml_too_deep", limit=MAX_DEPTH)
        raise _Refused

    def measure(self, node: yaml.Node) -> tuple[int, int]:
        """How many values ``node`` stands for and how deep they nest, aliases expanded
        (each node is measured once; a built node nests at most ``MAX_DEPTH`` deep)."""
        if isinstance(node, yaml.ScalarNode):
            return 1, 0
        known = self.sizes.get(id(node))
        if known is None:
            children = [n for pair in node.value for n in pair] if isinstance(
                node, yaml.MappingNode) else node.value
            size, height = 1, 0
            for child in children:
                n, h = self.measure(child)
                size, height = size + n, max(height, h + 1)
            known = self.sizes[id(node)] = (size, height)
        return known

    def fresh(self, node: yaml.Node, path: Path_, depth: int) -> Any:
        if node.tag not in _SAFE_TAGS:
            self.problem(node, f"invalid YAML: the tag '{node.tag}' is not allowed "
                               "(only plain text, numbers, lists and mappings)",
                         "yaml_tag", tag=node.tag)
            return None
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = self.build_key(key_node)
                child = (*path, key)
                if key in out:
                    first = self.src.key_positions.get(child, (0, 0))[0]
                    self.problem(key_node, f"duplicate key '{key}' (first defined on line "
                                           f"{first})", "duplicate_key", key=key, first=first)
                    continue
                self.src.key_positions[child] = _mark(key_node)
                out[key] = self.build(value_node, child, depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, (*path, i), depth + 1)
                    for i, child in enumerate(node.value)]
        value = self.scalar(node)
        if isinstance(value, _dt.datetime | _dt.date):
            # JSON Schema works on JSON values; dates stay ISO strings.
            return value.isoformat()
        return value

    def build_key(self, node: yaml.Node) -> str:
        if not isinstance(node, yaml.ScalarNode):
            line, col = _mark(node)
            self.problem(node, "a key must be a plain name, not a list or mapping",
                         "yaml_key_not_plain")
            return f"<invalid key at {line}:{col}>"
        value = self.scalar(node)
        if isinstance(value, _dt.date):
            return value.isoformat()
        return str(value)

    def scalar(self, node: yaml.Node) -> Any:
        if node.tag == _STR:
            return node.value
        construct = self.scalars.get(node.tag)  # none for '!!map' or '!!seq' on plain text
        if construct is not None:
            try:
                return construct(node)
            except (ValueError, KeyError, OverflowError):  # e.g. '!!int x', '!!bool maybe'
                pass
        tag = f"!!{node.tag.removeprefix(_TAG)}" if node.tag.startswith(_TAG) else node.tag
        self.problem(node, f"invalid YAML: {node.value!r} cannot be read as {tag}",
                     "yaml_unreadable_value", value=repr(node.value), tag=tag)
        return None


def load_source(text: str, file: str) -> tuple[Source | None, list[Problem]]:
    """Parse ``text`` as one YAML document; every problem found is returned."""
    problems: list[Problem] = []
    size = len(text) if len(text) * 4 <= MAX_FILE_BYTES else len(text.encode("utf-8"))
    if size > MAX_FILE_BYTES:
        return None, [_too_large(file, size)]
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or "invalid YAML"
        context = f" ({exc.context})" if exc.context else ""
        problems.append(Problem(file, line, col, f"invalid YAML: {what}{context}",
                                code="yaml_syntax",
                                params={"problem": what, "context": exc.context or ""}))
        return None, problems
    except yaml.YAMLError as exc:
        problems.append(Problem(file, 1, 1, f"invalid YAML: {exc}", code="yaml_error",
                                params={"detail": str(exc)}))
        return None, problems
    src = Source(file, None)
    if node is None:
        problems.append(Problem(file, 1, 1, "the file is empty", code="empty_file"))
        return None, problems
    try:
        src.value = _Builder(src, problems).build(node, ())
    except _Refused:
        return None, problems
    return src, problems


def read_source(path: Path) -> tuple[Source | None, list[Problem]]:
    """Read and parse a YAML file; an unreadable file is a located problem too."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:  # refused before reading it
            return None, [_too_large(str(path), size)]
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(str(path), 1, 1, f"not UTF-8 text: {exc.reason}",
                              code="not_utf8", params={"reason": exc.reason})]
    except OSError as exc:
        return None, [Problem(str(path), 1, 1, f"cannot read the file: {exc.strerror}",
                              code="unreadable_file", params={"reason": exc.strerror})]
    return load_source(text, str(path))


def _too_large(file: str, size: int) -> Problem:
    return Problem(file, 1, 1, f"the file is {size:,} bytes; a catalog file may have at most "
                               f"{MAX_FILE_BYTES:,} bytes", code="file_too_large",
                   params={"size": size, "limit": MAX_FILE_BYTES})
