"""`WriteBatch.add_counts` on every backend: counts are added at the end of the batch on
top of what it leaves, a failed batch adds nothing, and on PostgreSQL two processes'
batches adding to the same new record at once lose no increment."""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest

from runtime.services import LIFECYCLE
from runtime.store import StoreError
from runtime.store.core import IndexedStore
from runtime.store.postgres import PostgresStore


class _Abandoned(Exception):
    """Raised inside a batch to roll it back."""


def counts(store: Any, kind: str, record_id: str) -> dict[str, Any] | None:
    """The record's counts, without its own kind and id."""
    doc = store.get_record(kind, record_id)
    return None if doc is None else {k: v for k, v in doc.items() if k not in ("kind", "id")}


def test_counts_are_added_to_what_the_batch_leaves(store: IndexedStore) -> None:
    with store.write() as tx:
        tx.add_counts("tally", "d1", {"3": 1, "4": 2})
        tx.add_counts("tally", "d1", {"3": 1})
        tx.add_counts("tally", "d2", {"x": 0})  # nothing to add: no record made
    assert counts(store, "tally", "d1") == {"3": 2, "4": 2}
    assert store.get_record("tally", "d2") is None
    with store.write() as tx:
        tx.add_counts("tally", "d1", {"3": -2, "5": 1})
        tx.put_record("tally", "d1", {"3": 10, "note": "kept"})  # the add goes on top
    assert counts(store, "tally", "d1") == {"3": 8, "5": 1, "note": "kept"}
    assert [r["id"] for r in store.list_records("tally")] == ["d1"]


def test_a_failed_batch_adds_nothing(store: IndexedStore) -> None:
    with store.write() as tx:
        tx.add_counts("tally", "d1", {"1": 1})
    with pytest.raises(_Abandoned), store.write() as tx:
        tx.add_counts("tally", "d1", {"1": 5})
        tx.add_counts("tally", "d9", {"1": 5})
        raise _Abandoned
    assert counts(store, "tally", "d1") == {"1": 1}
    assert store.get_record("tally", "d9") is None


@pytest.mark.parametrize("deltas", [{"id": 1}, {"kind": 1}, {"a": 1.5}, {"a": "1"},
                                    {"a": True}])
def test_counts_must_be_whole_numbers_under_own_keys(store: IndexedStore,
                                                     deltas: dict[str, Any]) -> None:
    with pytest.raises(StoreError, match="whole numbers"), store.write() as tx:
        tx.add_counts("tally", "d1", deltas)
    assert store.get_record("tally", "d1") is None


PER_THREAD = 60


def test_concurrent_batches_adding_to_a_new_record_lose_nothing(pg_url: str) -> None:
    """Two processes' stores, two threads, each batch adding to the same record (new at
    first) and to one of its own: every increment is there at the end."""
    stores = [PostgresStore(pg_url, pool_size=2, lifecycle=LIFECYCLE) for _ in range(2)]
    barrier = threading.Barrier(2)
    failures: list[BaseException] = []

    def add(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            for i in range(PER_THREAD):
                with stores[n].write() as tx:
                    tx.add_counts("tally", "shared", {"a": 1, f"by{n}": 1, "b": 2})
                    tx.add_counts("tally", f"own{n}", {"a": 1})
                    tx.put_record("log", f"{n}-{i}", {"i": i})
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=add, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        assert not failures, failures
        assert counts(stores[0], "tally", "shared") == {
            "a": 2 * PER_THREAD, "b": 4 * PER_THREAD, "by0": PER_THREAD, "by1": PER_THREAD}
        assert [counts(stores[1], "tally", f"own{n}") for n in range(2)] == [
            {"a": PER_THREAD}, {"a": PER_THREAD}]
    finally:
        for opened in stores:
            opened.close()


def test_holding_the_counts_sees_earlier_counts(store: IndexedStore) -> None:
    with store.write() as tx:
        tx.add_counts("tally", "d1", {"a": 2})
    with store.write() as tx:
        tx.hold_counts()
        seen = store.list_records("tally")
        tx.put_record("tally", "d1", {"a": seen[0]["a"] * 10})
    assert counts(store, "tally", "d1") == {"a": 20}


def waiting_on_the_counts(url: str) -> bool:
    """Whether a batch waits on the counts' lock (polled until one does, or 30 s)."""
    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(3000):
            row = conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                               "AND NOT granted").fetchone()
            if row is not None and row[0]:
                return True
            time.sleep(0.01)  # polling the server's state, not timing anything
    return False


def test_a_batch_holding_the_counts_keeps_other_additions_until_it_ends(
        pg_url: str) -> None:
    """A back-fill replaces a tally while another process adds to it: the addition
    waits, then goes on top of the replacement (none is lost, none counted twice)."""
    stores = [PostgresStore(pg_url, pool_size=2, lifecycle=LIFECYCLE) for _ in range(2)]
    held, release, added = threading.Event(), threading.Event(), threading.Event()

    def replace() -> None:
        with stores[0].write() as tx:
            tx.hold_counts()
            held.set()
            release.wait(timeout=30)
            tx.put_record("tally", "d1", {"a": 10})

    def add() -> None:
        with stores[1].write() as tx:
            tx.add_counts("tally", "d1", {"a": 1})
        added.set()

    try:
        first = threading.Thread(target=replace)
        first.start()
        assert held.wait(timeout=30)
        second = threading.Thread(target=add)
        second.start()
        assert waiting_on_the_counts(pg_url)  # the adding batch waits for the holder
        assert not added.is_set()
        release.set()
        first.join(timeout=30)
        second.join(timeout=30)
        assert added.is_set()
        assert counts(stores[0], "tally", "d1") == {"a": 11}
    finally:
        release.set()
        for opened in stores:
            opened.close()
