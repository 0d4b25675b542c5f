"""Damage to acknowledged data (issue 12, item 4): detected, located, refused; repaired
only on request, keeping what verifies and naming what was lost.

Each test damages a copy of one data directory the store wrote and closed cleanly:
acceptances (a sequence number and the case) over several segments, a snapshot,
merges, and big open cases journalled as deltas.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from runtime.services import LIFECYCLE
from runtime.store import StoreError, TinyDBStore, check
from runtime.store.check import repair, verify
from runtime.store.damage import StoreDamaged
from tests.runtime.store.conftest import make_case

DAY = "ZW20261207"
CASES = 120
PAD = {"notes": "审" * 1500}  # over 4 KiB of JSON: journalled as deltas


def accept(store: TinyDBStore, n: int) -> None:
    """What `Cases.accept` does to the store: the next number and the case, one batch."""
    case_id = f"c_{n:05d}"
    case = store.get_case(case_id)
    assert case is not None
    with store.write() as tx:
        number = f"{DAY}{tx.next_sequence(DAY):04d}"
        tx.put_case({**case, "status": "accepted", "number": number}, expected_rev=case["rev"])


def build(data_dir: Path) -> None:
    store = TinyDBStore(data_dir / "store", segment_bytes=64 << 10, lifecycle=LIFECYCLE)
    try:
        for n in range(CASES):
            with store.write() as tx:
                tx.put_case(make_case(n, status="submitted", **(PAD if n % 10 == 0 else {})))
        for n in range(CASES - 3):
            accept(store, n)
        with ThreadPoolExecutor(3) as pool:  # the last acceptances: one write group, maybe
            list(pool.map(lambda n: accept(store, n), range(CASES - 3, CASES)))
    finally:
        store.close()


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("pristine")
    build(data_dir)
    return data_dir


@pytest.fixture
def data_dir(pristine: Path, tmp_path: Path) -> Iterator[Path]:
    copy = tmp_path / "data"
    shutil.copytree(pristine, copy)
    yield copy


def db(data_dir: Path) -> Path:
    return data_dir / "store" / "db"


def segments(data_dir: Path) -> list[Path]:
    return sorted(db(data_dir).glob("seg-*.log"))


def refused(data_dir: Path, path: Path, match: str) -> StoreDamaged:
    """Opening refuses, naming ``path`` and a byte offset; verify finds the same."""
    with pytest.raises(StoreDamaged, match=match) as caught:
        TinyDBStore(data_dir / "store", lifecycle=LIFECYCLE)
    first = caught.value.problems[0]
    assert first.path == path
    assert str(first).startswith(f"{path}:{first.offset}: ")
    assert str(caught.value).startswith("the store is damaged: ")
    found = verify(data_dir / "store", LIFECYCLE)
    assert str(first) in [str(p) for p in found.problems]
    return caught.value


def test_the_pristine_directory_verifies_and_has_what_the_tests_need(data_dir: Path) -> None:
    found = verify(data_dir / "store", LIFECYCLE)
    assert found.problems == [] and found.cases == CASES
    assert len(segments(data_dir)) >= 3 and list(db(data_dir).glob("meta-*.json"))
    assert any(b'["delta",' in seg.read_bytes() for seg in segments(data_dir))
    store = TinyDBStore(data_dir / "store", lifecycle=LIFECYCLE)
    assert store.get_case_by_number(f"{DAY}{CASES:04d}") is not None
    store.close()


def test_cutting_the_newest_segment_is_refused_not_taken_for_a_crash(data_dir: Path) -> None:
    newest = segments(data_dir)[-1]
    size = newest.stat().st_size
    with newest.open("r+b") as out:
        out.truncate(size - 100)
    refused(data_dir, newest, f"ends at byte {size - 100}.* 100 bytes are missing")


def test_zeroing_the_end_of_the_newest_segment_is_refused(data_dir: Path) -> None:
    newest = segments(data_dir)[-1]
    data = newest.read_bytes()
    newest.write_bytes(data[:-4096] + bytes(4096))
    damage = refused(data_dir, newest, "corrupt frame")
    assert damage.problems[0].offset >= len(data) - 4096 - 2 * 4096


def test_a_flipped_byte_in_the_last_write_group_is_refused(data_dir: Path) -> None:
    newest = segments(data_dir)[-1]
    data = bytearray(newest.read_bytes())
    data[-30] ^= 0x01
    newest.write_bytes(bytes(data))
    refused(data_dir, newest, "checksum mismatch")


def test_a_deleted_newest_segment_is_refused(data_dir: Path) -> None:
    newest = segments(data_dir)[-1]
    newest.unlink()
    refused(data_dir, newest, "the segment is missing")


def test_a_deleted_or_damaged_manifest_is_refused(data_dir: Path) -> None:
    manifest = db(data_dir) / "MANIFEST"
    data = manifest.read_bytes()
    manifest.unlink()
    refused(data_dir, manifest, "the manifest is missing")
    manifest.write_bytes(bytes(len(data)))
    refused(data_dir, manifest, "neither slot of the manifest is valid")


def test_a_flipped_ascii_byte_in_an_older_segment_is_refused(data_dir: Path) -> None:
    oldest = segments(data_dir)[0]
    data = bytearray(oldest.read_bytes())
    at = data.index(b'"status":"submitted"') + len(b'"status":"')
    data[at] = ord("X")  # "Xubmitted"
    oldest.write_bytes(bytes(data))
    damage = refused(data_dir, oldest, "checksum mismatch")
    assert damage.problems[0].offset < at


def test_a_flipped_byte_inside_a_chinese_character_is_refused(data_dir: Path) -> None:
    oldest = segments(data_dir)[0]
    data = bytearray(oldest.read_bytes())
    at = data.index("审".encode()) + 1
    data[at] ^= 0x40  # no longer UTF-8
    oldest.write_bytes(bytes(data))
    refused(data_dir, oldest, "corrupt frame")


@pytest.mark.parametrize("kind", ["index-*.jsonl", "meta-*.json"])
def test_a_truncated_snapshot_file_is_refused_with_its_name(data_dir: Path, kind: str) -> None:
    (snapshot,) = db(data_dir).glob(kind)
    data = snapshot.read_bytes()
    snapshot.write_bytes(data[:len(data) * 2 // 3])
    refused(data_dir, snapshot, "damaged or cut short|rows")


def test_a_sequence_that_moves_backwards_is_refused(data_dir: Path) -> None:
    store = TinyDBStore(data_dir / "store", lifecycle=LIFECYCLE)
    with store.write() as tx:
        tx._put_row("sequences", DAY, {"key": DAY, "value": 3})  # type: ignore[attr-defined]
    store.close()
    refused(data_dir, segments(data_dir)[-1], f"sequence {DAY} goes back from {CASES} to 3")


def test_a_crash_tear_after_the_acknowledged_length_is_still_cut(data_dir: Path) -> None:
    newest = segments(data_dir)[-1]
    with newest.open("ab") as out:
        out.write(b"OWB2" + bytes(40))  # a write that never completed nor was acknowledged
    found = verify(data_dir / "store", LIFECYCLE)
    assert found.problems == [] and len(found.torn) == 1
    store = TinyDBStore(data_dir / "store", lifecycle=LIFECYCLE)
    assert store.count_cases() == CASES
    store.close()


def test_repair_keeps_what_verifies_and_names_what_was_lost(data_dir: Path) -> None:
    newest = segments(data_dir)[-1]
    data = bytearray(newest.read_bytes())
    data[-30] ^= 0x01  # the last acceptance's frame
    newest.write_bytes(bytes(data))
    done = repair(data_dir / "store", LIFECYCLE)
    assert done.moved_to is not None and (done.moved_to / newest.name).exists()
    assert any(line.startswith(f"damage: {newest}:") for line in done.lost)
    assert done.reverted_cases >= 1
    reverted = [line for line in done.lost if "kept as it was before" in line]
    assert reverted and all("status submitted" in line for line in reverted)
    assert done.kept_cases == CASES
    assert verify(data_dir / "store", LIFECYCLE).problems == []
    store = TinyDBStore(data_dir / "store", lifecycle=LIFECYCLE)
    try:
        assert store.count_cases() == CASES
        assert store.count_cases(status=["accepted"]) == CASES - done.reverted_cases
        highest = max(c["number"] for c in store.list_cases(status=["accepted"], limit=CASES))
        with store.write() as tx:  # never a number a kept case already holds
            assert f"{DAY}{tx.next_sequence(DAY):04d}" > highest
    finally:
        store.close()


def test_repair_of_an_older_segment_lists_the_lost_cases(data_dir: Path) -> None:
    oldest = segments(data_dir)[0]
    data = bytearray(oldest.read_bytes())
    data[data.index(b'"status":"') + 10] = ord("X")
    oldest.write_bytes(bytes(data))
    done = repair(data_dir / "store", LIFECYCLE)
    lost = [line for line in done.lost if line.startswith("case ") and ": lost" in line]
    assert len(lost) == done.lost_cases
    store = TinyDBStore(data_dir / "store", lifecycle=LIFECYCLE)
    try:
        assert store.count_cases() == CASES - done.lost_cases
        assert all("Xubmitted" not in str(c) for c in store.list_cases(limit=CASES))
    finally:
        store.close()


def test_an_interrupted_repair_is_refused_then_finished(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    newest = segments(data_dir)[-1]
    newest.write_bytes(newest.read_bytes()[:-100])
    renames, real_rename = [], os.rename

    def rename_once(src: Path, dst: Path) -> None:
        if renames:
            raise OSError("power cut")
        renames.append(dst)
        real_rename(src, dst)

    monkeypatch.setattr(check.os, "rename", rename_once)
    with pytest.raises(OSError, match="power cut"):
        repair(data_dir / "store", LIFECYCLE)
    monkeypatch.undo()
    with pytest.raises(StoreError, match="a repair was interrupted"):
        TinyDBStore(data_dir / "store", lifecycle=LIFECYCLE)
    assert repair(data_dir / "store", LIFECYCLE).lost == [
        f"{db(data_dir)}: finished an interrupted repair"]
    assert verify(data_dir / "store", LIFECYCLE).problems == []


def test_repair_leaves_a_clean_directory_alone(data_dir: Path) -> None:
    before = {p.name: p.read_bytes() for p in db(data_dir).iterdir()}
    done = repair(data_dir / "store", LIFECYCLE)
    assert done.moved_to is None and done.lost == []
    assert {p.name: p.read_bytes() for p in db(data_dir).iterdir()} == before


def test_verify_changes_nothing_and_refuses_a_store_in_use(data_dir: Path) -> None:
    newest = segments(data_dir)[-1]
    with newest.open("ab") as out:
        out.write(b"torn")
    before = {p.name: p.read_bytes() for p in db(data_dir).iterdir()}
    verify(data_dir / "store", LIFECYCLE)
    assert {p.name: p.read_bytes() for p in db(data_dir).iterdir()} == before
    store = TinyDBStore(data_dir / "store", lifecycle=LIFECYCLE)
    try:
        with pytest.raises(StoreError, match="already open"):
            verify(data_dir / "store", LIFECYCLE)
    finally:
        store.close()
