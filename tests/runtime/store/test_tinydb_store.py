"""What only the durable backend promises: reopening, checkpoints, torn journals."""

from __future__ import annotations

import json
import marshal
import os
import struct
import threading
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from runtime.store import StoreError, TinyDBStore
from runtime.store import journal as journal_module
from runtime.store.delta import DELTA_MIN_BYTES, MAX_DELTAS
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
        "decided": [store.list_decided(department=f"dept_{d}", limit=10**6) for d in range(4)],
        "by_matter": store.count_cases(matter="food-licence", matter_version=3),
        "users": store.list_users(),
        "token": store.user_for_token("h1"),
        "file": store.get_file("f_1"),
        "setting": store.get_setting("u_1", "filters"),
        "by_number": store.get_case_by_number("CD202611280002"),
    }


def last_segment(path: Path) -> Path:
    return sorted((path / "db").glob("seg-*.log"))[-1]


def crash_before_ack(path: Path, store: TinyDBStore, last_write: Callable[[], None]) -> None:
    """Do ``last_write``, then leave the data directory as a crash before its fsync
    returned would: its bytes on disk, the manifest not acknowledging them."""
    manifest = (path / "db" / "MANIFEST").read_bytes()
    last_write()
    store.close()
    (path / "db" / "MANIFEST").write_bytes(manifest)


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
    fill(store, 2)
    crash_before_ack(tmp_path, store, lambda: fill(store, 1, start=2))
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


# -- deltas: open cases are journalled as changes against their previous version ----


def records(data_dir: Path) -> list[tuple[str, str]]:
    """(kind, key) of every record in the journal, oldest first (store closed)."""
    out = []
    for path in sorted((data_dir / "db").glob("seg-*.log")):
        segment = journal_module.Segment.open(path, int(path.stem[4:]))
        try:
            for start, payload in segment.frames(last=True):
                out += [(kind, key) for kind, key, _, _ in
                        journal_module.decode_frame(payload, segment.number, start)]
        finally:
            segment.close()
    return out


#: A field big enough for the store to keep a case parsed and write deltas (it
#: writes cases under `DELTA_MIN_BYTES` whole); `advance` never changes it.
PAD = {"attachment_text": "申请材料" * (DELTA_MIN_BYTES // 12 + 1)}


def advance(store: TinyDBStore, case_id: str, step: int) -> dict[str, Any]:
    """One engine-like action: append an event, touch a task, change the data."""
    with store.write() as tx:
        case = tx.get_case(case_id)
        assert case is not None
        case["events"].append({"at": f"2026-11-28T10:{step % 60:02d}", "kind": f"step{step}",
                               "changes": [[["tasks", 0, "status"], "ready", "claimed"]]})
        case["tasks"][step % len(case["tasks"])]["claimed_by"] = f"u_{step}"
        case["data"]["counter"] = step if step % 3 else float(step)  # types change too
        case["data"]["flag"] = bool(step % 2) if step % 5 else step % 2
        case["updated_at"] = f"2026-11-28T10:{step:06d}"
        case["rev"] = tx.put_case(case, expected_rev=case["rev"])
    return case


def exactly(case: dict[str, Any] | None) -> bytes:
    """A case's bytes with exact types (1, 1.0 and true differ) and key order."""
    return marshal.dumps(case, 2)


def test_open_cases_are_written_as_deltas_and_reopen_identical(
    open_store: Opener, tmp_path: Path
) -> None:
    store = open_store(segment_bytes=64 * 1024)  # rolls, snapshots, merges mid-chain
    with store.write() as tx:
        for i in range(4):
            tx.put_case(make_case(i, departments=("dept_0", "dept_1", "dept_2"), **PAD))
    for step in range(300):
        advance(store, f"c_{step % 4:05d}", step)
    stats = store.stats()
    assert stats["snapshot"] > 0 and stats["case_deltas"] == 300 - 4  # 4: chains closed
    before = everything(store)
    cases = [exactly(store.get_case(f"c_{i:05d}")) for i in range(4)]
    store.close()
    assert "delta" in {kind for kind, _ in records(tmp_path)}
    store = open_store(segment_bytes=64 * 1024)
    assert everything(store) == before
    assert [exactly(store.get_case(f"c_{i:05d}")) for i in range(4)] == cases
    advance(store, "c_00001", 300)  # the chain goes on after a reopen
    expected = exactly(store.get_case("c_00001"))
    store.close()
    assert exactly(open_store(segment_bytes=64 * 1024).get_case("c_00001")) == expected


def test_long_chains_are_closed_by_full_images(open_store: Opener, tmp_path: Path) -> None:
    store = open_store()
    with store.write() as tx:
        tx.put_case(make_case(1, **PAD))
    for step in range(2 * MAX_DELTAS + 5):
        advance(store, "c_00001", step)
    store.close()
    kinds = [kind for kind, key in records(tmp_path) if key == "c_00001"]
    run = longest = 0
    for kind in kinds:
        run = run + 1 if kind == "delta" else 0
        longest = max(longest, run)
    assert longest <= MAX_DELTAS and kinds.count("case") >= 3


def test_a_closing_case_is_written_whole_and_leaves_the_cache(
    open_store: Opener, tmp_path: Path
) -> None:
    store = open_store()
    with store.write() as tx:
        tx.put_case(make_case(1, **PAD))
    advance(store, "c_00001", 1)
    assert store.stats()["hot_cases"] == 1
    case = store.get_case("c_00001")
    assert case is not None
    with store.write() as tx:
        tx.put_case({**case, "status": "delivered"}, expected_rev=case["rev"])
    assert store.stats()["hot_cases"] == 0
    store.close()
    assert [kind for kind, _ in records(tmp_path)][-1] == "case"


def test_a_torn_delta_at_the_tail_leaves_the_previous_version(
    open_store: Opener, tmp_path: Path
) -> None:
    store = open_store()
    with store.write() as tx:
        tx.put_case(make_case(1, **PAD))
    for step in range(5):
        advance(store, "c_00001", step)
    previous = exactly(store.get_case("c_00001"))
    crash_before_ack(tmp_path, store, lambda: advance(store, "c_00001", 5))
    seg = last_segment(tmp_path)
    seg.write_bytes(seg.read_bytes()[:-9])
    store = open_store()
    assert exactly(store.get_case("c_00001")) == previous
    advance(store, "c_00001", 5)  # the chain continues from the surviving version
    assert store.get_case("c_00001")["rev"] == 7  # type: ignore[index]


def test_small_cases_are_written_whole_and_not_kept_parsed(
    open_store: Opener, tmp_path: Path
) -> None:
    store = open_store()
    with store.write() as tx:
        tx.put_case(make_case(1))
    for step in range(3):
        advance(store, "c_00001", step)
    assert store.stats()["hot_cases"] == 0
    expected = exactly(store.get_case("c_00001"))
    store.close()
    assert {kind for kind, _ in records(tmp_path)} == {"case"}
    assert exactly(open_store().get_case("c_00001")) == expected


def test_cold_chains_are_read_from_disk_and_rewritten_whole(
    open_store: Opener, tmp_path: Path
) -> None:
    store = open_store()
    with store.write() as tx:
        tx.put_case(make_case(1, departments=("dept_0", "dept_1"), **PAD))
    for step in range(20):
        advance(store, "c_00001", step)
    expected = exactly(store.get_case("c_00001"))
    before = everything(store)
    store.close()
    cold = open_store(cache_bytes=1)  # nothing fits: every read rebuilds from the journal
    assert exactly(cold.get_case("c_00001")) == expected
    assert everything(cold) == before
    advance(cold, "c_00001", 20)  # no cached base: a full image
    expected = exactly(cold.get_case("c_00001"))
    cold.close()
    assert records(tmp_path)[-1] == ("case", "c_00001")
    assert exactly(open_store().get_case("c_00001")) == expected


def _v1_segment(path: Path, cases: list[dict[str, Any]]) -> list[list[Any]]:
    """Write a format-1 segment (one frame per case); return its index rows."""
    data, rows = bytearray(b"onewindow store segment v1\n"), []
    for case in cases:
        prefix = f'["case",{json.dumps(case["id"])},'.encode()
        text = json.dumps(case, ensure_ascii=False, separators=(",", ":")).encode()
        payload = prefix + text + b"]\n"
        offset = len(data) + 12 + len(prefix)
        data += struct.pack("<4sII", b"OWB1", len(payload), zlib.crc32(payload)) + payload
        rows.append([case["id"], int(path.stem[4:]), offset, len(text), case["rev"],
                     case["status"], case["applicant"], case["updated_at"], case["number"]])
    path.write_bytes(bytes(data))
    return rows


def test_format_1_data_is_still_read(open_store: Opener, tmp_path: Path) -> None:
    db = tmp_path / "db"
    db.mkdir()
    cases = [{**make_case(i, number=f"N{i}"), "rev": 1} for i in range(4)]
    rows = _v1_segment(db / "seg-000001.log", cases[:3])
    (db / "index-000001.jsonl").write_text(
        json.dumps({"format": 1, "segment": 1}) + "\n" + json.dumps({"cases": rows}) + "\n")
    (db / "meta-000001.json").write_text(json.dumps({
        "users": {"u_1": {"id": "u_1", "name": "李四"}}, "tokens": {}, "settings": {},
        "sequences": {"K": {"key": "K", "value": 3}},
        "_store": {"1": {"format": 1, "segment": 1, "rows": 3}},
    }, ensure_ascii=False), encoding="utf-8")
    changed = {**cases[0], "status": "delivered", "rev": 2}
    _v1_segment(db / "seg-000002.log", [cases[3], changed])  # after the snapshot
    store = open_store()
    assert store.get_case("c_00000") == changed
    assert [store.get_case(f"c_{i:05d}") for i in (1, 2, 3)] == cases[1:]
    assert store.get_case_by_number("N3") == cases[3]
    assert store.get_user_by_name("李四") == {"id": "u_1", "name": "李四"}
    assert [row.task["id"] for row in store.list_tasks(department="dept_a")] == [
        "t_00001_0", "t_00002_0", "t_00003_0"]
    with store.write() as tx:
        assert tx.next_sequence("K") == 4
    size = (db / "seg-000002.log").stat().st_size
    advance(store, "c_00001", 1)  # written on in format 2, in a new segment
    assert (db / "seg-000002.log").stat().st_size == size
    store.checkpoint()
    expected = everything(store)
    store.close()
    assert everything(open_store()) == expected


def test_snapshot_rows_without_matter_and_decided_tasks_are_completed_on_open(
    open_store: Opener, tmp_path: Path
) -> None:
    store = open_store()
    for i in range(6):  # a snapshot from before matter and decided tasks were indexed
        case = make_case(i, status="delivered" if i % 2 else "in_progress",
                         task_status="approved" if i % 3 else "ready",
                         departments=("dept_0",), matter_version=i % 2)
        case["tasks"][0]["decision"] = {"at": f"2026-11-0{i + 1}T10:00:00"}
        with store.write() as tx:
            tx.put_case(case)
    store.checkpoint()
    expected = everything(store)
    assert [row.case["id"] for row in expected["decided"][0]] == [  # type: ignore[index]
        "c_00005", "c_00004", "c_00002", "c_00001"]
    store.close()
    index = tmp_path / "db" / "index-000001.jsonl"
    lines = index.read_text(encoding="utf-8").splitlines()
    chunk = json.loads(lines[1])
    assert all(len(row) == 10 for row in chunk["cases"])
    chunk["cases"] = [row[:7] for row in chunk["cases"]]
    index.write_text("\n".join([lines[0], json.dumps(chunk), *lines[2:]]) + "\n")
    reopened = open_store()
    assert everything(reopened) == expected
    assert [reopened.count_cases(matter_version=v) for v in (0, 1)] == [3, 3]
    assert reopened.stats()["snapshot"] == 2  # rewritten at once: completed only once
    reopened.close()
    assert everything(open_store()) == expected
