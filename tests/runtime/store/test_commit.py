"""Group commit: concurrent batches share fsyncs; none is acknowledged before its fsync."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from runtime.store import StoreError, TinyDBStore
from runtime.store import journal as journal_module
from runtime.store.commit import GroupCommit
from tests.runtime.store.conftest import make_case

Opener = Callable[..., TinyDBStore]


@pytest.fixture
def gated_sync(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """Make every fsync wait for ``gate`` (set by default); count the calls."""
    control: dict[str, Any] = {"gate": threading.Event(), "calls": 0, "fail": False}
    control["gate"].set()
    real = journal_module._sync

    def sync(fd: int) -> None:
        control["calls"] += 1
        assert control["gate"].wait(10)
        if control["fail"]:
            raise OSError(5, "Input/output error")
        real(fd)

    monkeypatch.setattr(journal_module, "_sync", sync)
    yield control
    control["gate"].set()


def bump(store: TinyDBStore, case_id: str) -> int:
    """Read, modify, write one case in one batch; return its new rev."""
    with store.write() as tx:
        case = tx.get_case(case_id)
        assert case is not None
        case["events"].append({"kind": "bump"})
        case["data"]["count"] = case["data"].get("count", 0) + 1
        return tx.put_case(case, expected_rev=case["rev"])


def test_a_lone_writer_fsyncs_every_batch(open_store: Opener) -> None:
    store = open_store()
    with store.write() as tx:
        tx.put_case(make_case(1))
    for _ in range(5):
        bump(store, "c_00001")
    stats = store.stats()
    assert stats["fsyncs"] == stats["batches"] == 6


def test_concurrent_writers_share_fsyncs_and_lose_nothing(
    open_store: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = journal_module._sync

    def slow_sync(fd: int) -> None:
        time.sleep(0.002)  # a slow disk, so that batches pile up behind each fsync
        real(fd)

    monkeypatch.setattr(journal_module, "_sync", slow_sync)
    store = open_store(segment_bytes=64 * 1024)  # rolls happen while others wait
    with store.write() as tx:
        for i in range(9):
            tx.put_case(make_case(i))

    def work(n: int) -> None:
        for _ in range(25):
            bump(store, f"c_{n:05d}")  # its own case
            bump(store, "c_00008")  # and one shared by all

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(work, range(8)))
    stats = store.stats()
    assert stats["batches"] == 1 + 8 * 50
    assert stats["fsyncs"] < stats["batches"] / 2
    assert stats["snapshot"] > 0
    for n in range(8):
        assert store.get_case(f"c_{n:05d}")["data"]["count"] == 25  # type: ignore[index]
    shared = store.get_case("c_00008")
    assert shared is not None and shared["data"]["count"] == 200 and shared["rev"] == 201
    store.close()
    again = open_store(segment_bytes=64 * 1024)
    assert again.get_case("c_00008") == shared


def test_a_batch_is_invisible_until_its_fsync_but_later_batches_build_on_it(
    open_store: Opener, gated_sync: dict[str, Any]
) -> None:
    store = open_store()
    gated_sync["gate"].clear()

    def create() -> None:
        with store.write() as tx:
            tx.put_case(make_case(2))

    def update() -> int:
        return bump(store, "c_00002")

    with ThreadPoolExecutor(2) as pool:
        created = pool.submit(create)
        while not gated_sync["calls"]:
            time.sleep(0.001)  # its fsync has started
        assert store.get_case("c_00002") is None  # appended, not durable: invisible
        updated = pool.submit(update)  # sees the pending version and builds on it
        time.sleep(0.05)
        assert not created.done() and not updated.done()
        assert store.get_case("c_00002") is None
        gated_sync["gate"].set()
        created.result()
        assert updated.result() == 2
    assert store.get_case("c_00002")["data"]["count"] == 1  # type: ignore[index]


def test_a_failed_fsync_fails_every_batch_it_covered(
    open_store: Opener, tmp_path: Any, gated_sync: dict[str, Any]
) -> None:
    store = open_store()
    with store.write() as tx:
        tx.put_case(make_case(1))
    gated_sync["gate"].clear()
    gated_sync["fail"] = True
    calls = gated_sync["calls"]

    def create(n: int) -> None:
        with store.write() as tx:
            tx.put_case(make_case(n))

    with ThreadPoolExecutor(3) as pool:
        leader = pool.submit(create, 2)
        while gated_sync["calls"] == calls:
            time.sleep(0.001)
        followers = [pool.submit(create, 3), pool.submit(bump, store, "c_00001")]
        time.sleep(0.05)
        gated_sync["gate"].set()
        for future in [leader, *followers]:
            with pytest.raises(StoreError, match="durable"):
                future.result()
    assert [store.get_case(f"c_{n:05d}") is None for n in (2, 3)] == [True, True]
    assert store.get_case("c_00001")["rev"] == 1  # type: ignore[index]
    with pytest.raises(StoreError, match="reopen"):
        create(4)
    store.close()
    gated_sync["fail"] = False
    again = open_store()
    assert again.count_cases() == 1
    assert again.get_case("c_00001")["rev"] == 1  # type: ignore[index]


def test_leadership_passes_to_the_oldest_waiter() -> None:
    order: list[list[int]] = []
    release = threading.Event()

    def sync() -> None:
        release.wait(5)

    commit: GroupCommit[int] = GroupCommit(sync, order.append)
    first = commit.add(1)
    with ThreadPoolExecutor(4) as pool:
        leader = pool.submit(commit.wait, first)
        time.sleep(0.02)
        later = [commit.add(n) for n in (2, 3, 4)]
        waiting = [pool.submit(commit.wait, ticket) for ticket in later]
        time.sleep(0.02)
        release.set()
        leader.result()
        for future in waiting:
            future.result()
    assert order == [[1], [2, 3, 4]]  # one fsync for the first, one for all the others
    assert commit.syncs == 2


def test_readers_copy_hot_cases_while_writers_diff_against_them(open_store: Opener) -> None:
    store = open_store(segment_bytes=128 * 1024)
    pad = "申请材料" * 400  # big enough to be kept parsed and written as deltas
    with store.write() as tx:
        for i in range(4):
            tx.put_case(make_case(i, data={"count": 0}, attachment_text=pad))
    done = threading.Event()

    def read() -> int:
        seen = dict.fromkeys(range(4), 0)
        rounds = 0
        while not done.is_set() or rounds == 0:
            for i in range(4):
                case = store.get_case(f"c_{i:05d}")
                assert case is not None
                assert case["rev"] >= seen[i]  # never goes back
                assert case["data"]["count"] == len(case["events"]) - 1 == case["rev"] - 1
                seen[i] = case["rev"]
                case["events"].clear()  # a reader's copy is its own
            rounds += 1
        return rounds

    with ThreadPoolExecutor(6) as pool:
        readers = [pool.submit(read) for _ in range(3)]
        writers = [pool.submit(lambda n=n: [bump(store, f"c_{(n + k) % 4:05d}")
                                            for k in range(60)]) for n in range(3)]
        for writer in writers:
            writer.result()
        done.set()
        assert all(reader.result() > 0 for reader in readers)
    assert store.stats()["case_deltas"] > 150
    assert sum(store.get_case(f"c_{i:05d}")["rev"] for i in range(4)) == 4 + 180  # type: ignore[index]


def test_a_frame_torn_inside_the_last_group_is_cut_with_the_group(
    open_store: Opener, tmp_path: Any, gated_sync: dict[str, Any]
) -> None:
    """After a power loss the frames of an unsynced write may reach the disk in any
    order: a torn frame followed by valid ones of the same write is a tear, not
    corruption (the later frames' durable mark is not past it)."""
    store = open_store()
    with store.write() as tx:
        tx.put_case(make_case(1))
    gated_sync["gate"].clear()

    def create(n: int) -> None:
        with store.write() as tx:
            tx.put_case(make_case(n))

    with ThreadPoolExecutor(3) as pool:
        alone = pool.submit(create, 2)  # leads an fsync that waits for the gate
        while gated_sync["calls"] < 2:  # (the first was case 1's)
            time.sleep(0.001)
        grouped = [pool.submit(create, n) for n in (3, 4)]  # queued: one write together
        time.sleep(0.05)
        # The crash comes before these fsyncs return: the manifest acknowledges case 1 only.
        manifest = (tmp_path / "db" / "MANIFEST").read_bytes()
        gated_sync["gate"].set()
        for future in [alone, *grouped]:
            future.result()
    assert store.stats()["fsyncs"] == 3
    store.close()
    (tmp_path / "db" / "MANIFEST").write_bytes(manifest)
    segment = sorted((tmp_path / "db").glob("seg-*.log"))[-1]
    data = bytearray(segment.read_bytes())
    first_of_group = data.rfind(b"OWB2", 0, data.rfind(b"OWB2"))
    data[first_of_group + 30] ^= 0xFF  # case 3 torn, case 4 intact after it
    segment.write_bytes(bytes(data))
    again = open_store()
    assert [c["id"] for c in again.list_cases()] == ["c_00002", "c_00001"]
    with again.write() as tx:  # the journal goes on after the cut
        tx.put_case(make_case(5))
    again.close()
    assert open_store().count_cases() == 3
