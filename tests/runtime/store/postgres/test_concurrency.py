"""The PostgreSQL store under concurrency across processes: case numbers stay unique
and gap-free, and of two officers claiming one task exactly one wins."""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
from collections.abc import Iterator
from multiprocessing.synchronize import Barrier

import pytest

from runtime.services import LIFECYCLE
from runtime.store import Conflict, StoreError
from runtime.store.postgres import PostgresStore
from tests.runtime.store.conftest import make_case

DAY = "CD20261206"
PER_PROCESS = 25


class _RolledBack(Exception):
    """Raised inside a batch to abandon it after it took a number."""


def _accept(url: str, worker: int, barrier: Barrier, queue: multiprocessing.Queue) -> None:
    """Accept cases as a serving process would; every fifth acceptance fails late."""
    store = PostgresStore(url, pool_size=2, lifecycle=LIFECYCLE)
    numbers: list[str] = []
    try:
        barrier.wait(timeout=60)
        for i in range(PER_PROCESS):
            try:
                with store.write() as tx:
                    number = f"{DAY}{tx.next_sequence(DAY):06d}"
                    tx.put_case(make_case(worker * 1000 + i, number=number))
                    if i % 5 == 4:
                        raise _RolledBack
                numbers.append(number)
            except _RolledBack:
                pass
        queue.put((worker, numbers, None))
    except Exception as err:  # reported to the test, which fails with it
        queue.put((worker, numbers, repr(err)))
    finally:
        store.close()


def _claim(url: str, officer: str, barrier: Barrier, queue: multiprocessing.Queue) -> None:
    """Read a task's case, wait for the other officer to have read it too, then claim."""
    store = PostgresStore(url, pool_size=1, lifecycle=LIFECYCLE)
    try:
        case = store.get_case("c_00001")
        assert case is not None
        barrier.wait(timeout=60)
        case["tasks"][0] |= {"status": "claimed", "claimed_by": officer}
        try:
            with store.write() as tx:
                tx.put_case(case, expected_rev=case["rev"])
            queue.put((officer, "won"))
        except Conflict:
            queue.put((officer, "conflict"))
    finally:
        store.close()


def _spawn(target: object, runs: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    """Run ``target`` in one fresh process per argument tuple, started together."""
    ctx = multiprocessing.get_context("spawn")
    barrier, queue = ctx.Barrier(len(runs)), ctx.Queue()
    processes = [ctx.Process(target=target, args=(*args, barrier, queue)) for args in runs]
    for process in processes:
        process.start()
    results = [queue.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    return results


@pytest.fixture
def store(pg_url: str) -> Iterator[PostgresStore]:
    opened = PostgresStore(pg_url, pool_size=2, lifecycle=LIFECYCLE)
    yield opened
    opened.close()


def test_two_processes_accepting_at_once_get_unique_gap_free_numbers(
        pg_url: str, store: PostgresStore) -> None:
    results = _spawn(_accept, [(pg_url, 1), (pg_url, 2)])
    assert [error for _, _, error in results] == [None, None]
    numbers = [n for _, taken, _ in results for n in taken]
    kept = PER_PROCESS - PER_PROCESS // 5
    assert len(numbers) == 2 * kept
    # no number twice, none skipped: the rolled-back acceptances took none
    assert sorted(numbers) == [f"{DAY}{n:06d}" for n in range(1, 2 * kept + 1)]
    assert store.count_cases() == 2 * kept
    for number in numbers:
        assert store.get_case_by_number(number)["number"] == number  # type: ignore[index]
    with store.write() as tx:
        assert tx.next_sequence(DAY) == 2 * kept + 1


def test_two_officers_claiming_the_same_task_exactly_one_wins(
        pg_url: str, store: PostgresStore) -> None:
    with store.write() as tx:
        tx.put_case(make_case(1))
    results = dict(_spawn(_claim, [(pg_url, "u_li"), (pg_url, "u_wang")]))
    assert sorted(results.values()) == ["conflict", "won"]
    winner = next(officer for officer, result in results.items() if result == "won")
    case = store.get_case("c_00001")
    assert case is not None and case["rev"] == 2
    assert case["tasks"][0]["claimed_by"] == winner
    assert [r.task["claimed_by"] for r in store.list_tasks(department="dept_a")] == [winner]


def test_a_batch_reading_a_case_holds_it_until_it_ends(store: PostgresStore) -> None:
    """Read-modify-write in a batch (what the services do) waits for a batch that read
    the same case before, then sees its write: no update is lost."""
    with store.write() as tx:
        tx.put_case(make_case(1, data={"count": 0}))
    first_read = threading.Event()
    release = threading.Event()

    def first() -> None:
        with store.write() as tx:
            case = tx.get_case("c_00001")
            assert case is not None
            first_read.set()
            release.wait(timeout=30)
            case["data"]["count"] += 1
            tx.put_case(case, expected_rev=case["rev"])

    thread = threading.Thread(target=first)
    thread.start()
    assert first_read.wait(timeout=30)
    timer = threading.Timer(0.3, release.set)
    timer.start()
    with store.write() as tx:  # waits for the first batch to commit
        case = tx.get_case("c_00001")
        assert case is not None and case["rev"] == 2
        case["data"]["count"] += 1
        tx.put_case(case, expected_rev=case["rev"])
    thread.join(timeout=30)
    timer.join()
    assert store.get_case("c_00001")["data"] == {"count": 2}  # type: ignore[index]


def test_a_batch_reading_a_record_holds_it_until_it_ends(store: PostgresStore) -> None:
    """``tx.get_record`` locks as ``tx.get_case`` does (a complaint's steps, the list
    back-fills): the second read-modify-write waits, then sees the first's write."""
    with store.write() as tx:
        tx.put_record("complaint", "k_1", {"count": 0})
    first_read = threading.Event()
    release = threading.Event()

    def first() -> None:
        with store.write() as tx:
            doc = tx.get_record("complaint", "k_1")
            assert doc is not None
            first_read.set()
            release.wait(timeout=30)
            tx.put_record("complaint", "k_1", {"count": doc["count"] + 1})

    thread = threading.Thread(target=first)
    thread.start()
    assert first_read.wait(timeout=30)
    timer = threading.Timer(0.3, release.set)
    timer.start()
    with store.write() as tx:  # waits for the first batch to commit
        doc = tx.get_record("complaint", "k_1")
        assert doc is not None and doc["count"] == 1
        tx.put_record("complaint", "k_1", {"count": doc["count"] + 1})
    thread.join(timeout=30)
    timer.join()
    assert store.get_record("complaint", "k_1")["count"] == 2  # type: ignore[index]


def test_two_batches_creating_the_same_case_one_conflicts(store: PostgresStore) -> None:
    """A case created by another batch between our read and our insert is a conflict,
    never a silent overwrite."""
    inside = threading.Event()
    release = threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with store.write() as tx:
                tx.put_case(make_case(1, data={"by": "first"}))
                inside.set()
                release.wait(timeout=30)
        except BaseException as err:
            errors.append(err)

    thread = threading.Thread(target=first)
    thread.start()
    assert inside.wait(timeout=30)
    timer = threading.Timer(0.3, release.set)
    timer.start()
    with pytest.raises(Conflict), store.write() as tx:
        with contextlib.suppress(Conflict):  # swallowed: the batch is void all the same
            tx.put_case(make_case(1, data={"by": "second"}), expected_rev=0)
        with pytest.raises(StoreError, match="failed earlier"):
            tx.put_case(make_case(2))
    thread.join(timeout=30)
    timer.join()
    assert errors == []
    assert store.get_case("c_00001")["data"] == {"by": "first"}  # type: ignore[index]
    assert store.get_case("c_00002") is None
