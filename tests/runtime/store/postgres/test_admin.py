"""The admin store on PostgreSQL: batches are transactions, every process sees the
same published versions at once."""

from __future__ import annotations

import pytest

from runtime.store import Conflict
from runtime.store.postgres.admin import PostgresAdminStore
from tests.runtime.services.test_admin_store import DRAFT, ENTRY, VERSION


def test_a_failed_batch_changes_nothing(pg_url: str) -> None:
    store = PostgresAdminStore(pg_url)
    try:
        store.put_draft(DRAFT)
        with pytest.raises(RuntimeError), store.batch():
            store.put_draft({**DRAFT, "yaml": "changed"})
            store.append_audit(ENTRY)
            assert store.audit() == [ENTRY]  # the batch reads its own writes
            raise RuntimeError("boom")
        assert store.draft("m") == DRAFT
        assert store.audit() == []
        with pytest.raises(Conflict), store.batch():
            store.append_audit(ENTRY)
            store.add_version(VERSION)
            store.add_version({**VERSION, "yaml": "changed"})  # immutable: the batch goes
        assert store.versions() == [] and store.audit() == []
        store.append_audit(ENTRY)  # the store still works after a rollback
        assert store.audit() == [ENTRY]
    finally:
        store.close()


def test_two_processes_share_one_admin_store(pg_url: str) -> None:
    """Two openers (as two serving processes) at once: no lock refuses the second, and
    a version one publishes is read by the other without a restart."""
    first, second = PostgresAdminStore(pg_url), PostgresAdminStore(pg_url)
    try:
        with first.batch():
            first.add_version(VERSION)
            first.append_audit(ENTRY)
            assert second.version("m", 1) is None  # not before the batch commits
        assert second.version("m", 1) == VERSION
        assert second.versions("m") == [VERSION]
        with pytest.raises(Conflict):
            second.add_version({**VERSION, "yaml": "changed"})
    finally:
        first.close()
        second.close()


def test_recording_the_same_version_twice_is_harmless(pg_url: str) -> None:
    """Two processes starting together both record the catalog's versions."""
    store = PostgresAdminStore(pg_url)
    try:
        store.add_version(VERSION)
        store.add_version({**VERSION, "published_at": "2026-11-30T09:00:01"})
        assert store.versions() == [VERSION]
        with pytest.raises(Conflict):
            store.add_version({**VERSION, "yaml": "id: m\nname: other\n"})
    finally:
        store.close()
