"""Case versions kept in memory, and the deltas that turn one version into the next.

A delta is a small JSON object recorded in the journal instead of the whole case:

    {"from": 7, "set": {key: value}, "drop": [key], "edit": {key: [[i, item]]},
     "add": {key: [item, ...]}}

``from`` is the rev it applies to; ``set``/``drop`` replace or remove top-level
fields; ``edit`` replaces items of a top-level list, ``add`` appends to it (the
case's ``events`` grow this way, and a changed task is one ``edit``). Empty parts
are left out. `apply` is the only way a delta is ever applied, in memory and on
reopen alike, so both rebuild exactly the same document.

Change detection is exact (`marshal` version 2 bytes tell ``1``, ``1.0`` and
``true`` apart, and follow key order), except for the old items of the
append-only lists (`APPEND_ONLY`, i.e. ``events``), compared with ``==`` so that a
write does not re-read the whole history: an event's past is never rewritten.
"""

from __future__ import annotations

import marshal
import struct
from collections.abc import Mapping
from typing import Any

from runtime.store.base import Document, StoreError
from runtime.store.index import CaseFacts

#: Top-level lists that only grow: their old items are compared with ``==``.
APPEND_ONLY = frozenset({"events"})

#: A chain (full image + deltas) is closed by a new full image once it holds this
#: many deltas, or once its deltas outweigh the image by `CHAIN_FACTOR` (and are
#: past `CHAIN_MIN_BYTES`): reading a cold case then costs at most a few images.
MAX_DELTAS = 64
CHAIN_FACTOR = 2
CHAIN_MIN_BYTES = 64 << 10

#: Below this size (bytes of JSON) a case is written whole: encoding it costs less
#: than finding and normalising what changed (measured with ``bench/store.py``'s
#: 2 KB cases: a delta made writes ~40 µs slower, a 10 KB case ~60 µs faster).
DELTA_MIN_BYTES = 4096

Delta = dict[str, Any]
_MISSING = object()
_NESTED = (dict, list, float)  # types whose == does not imply identical JSON


def exact(value: Any) -> bytes | None:
    """Bytes that are equal exactly when two JSON-like values are identical (types and
    key order too); None for a value ``marshal`` cannot write (e.g. an Enum member)."""
    try:
        return marshal.dumps(value, 2)  # version 2: no back-references, so deterministic
    except ValueError:
        return None


def _list_head(count: int) -> bytes:
    return b"[" + struct.pack("<i", count)


def _concatenates() -> bool:
    """Whether version-2 bytes nest by concatenation (a dict: ``{`` + key, value bytes
    + ``0``; a list: a header + its items' bytes), as CPython writes them."""
    items: list[Any] = ["键", 1, 2.5, True, None, {"a": [1, -0.0]}, [], "x" * 300]
    doc = {"k": items, "é": {"n": 1}}
    return marshal.dumps(doc, 2) == b"".join([
        b"{", marshal.dumps("k", 2), _list_head(len(items)),
        *(marshal.dumps(i, 2) for i in items),
        marshal.dumps("é", 2), marshal.dumps({"n": 1}, 2), b"0",
    ])


_CONCATENATES = _concatenates()
_KEYS: dict[str, bytes] = {}  # exact bytes of field names (a few dozen in practice)


def _key_bytes(key: str) -> bytes:
    found = _KEYS.get(key)
    if found is None:
        found = marshal.dumps(key, 2)
        if len(_KEYS) < 4096:
            _KEYS[key] = found
    return found


def _all_exact(values: list[Any], known: list[bytes]) -> bool:
    """Whether ``values`` are exactly the values ``known`` holds the bytes of."""
    if _CONCATENATES:
        try:
            return marshal.dumps(values, 2)[5:] == b"".join(known)
        except ValueError:
            return False
    return all(exact(v) == b for v, b in zip(values, known, strict=True))


class Version:
    """One committed version of an open case: parsed once, never modified.

    Later versions share every unchanged field and item with it. It also keeps the
    exact (``marshal`` version 2) bytes of its fields and of the items of its lists,
    computed on demand and handed on to the next version for what did not change:
    diffs compare against them, and `copy` concatenates them into one document to
    load, so a read does not serialise the case again.
    """

    __slots__ = ("_exact", "doc", "facts")

    def __init__(self, doc: Document, facts: CaseFacts,
                 known: dict[str, Any] | None = None) -> None:
        self.doc = doc
        self.facts = facts
        self._exact: dict[str, Any] = known or {}  # key -> bytes, or a list of item bytes

    def copy(self) -> Document:
        """A fresh deep copy the caller may modify (one ``marshal.loads``)."""
        if not self._exact or not _CONCATENATES:
            # Nothing known yet (a version fresh from a full image): serialising every
            # field one by one would cost more than one round trip of the whole.
            copied: Document = marshal.loads(marshal.dumps(self.doc))
            return copied
        parts = [b"{"]
        for key, value in self.doc.items():
            parts.append(_key_bytes(key))
            if type(value) is list:
                parts.append(_list_head(len(value)))
                parts += self._items(key)
            else:
                parts.append(self.field(key))
        parts.append(b"0")
        copied = marshal.loads(b"".join(parts))
        return copied

    def field(self, key: str) -> bytes:
        """The exact bytes of a top-level field that is not a list."""
        found = self._exact.get(key)
        if found is None:
            found = self._exact[key] = exact(self.doc[key])
        assert isinstance(found, bytes)  # a version holds only what JSON produced
        return found

    def item(self, key: str, index: int) -> bytes:
        """The exact bytes of one item of a top-level list."""
        return self._items(key)[index]

    def _items(self, key: str) -> list[bytes]:
        """The exact bytes of every item of a top-level list (missing ones computed)."""
        found = self._exact.get(key)
        if found is None:
            found = self._exact[key] = [None] * len(self.doc[key])
        if None in found:
            items = self.doc[key]
            for index, known in enumerate(found):
                if known is None:
                    found[index] = exact(items[index])
        result: list[bytes] = found
        return result

    def carried(self, delta: Mapping[str, Any]) -> dict[str, Any]:
        """The exact bytes still valid after ``delta`` (unchanged fields and items),
        handed on to the next version."""
        out: dict[str, Any] = {}
        changed = delta.get("set", {})
        dropped = delta.get("drop", ())
        edits = delta.get("edit", {})
        tails = delta.get("add", {})
        # A snapshot: readers may be filling the cache from other threads meanwhile
        # (list() of a dict's items is one step under the GIL; a loop over it is not).
        for key, value in list(self._exact.items()):
            if key in changed or key in dropped:
                continue
            if isinstance(value, list) and (key in edits or key in tails):
                value = list(value)
                for index, _ in edits.get(key, ()):
                    value[index] = None
                value += [None] * len(tails.get(key, ()))
            out[key] = value
        return out


def diff(base: Version, doc: Mapping[str, Any]) -> tuple[Delta, set[int] | None] | None:
    """Return (delta from ``base`` to ``doc``, indexes of changed ``tasks`` or None if
    all may have), or None when a full image is the simpler record (fields reordered).

    Values are compared with ``==`` first (fast, in C); those found equal are then
    checked for exact identity in one ``marshal`` call, and only if that fails one by
    one.
    """
    old = base.doc
    keys = list(doc)
    if keys != list(old) and keys != [k for k in old if k in doc] + [
            k for k in doc if k not in old]:
        return None
    changes: dict[str, Any] = {}
    edit: dict[str, list[list[Any]]] = {}
    add: dict[str, list[Any]] = {}
    tasks: set[int] | None = set()
    alike: list[tuple[str, int]] = []  # (key, item or -1): equal by ==, not yet exactly
    for key, value in doc.items():
        if type(key) is not str:
            return None  # JSON would turn it into a string: let a full image do that
        before = old.get(key, _MISSING)
        kind = type(value)
        if kind is not type(before) or value != before:
            if kind is list and type(before) is list and len(value) >= len(before):
                _diff_list(key, value, before, edit, add, alike)
            else:
                changes[key] = value
        elif key in APPEND_ONLY:
            pass
        elif kind is list:  # equal by ==, yet [0] == [False] and [1] == [1.0]: per item
            _diff_list(key, value, before, edit, add, alike)
        elif kind in _NESTED:  # {"x": 1} == {"x": True}: confirmed by exact bytes
            alike.append((key, -1))
    if alike and not _all_exact(
        [doc[key] if i < 0 else doc[key][i] for key, i in alike],
        [base.field(key) if i < 0 else base.item(key, i) for key, i in alike],
    ):
        for key, i in alike:
            if i < 0 and exact(doc[key]) != base.field(key):
                changes[key] = doc[key]
            elif i >= 0 and key not in changes and exact(doc[key][i]) != base.item(key, i):
                edit.setdefault(key, []).append([i, doc[key][i]])
    for key in list(edit):
        if key in changes:
            del edit[key]
            add.pop(key, None)
        elif len(edit[key]) * 2 > len(old[key]) > 1:
            changes[key] = doc[key]
            del edit[key]
            add.pop(key, None)
        else:
            edit[key].sort()
    dropped = [key for key in old if key not in doc]
    if "tasks" in changes or "tasks" in dropped:
        tasks = None
    else:
        tasks = {i for i, _ in edit.get("tasks", ())}
        tasks.update(range(len(old.get("tasks", ())), len(doc.get("tasks", ()))))
    delta: Delta = {"from": old.get("rev")}
    if changes:
        delta["set"] = changes
    if dropped:
        delta["drop"] = dropped
    if edit:
        delta["edit"] = edit
    if add:
        delta["add"] = add
    return delta, tasks


def _diff_list(
    key: str,
    value: list[Any],
    before: list[Any],
    edit: dict[str, list[list[Any]]],
    add: dict[str, list[Any]],
    alike: list[tuple[str, int]],
) -> None:
    """Record how a list that did not shrink changed: edited items and a tail."""
    n = len(before)
    if key in APPEND_ONLY and value[:n] == before:
        pass  # history is not re-checked item by item (see the module docstring)
    else:
        edited = []
        for i in range(n):
            item, was = value[i], before[i]
            if type(item) is not type(was) or item != was:
                edited.append([i, item])
            elif key not in APPEND_ONLY and type(item) in _NESTED:
                alike.append((key, i))
        if edited:
            edit[key] = edited
    if len(value) > n:
        add[key] = value[n:]


def apply(doc: Mapping[str, Any], delta: Mapping[str, Any]) -> Document:
    """Return ``doc`` with ``delta`` applied; ``doc`` and the delta's values are shared."""
    if doc.get("rev") != delta.get("from"):
        raise StoreError(f"a delta for rev {delta.get('from')} met rev {doc.get('rev')}")
    new = dict(doc)
    try:
        for key in delta.get("drop", ()):
            del new[key]
        new.update(delta.get("set", ()))
        for key, edits in delta.get("edit", {}).items():
            items = new[key] = list(new[key])
            for index, item in edits:
                items[index] = item
        for key, tail in delta.get("add", {}).items():
            items = new[key] if key in delta.get("edit", ()) else list(new[key])
            items += tail
            new[key] = items
    except (KeyError, IndexError, TypeError) as err:
        raise StoreError(f"a delta does not fit the case it follows: {err!r}") from err
    return new
