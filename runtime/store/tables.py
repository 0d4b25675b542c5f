"""Users, API tokens, sign-in sessions, rate-limit counters, settings and sequences:
small TinyDB tables; also the notifications (站内通知) and the job queue.

The first six grow with staff and calendar days, never with cases, so TinyDB's
Table layer (which rebuilds a table's dict on every write) stays cheap there.
Notifications, jobs and records (the list indexes write a few per case) grow with
cases: they live in the same raw layout (so the journal, snapshots and `store copy`
treat them alike) but are written straight into it, never through ``Table.update``;
notifications are indexed by recipient, records by kind.
Documents are keyed by their own string ids (``Table.document_id_class = str``).
"""

from __future__ import annotations

import copy
from collections.abc import MutableMapping
from typing import Any, cast

from tinydb import TinyDB, where
from tinydb.storages import MemoryStorage
from tinydb.table import Document, Table

#: Table name -> what the store puts there, as written in journals and snapshots.
TABLES = ("users", "tokens", "settings", "sequences", "sessions", "limits", "notices", "jobs",
          "records")
#: Tables written straight into the raw layout (they grow with cases).
DIRECT = ("notices", "jobs", "records")


class _KeyedTable(Table):
    """A TinyDB table whose document ids are the documents' own string keys."""

    document_id_class = str  # type: ignore[assignment]


class _KeyedTinyDB(TinyDB):
    table_class = _KeyedTable


def record_key(kind: str, record_id: str) -> str:
    """Return the records-table id of one record."""
    return f"{kind}\x1f{record_id}"


def setting_key(user_id: str, key: str) -> str:
    """Return the settings-table id of one user's value."""
    return f"{user_id}\x1f{key}"


class MetaTables:
    """The small tables, in memory; persisted by the store's journal and snapshots."""

    def __init__(self, data: dict[str, dict[str, Any]] | None = None) -> None:
        self.db = _KeyedTinyDB(storage=MemoryStorage)
        self.db.storage.write({name: dict((data or {}).get(name, {})) for name in TABLES})
        #: recipient -> ids of their notifications (the in-app list reads these only)
        self.inbox: dict[str, set[str]] = {}
        for key, doc in self._raw("notices").items():
            self.inbox.setdefault(doc["recipient"], set()).add(key)
        #: record kind -> keys of its records (`list_records` reads these only)
        self.kinds: dict[str, set[str]] = {}
        for key in self._raw("records"):
            self.kinds.setdefault(key.split("\x1f", 1)[0], set()).add(key)

    def _raw(self, table: str) -> dict[str, Any]:
        data = self.db.storage.read() or {}
        raw: dict[str, Any] = data.setdefault(table, {})
        return raw

    def raw(self, table: str) -> dict[str, Any]:
        """The stored documents of a direct table by id (shared: do not modify)."""
        return self._raw(table)

    def _put_direct(self, table: str, key: str, doc: dict[str, Any] | None) -> None:
        raw = self._raw(table)
        old = raw.pop(key, None)
        if table == "notices" and old is not None:
            self.inbox.get(old["recipient"], set()).discard(key)
        if table == "records":
            kind = key.split("\x1f", 1)[0]
            if doc is None and old is not None:
                self.kinds.get(kind, set()).discard(key)
            elif doc is not None:
                self.kinds.setdefault(kind, set()).add(key)
        if doc is not None:
            raw[key] = doc
            if table == "notices":
                self.inbox.setdefault(doc["recipient"], set()).add(key)

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        """Copies of the records of one kind."""
        raw = self._raw("records")
        return [copy.deepcopy(raw[key]) for key in self.kinds.get(kind, ())]

    def data(self) -> dict[str, dict[str, Any]]:
        """Return the raw TinyDB layout ``{table: {id: doc}}`` (shared, do not modify)."""
        return self.db.storage.read() or {}

    def get(self, table: str, key: str) -> dict[str, Any] | None:
        """Return a copy of one document, or None."""
        if table in DIRECT:
            found = self._raw(table).get(key)
            return None if found is None else copy.deepcopy(found)
        doc = self.db.table(table).get(doc_id=cast(int, key))
        return None if doc is None else copy.deepcopy(dict(cast(Document, doc)))

    def find(self, table: str, field: str, value: Any) -> list[dict[str, Any]]:
        """Return copies of the documents whose ``field`` equals ``value``."""
        found = self.db.table(table).search(where(field) == value)
        return [copy.deepcopy(dict(doc)) for doc in found]

    def all(self, table: str) -> list[dict[str, Any]]:
        """Return copies of every document of a table."""
        return [copy.deepcopy(dict(doc)) for doc in self.db.table(table).all()]

    def put_many(self, rows: dict[tuple[str, str], dict[str, Any] | None]) -> None:
        """Apply many replayed rows at once through the storage (one TinyDB write)."""
        if not rows:
            return
        data = self.db.storage.read() or {}
        for (table, key), doc in rows.items():
            if table in DIRECT:
                self._put_direct(table, key, doc)
            elif doc is None:
                data.setdefault(table, {}).pop(key, None)
            else:
                data.setdefault(table, {})[key] = doc
        self.db.storage.write(data)
        for name in TABLES:
            self.db.table(name).clear_cache()

    def put(self, table: str, key: str, doc: dict[str, Any] | None) -> None:
        """Replace (or, with None, delete) one document."""
        if table in DIRECT:
            self._put_direct(table, key, doc)
            return
        tbl = self.db.table(table)
        doc_id = cast(int, key)  # TinyDB types ids as int; _KeyedTable uses str
        if doc is None:
            tbl.remove(doc_ids=[doc_id])
        elif not tbl.update(lambda old: _replace(old, doc), doc_ids=[doc_id]):
            tbl.insert(Document(doc, doc_id=doc_id))


def _replace(old: MutableMapping[str, Any], new: dict[str, Any]) -> None:
    old.clear()
    old.update(new)
