"""Faults of the PostgreSQL store: lost connections are `Unavailable` (the web layer's
503) for as long as they last, then service resumes without reopening the store."""

from __future__ import annotations

import psycopg
import pytest

from runtime.services import LIFECYCLE
from runtime.store import StoreError
from runtime.store.postgres import PostgresStore, Unavailable
from tests.runtime.store.conftest import make_case


def _kill_connections(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchone()
        return int(row[0]) if row else 0


def test_lost_connections_are_unavailable_then_service_resumes(pg_url: str) -> None:
    store = PostgresStore(pg_url, pool_size=1, lifecycle=LIFECYCLE)
    try:
        with store.write() as tx:
            tx.put_case(make_case(1))
        assert _kill_connections(pg_url) == 1  # as a database restart does
        with pytest.raises(Unavailable) as caught:
            store.get_case("c_00001")
        assert "\n" not in str(caught.value)
        assert store.get_case("c_00001")["rev"] == 1  # type: ignore[index]
        _kill_connections(pg_url)
        with pytest.raises(Unavailable), store.write() as tx:
            tx.put_case(make_case(2))
        assert store.get_case("c_00002") is None  # nothing half-written
        with store.write() as tx:
            tx.put_case(make_case(2))
        assert store.count_cases() == 2
    finally:
        store.close()


def test_a_busy_pool_waits_then_is_unavailable(pg_url: str) -> None:
    """Every connection held by open batches: a reader waits ``timeout``, then gives up."""
    store = PostgresStore(pg_url, pool_size=1, timeout=0.5, lifecycle=LIFECYCLE)
    try:
        with store.write() as tx:
            tx.put_case(make_case(1))
            with pytest.raises(Unavailable, match="no connection free"):
                store.get_case("c_00001")
        assert store.get_case("c_00001") is not None
    finally:
        store.close()


def test_text_postgres_cannot_hold_is_a_store_error(pg_url: str) -> None:
    store = PostgresStore(pg_url, pool_size=1, lifecycle=LIFECYCLE)
    try:
        with pytest.raises(StoreError, match="NUL character"), store.write() as tx:
            tx.put_case(make_case(1, data={"name": "a\x00b"}))
        assert store.count_cases() == 0
    finally:
        store.close()
