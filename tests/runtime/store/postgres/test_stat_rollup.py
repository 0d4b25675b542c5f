"""The daily roll-up of the statistics projection on a real PostgreSQL: kept by every
batch that rewrites a case's rows exactly as a fill from scratch would make it, under
concurrent batches without deadlock, untouched by a failed batch, made by the migration
for rows projected before it; and a period's figures read from it equal the engine's."""

from __future__ import annotations

import random
import threading
from datetime import date
from typing import Any

import psycopg
import pytest

from runtime.engine.stats import Period
from runtime.store.postgres import stat_rollup
from tests.runtime.engine.test_stat_facts import MATTERS, NAMES, NOW_AT, PERIODS, seeded_history
from tests.runtime.store.postgres.test_stat_facts import expected, open_store, put_all

#: Whole months and days at the edges, across a year's end.
MORE_PERIODS = [Period(date(2026, 9, 15), date(2026, 11, 10)),
                Period(date(2026, 9, 1), date(2026, 10, 31)),
                Period(date(2025, 12, 31), date(2026, 12, 3))]

DAYS = "SELECT * FROM stat_days WHERE n <> 0 OR days_n <> 0 ORDER BY kind, day, key"
HISTOGRAM = "SELECT * FROM stat_histogram WHERE n <> 0 ORDER BY kind, grain, day, key, days2"


def rollup(conn: psycopg.Connection) -> tuple[list[Any], list[Any]]:
    return ([tuple(r) for r in conn.execute(DAYS)], [tuple(r) for r in conn.execute(HISTOGRAM)])


def refilled(url: str) -> tuple[list[Any], list[Any]]:
    """The roll-up made from scratch from stat_facts (in a transaction rolled back)."""
    with psycopg.connect(url) as conn:
        stat_rollup.fill(conn)
        made = rollup(conn)
        conn.rollback()
    return made


def kept(url: str) -> tuple[list[Any], list[Any]]:
    with psycopg.connect(url) as conn:
        return rollup(conn)


def earlier(case: dict[str, Any], rnd: random.Random) -> dict[str, Any]:
    """The same case as it stood some events before."""
    cut = rnd.randrange(1, len(case["events"]) + 1)
    return {**case, "status": "in_progress", "events": case["events"][:cut],
            "tasks": [{**t, "status": "claimed"} for t in case["tasks"]]}


def test_months_and_edge_days() -> None:
    assert stat_rollup.spans(date(2026, 9, 15), date(2026, 11, 10)) == (
        [date(2026, 10, 1)],
        [date(2026, 9, d) for d in range(15, 31)] + [date(2026, 11, d) for d in range(1, 11)])
    assert stat_rollup.spans(date(2026, 2, 1), date(2026, 2, 28)) == ([date(2026, 2, 1)], [])
    assert stat_rollup.spans(date(2026, 2, 1), date(2026, 2, 27))[0] == []
    months, days = stat_rollup.spans(date(2025, 12, 5), date(2026, 12, 4))
    assert months == [date(2026, m, 1) for m in range(1, 12)] and len(days) == 27 + 4


def test_rewrites_keep_the_rollup_equal_to_a_fill(pg_url: str) -> None:
    rnd = random.Random(5)
    cases = seeded_history(200, seed=11)
    store, projection = open_store(pg_url)
    try:
        projection.prepare()
        # Each case written as it stood earlier, then (in other batches, in another order)
        # as it ends, some written a third time unchanged, some shrunk and grown again.
        for start in range(0, len(cases), 25):
            put_all(store, [earlier(c, rnd) for c in cases[start:start + 25]])
        shuffled = cases[:]
        rnd.shuffle(shuffled)
        for start in range(0, len(shuffled), 40):
            put_all(store, shuffled[start:start + 40])
        put_all(store, [earlier(c, rnd) for c in cases[:30]])
        put_all(store, cases[:60])
        days, histogram = kept(pg_url)
        assert (days, histogram) == refilled(pg_url)
        assert len(days) > 100 and len(histogram) > 100  # the seeded history fills it
        for by in ("department", "matter"):
            names = NAMES if by == "department" else {m: m for m in MATTERS}
            for period in PERIODS + MORE_PERIODS:
                assert projection.rows(by, period, NOW_AT, names) == \
                    expected(cases, by, period), (by, period)
    finally:
        store.close()


def test_concurrent_batches_neither_deadlock_nor_lose_a_row(pg_url: str) -> None:
    cases = seeded_history(160, seed=3)
    store, projection = open_store(pg_url)
    failures: list[BaseException] = []

    def writer(mine: list[dict[str, Any]], seed: int) -> None:
        rnd = random.Random(seed)
        try:
            for _ in range(3):  # every case written three times, batches of 8, any order
                rnd.shuffle(mine)
                for start in range(0, len(mine), 8):
                    put_all(store, mine[start:start + 8])
        except BaseException as err:
            failures.append(err)

    try:
        projection.prepare()
        threads = [threading.Thread(target=writer, args=(cases[k::4], k)) for k in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        assert kept(pg_url) == refilled(pg_url)
        period = PERIODS[3]
        assert projection.rows("department", period, NOW_AT, NAMES) == \
            expected(cases, "department", period)
    finally:
        store.close()


def test_a_failed_batch_leaves_the_rollup_as_it_was(pg_url: str) -> None:
    cases = seeded_history(20, seed=4)
    store, projection = open_store(pg_url)
    try:
        projection.prepare()
        put_all(store, cases)
        before = kept(pg_url)
        with pytest.raises(RuntimeError), store.write() as tx:
            tx.put_case({**cases[0], "events": cases[0]["events"][:2]})
            raise RuntimeError("the service failed after the write")
        assert kept(pg_url) == before
    finally:
        store.close()


def test_the_migration_rolls_up_rows_projected_before_it(pg_url: str) -> None:
    cases = seeded_history(120, seed=6)
    store, _ = open_store(pg_url)
    try:
        put_all(store, cases)
    finally:
        store.close()
    want = kept(pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:  # back to schema version 7
        conn.execute("DROP TABLE stat_days, stat_histogram")
        conn.execute("DELETE FROM schema_migrations WHERE version = 8")
    store, projection = open_store(pg_url)
    try:
        assert kept(pg_url) == want
        period = MORE_PERIODS[0]
        assert projection.rows("matter", period, NOW_AT, {m: m for m in MATTERS}) == \
            expected(cases, "matter", period)
    finally:
        store.close()
