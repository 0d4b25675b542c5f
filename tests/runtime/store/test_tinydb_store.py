"""What only the durable backend promises: reopening, checkpoints, torn journals."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from runtime.store import StoreError, TinyDBStore
from runtime.store import journal as journal_module
from tests.runtime.store.conftest import make_case

Opener = Callable[..., TinyDBStore]


def fill(store: TinyDBStore, count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        with store.write() as tx:
            n = tx.next_sequence("CD20261128")
            status = "delivered" if i % 3 else "in_progress"
            tx.put_case(make_case(i, status=status, number=f"CD20261128{n:04d}",
                                  departments=(f"dept_{i % 4}",)))


def everything(store: TinyDBStore) -> dict[str, object]:
    """Every observable piece of state, for equality checks across reopens."""
    return {
        "cases": store.list_cases(limit=10**6),
        "counts": [store.count_cases(status=[s]) for s in ("delivered", "in_progress")],
        "tasks": [store.list_tasks(department=f"dept_{d}", limit=10**6) for d in range(4)],
        "users": store.list_users(),
        "token": store.user_for_token("h1"),
        "file": store.get_file("f_1"),
        "setting": store.get_setting("u_1", "filters"),
        "by_number": store.get_case_by_number("CD202611280002"),
    }


def last_segment(path: Path) -> Path:
    return sorted((path / "db").glob("seg-*.log"))[-1]


def test_reopen_after_close_gives_identical_data(open_store: Opener) -> None:
    store = open_store()
    fill(store, 30)
    with store.write() as tx:
        tx.put_user({"id": "u_1", "name": "李四", "role": "officer", "department": "dept_1"})
        tx.put_token("h1", "u_1")
        tx.put_file({"id": "f_1", "sha256": "cd" * 32, "name": "申请表.pdf", "size": 9})
        tx.put_setting("u_1", "filters", {"status": ["ready", "claimed"]})
    before = everything(store)
    store.close()
    again = open_store()
    assert everything(again) == before
    with again.write() as tx:
        assert tx.next_sequence("CD20261128") == 31


def test_saved_documents_keep_their_schema_version(open_store: Opener) -> None:
    case = make_case(1, schema=1, extra={"嵌套": [1, 2.5, None, True, {"a": "ü"}]})
    store = open_store()
    with store.write() as tx:
        tx.put_case(case)
    store.close()
    loaded = open_store().get_case("c_00001")
    assert loaded == {**case, "rev": 1}
    assert loaded is not None and loaded["schema"] == 1


def test_checkpoints_merge_superseded_segments_and_keep_everything(
    open_store: Opener, tmp_path: Path
) -> None:
    store = open_store(segment_bytes=8 * 1024)
    fill(store, 60)
    for _ in range(5):  # rewrite every case: old segments become garbage
        with store.write() as tx:
            for i in range(60):
                case = tx.get_case(f"c_{i:05d}")
                assert case is not None
                case["events"].append({"kind": "touched"})
                tx.put_case(case, expected_rev=case["rev"])
    store.checkpoint()
    stats = store.stats()
    assert stats["snapshot"] > 0
    assert stats["bytes"] < 3 * stats["live_bytes"]  # dead versions were merged away
    before = everything(store)
    store.close()
    assert everything(open_store(segment_bytes=8 * 1024)) == before
    assert len(list((tmp_path / "db").glob("meta-*.json"))) == 1


def test_open_without_the_latest_snapshot_replays_the_segments(
    open_store: Opener, tmp_path: Path
) -> None:
    store = open_store()
    fill(store, 10)
    store.checkpoint()  # nothing to merge: every record is still live
    fill(store, 5, start=10)
    before = everything(store)
    store.close()
    for name in ("index-000001.jsonl", "meta-000001.json"):
        # as if the crash came before the snapshot was renamed into place
        (tmp_path / "db" / name).unlink()
    assert everything(open_store()) == before


@pytest.mark.parametrize("damage", ["truncate", "garble", "zeros"])
def test_torn_last_record_is_dropped_on_open(
    open_store: Opener, tmp_path: Path, damage: str
) -> None:
    store = open_store()
    fill(store, 3)
    store.close()
    seg = last_segment(tmp_path)
    data = seg.read_bytes()
    if damage == "truncate":
        seg.write_bytes(data[:-7])
    elif damage == "garble":
        seg.write_bytes(data[:-40] + b"\xff" * 20 + data[-20:])
    else:
        seg.write_bytes(data[:-50] + b"\0" * 300)  # size grew, data never reached disk
    store = open_store()
    assert [c["id"] for c in store.list_cases()] == ["c_00001", "c_00000"]
    fill(store, 1, start=3)  # the journal continues after the last good record
    store.close()
    assert open_store().count_cases() == 3


def test_corruption_before_the_tail_is_refused(open_store: Opener, tmp_path: Path) -> None:
    store = open_store()
    fill(store, 3)
    store.close()
    seg = last_segment(tmp_path)
    data = bytearray(seg.read_bytes())
    data[200] ^= 0xFF  # inside the first frame; later frames are intact
    seg.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="corrupt frame"):
        open_store()


def test_a_failed_fsync_is_not_acknowledged_and_stops_writes(
    open_store: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store()
    fill(store, 1)

    def failing_sync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(journal_module, "_sync", failing_sync)
    with pytest.raises(StoreError, match="durable"):
        fill(store, 1, start=1)
    monkeypatch.undo()
    assert store.get_case("c_00001") is None
    with pytest.raises(StoreError, match="reopen"):
        fill(store, 1, start=2)
    store.close()
    assert open_store().count_cases() == 1


def test_one_store_per_directory(open_store: Opener) -> None:
    open_store()
    with pytest.raises(StoreError, match="already open"):
        open_store()


def test_unknown_segment_format_is_refused(open_store: Opener, tmp_path: Path) -> None:
    open_store().close()
    seg = last_segment(tmp_path)
    seg.write_bytes(b"onewindow store segment v9\n")
    with pytest.raises(StoreError, match="format"):
        open_store()


def test_leftover_temporary_files_are_removed(open_store: Opener, tmp_path: Path) -> None:
    store = open_store()
    fill(store, 2)
    store.checkpoint()
    store.close()
    (tmp_path / "db" / "index-000009.tmp").write_text("half")
    store = open_store()
    assert store.count_cases() == 2
    assert not list((tmp_path / "db").glob("*.tmp"))
    assert os.listdir(tmp_path / "db")


def test_readers_run_while_a_writer_checkpoints_and_merges(open_store: Opener) -> None:
    store = open_store(segment_bytes=4 * 1024)
    fill(store, 20)
    done = threading.Event()

    def read() -> int:
        rounds = 0
        while rounds == 0 or not done.is_set():
            assert len(store.list_cases(limit=20)) == 20
            for row in store.list_tasks(department="dept_0"):
                assert row.task["department"] == "dept_0"
            assert store.get_case("c_00007") is not None
            rounds += 1
        return rounds

    with ThreadPoolExecutor(2) as pool:
        readers = [pool.submit(read) for _ in range(2)]
        try:
            for _ in range(10):
                with store.write() as tx:
                    for i in range(20):
                        case = tx.get_case(f"c_{i:05d}")
                        assert case is not None
                        case["events"].append({"kind": "touched"})
                        tx.put_case(case)
        finally:
            done.set()
        assert all(reader.result() > 0 for reader in readers)  # re-raises a reader's error
    assert store.stats()["snapshot"] > 0


def test_reads_after_close_raise_store_error(open_store: Opener) -> None:
    store = open_store()
    fill(store, 1)
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.get_case("c_00000")
