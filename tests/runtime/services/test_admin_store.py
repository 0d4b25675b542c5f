"""The admin store: durable whole-file writes, atomic batches, immutable versions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runtime.store import Conflict, StoreError
from runtime.store.admin_store import ADMIN_FORMAT, AdminStore
from runtime.store.postgres.admin import PostgresAdminStore
from tests.pg import pg_server, pg_url  # noqa: F401  (fixtures)

VERSION = {"matter": "m", "version": 1, "yaml": "id: m\n", "published_at": "2026-11-30T09:00:00",
           "published_by": "admin1", "checksum": "x"}
DRAFT = {"matter": "m", "yaml": "id: m\n# 未完成\n", "updated_at": "2026-11-30T09:01:00",
         "updated_by": "admin1", "based_on": 1}
ENTRY = {"at": "2026-11-30T09:02:00", "who": "admin1", "action": "draft.save", "subject": "m",
         "detail": {"n": [1, 2]}}


@pytest.fixture(params=["file", "memory", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> AdminStore:
    if request.param == "postgres":
        made: AdminStore = PostgresAdminStore(request.getfixturevalue("pg_url"))
    elif request.param == "file":
        made = AdminStore.open(tmp_path / "admin.json")
    else:
        made = AdminStore.in_memory()
    request.addfinalizer(made.close)
    return made


def test_save_load_equal_across_reopen(tmp_path: Path) -> None:
    path = tmp_path / "admin.json"
    store = AdminStore.open(path)
    with store.batch():
        store.add_version(VERSION)
        store.put_draft(DRAFT)
        store.append_audit(ENTRY)
    store.close()
    again = AdminStore.open(path)
    try:
        assert again.versions() == [VERSION]
        assert again.draft("m") == DRAFT
        assert again.audit() == [ENTRY]
        assert json.loads(path.read_text(encoding="utf-8"))["meta"]["1"] == {
            "format": ADMIN_FORMAT}
    finally:
        again.close()


def test_a_failed_batch_changes_nothing_in_memory_or_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "admin.json"
    store = AdminStore.open(path)
    store.put_draft(DRAFT)
    before = path.read_bytes()
    with pytest.raises(RuntimeError), store.batch():
        store.put_draft({**DRAFT, "yaml": "changed"})
        store.append_audit(ENTRY)
        raise RuntimeError("boom")
    assert store.draft("m") == DRAFT
    assert store.audit() == []
    assert path.read_bytes() == before
    store.append_audit(ENTRY)  # the store still works after a rollback
    assert store.audit() == [ENTRY]
    store.close()


def test_versions_are_immutable(store: AdminStore) -> None:
    store.add_version(VERSION)
    with pytest.raises(Conflict):
        store.add_version({**VERSION, "yaml": "id: m\nname: other\n"})
    assert store.version("m", 1) == VERSION
    assert store.version("m", 2) is None


def test_reads_are_copies(store: AdminStore) -> None:
    store.append_audit(ENTRY)
    store.audit()[0]["detail"]["n"].append(3)
    assert store.audit() == [ENTRY]


def test_one_draft_per_matter(store: AdminStore) -> None:
    store.put_draft(DRAFT)
    store.put_draft({**DRAFT, "yaml": "second"})
    store.put_draft({**DRAFT, "matter": "a"})
    assert [d["matter"] for d in store.drafts()] == ["a", "m"]
    assert store.draft("m")["yaml"] == "second"  # type: ignore[index]
    assert store.delete_draft("m") is True
    assert store.delete_draft("m") is False


def test_audit_is_newest_first_and_filters_by_subject(store: AdminStore) -> None:
    for i in range(5):
        store.append_audit({**ENTRY, "subject": "a" if i % 2 else "b", "detail": {"i": i}})
    assert [e["detail"]["i"] for e in store.audit()] == [4, 3, 2, 1, 0]
    assert [e["detail"]["i"] for e in store.audit(subject="a")] == [3, 1]
    assert [e["detail"]["i"] for e in store.audit(limit=2, offset=1)] == [3, 2]


def test_a_second_opener_is_refused(tmp_path: Path) -> None:
    store = AdminStore.open(tmp_path / "admin.json")
    with pytest.raises(StoreError, match="already open"):
        AdminStore.open(tmp_path / "admin.json")
    store.close()
    AdminStore.open(tmp_path / "admin.json").close()


def test_a_newer_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "admin.json"
    path.write_text(json.dumps({"meta": {"1": {"format": ADMIN_FORMAT + 1}}}), encoding="utf-8")
    with pytest.raises(StoreError, match="newer onewindow"):
        AdminStore.open(path)
    AdminStore.open(path.with_name("other.json")).close()
    with pytest.raises(StoreError, match="newer onewindow"):  # and the lock was released
        AdminStore.open(path)


def test_writes_leave_no_temporary_files(tmp_path: Path) -> None:
    store = AdminStore.open(tmp_path / "admin.json")
    for i in range(3):
        store.append_audit({**ENTRY, "detail": {"i": i}})
    store.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["admin.json", "admin.json.lock"]
