"""The statistics projection on a real PostgreSQL: rows written with each case, the
aggregation in SQL equal to the engine's figures from every case's events, a rebuild
after the calendar changed, and nothing written when the case's write fails."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from runtime.engine.stats import case_facts, department_rows, matter_rows
from runtime.services import LIFECYCLE
from runtime.services.stat_projection import Projection
from runtime.store.base import Conflict
from runtime.store.postgres import PostgresStore
from tests.runtime.engine.test_stat_facts import (
    CALENDAR,
    CATALOG,
    MATTERS,
    NAMES,
    NOW_AT,
    PERIODS,
    seeded_history,
)
from tests.runtime.engine.test_stats import A, B, C, D, E


class FakeMatters:
    """Only what the projector asks of `Matters`: a case's pinned version."""

    def version(self, matter: str, version: int) -> Any:
        return CATALOG.matters[matter]


def hand_cases() -> list[dict[str, Any]]:
    return [{**c, "schema": 1, "rev": 0, "status": "in_progress", "applicant": "u",
             "updated_at": c["events"][-1]["at"]} for c in (A, B, C, D, E)]


def open_store(url: str, calendar_raw: Any = None) -> tuple[PostgresStore, Projection]:
    store = PostgresStore(url, lifecycle=LIFECYCLE)
    projection = Projection(store, FakeMatters(), CALENDAR,  # type: ignore[arg-type]
                            calendar_raw if calendar_raw is not None else CATALOG.calendar)
    return store, projection


def put_all(store: PostgresStore, cases: list[dict[str, Any]]) -> None:
    with store.write() as tx:
        for case in cases:
            tx.put_case(case)


def expected(cases: list[dict[str, Any]], by: str, period: Any) -> list[dict[str, Any]]:
    facts = [case_facts(c, CATALOG.matters[c["matter"]], CALENDAR, NOW_AT) for c in cases]
    names = NAMES if by == "department" else {m: m for m in MATTERS}
    return (department_rows if by == "department" else matter_rows)(facts, period, names)


@pytest.mark.parametrize("by", ["department", "matter"])
def test_sql_equals_the_event_history(pg_url: str, by: str) -> None:
    cases = seeded_history(300, seed=8) + hand_cases()
    store, projection = open_store(pg_url)
    try:
        assert projection.prepare() == 0  # an empty projection of no case is current
        put_all(store, cases)
        names = NAMES if by == "department" else {m: m for m in MATTERS}
        for period in PERIODS:
            assert projection.rows(by, period, NOW_AT, names) == expected(cases, by, period)
    finally:
        store.close()


def test_rows_follow_the_case_and_a_failed_write_leaves_none(pg_url: str) -> None:
    [a, *_] = hand_cases()
    store, projection = open_store(pg_url)
    try:
        projection.prepare()
        put_all(store, [a])
        with psycopg.connect(pg_url) as conn:
            def kinds() -> list[str]:
                return [r[0] for r in conn.execute(
                    "SELECT kind FROM stat_facts WHERE case_id = 'c_a' ORDER BY kind, at")]
            assert kinds().count("task_done") == 3 and "case_done" in kinds()
            conn.commit()
            # The case written again with one task less: its rows are rewritten.
            put_all(store, [{**a, "tasks": a["tasks"][:1],
                             "events": [e for e in a["events"] if e.get("task") in
                                        (None, "ta1")]}])
            assert kinds().count("task_done") == 1
            conn.commit()
            with pytest.raises(Conflict), store.write() as tx:
                tx.put_case({**a, "events": []}, expected_rev=99)
            assert kinds().count("task_done") == 1
    finally:
        store.close()


def test_a_changed_calendar_rebuilds_the_rows(pg_url: str) -> None:
    cases = hand_cases()
    store, _ = open_store(pg_url)
    try:
        put_all(store, cases)  # written by the first projector
    finally:
        store.close()
    with psycopg.connect(pg_url) as conn:
        conn.execute("DELETE FROM stat_facts WHERE case_id = 'c_a'")  # made to differ
    store, projection = open_store(pg_url, {"note": "another calendar"})
    try:
        assert not store.stat_facts_current()
        assert projection.prepare() == len(cases)
        assert store.stat_facts_current() and projection.prepare() == 0
        period = PERIODS[0]
        assert projection.rows("matter", period, NOW_AT, {m: m for m in MATTERS}) == \
            expected(cases, "matter", period)
    finally:
        store.close()
