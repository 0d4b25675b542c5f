"""The published rating counts from the tallies (`rating_tally`) equal the counts made
case by case as before — every rateable case judged by `counted_level` — at every moment
around the default threshold of each unrated case, over a history of rated, unrated,
refused, annulled and later-rated cases; they read no list of cases; an older store gets
its tallies once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from runtime.engine.calendar import CHINA_TZ
from runtime.engine.vocabulary import RATEABLE_CASE
from runtime.services import list_index, rating_tally
from tests.runtime.api.conftest import Api
from tests.runtime.api.test_complaint_lists import Interrupted, kinds_read
from tests.runtime.api.test_lists_index import case_by_case, every_case, seed
from tests.runtime.api.test_public import finish
from tests.runtime.web.conftest import Clock


def history(api: Api, clock: Clock) -> list[datetime]:
    """`seed`'s three months, then unrated cases decided around midnight (China time)
    and a refused one, a case rated after it had counted as 基本满意, and a 差评 whose
    appeal is upheld after it counted; the moments each unrated case was decided."""
    seed(api, clock)
    decided = []
    for at in (datetime(2027, 1, 25, 23, 59, 30), datetime(2027, 1, 26, 0, 0, 0),
               datetime(2027, 1, 26, 12, 0, 0), datetime(2027, 1, 27, 8, 0, 0)):
        clock.now = at.replace(tzinfo=CHINA_TZ)
        decided.append(datetime.fromisoformat(finish(api)["decided_at"]))
    refused = api.apply()
    api.ok(api.post("win", f"/cases/{refused['id']}/refuse", {"reason": "材料不全"}))
    decided.append(datetime.fromisoformat(
        api.ok(api.get("alice", f"/cases/{refused['id']}"))["closed_at"]))
    later = finish(api)
    bad = finish(api)
    api.ok(api.post("alice", f"/cases/{bad['id']}/rating", {"level": 1}), 201)
    clock.now += timedelta(days=9)  # both counted: one by default, one as 非常不满意
    assert sum(r["default"] for r in case_by_case(api)) >= 1
    api.ok(api.post("alice", f"/cases/{later['id']}/rating", {"level": 5}), 201)
    path = f"/cases/{bad['id']}/rating"
    api.ok(api.post("amr1", f"{path}/appeal", {"text": "恶意评价"}))
    api.ok(api.post("sup", f"{path}/uphold_appeal", {"text": "查实为恶意差评"}))
    return decided


def moments(decided: list[datetime], days: float) -> list[datetime]:
    """Around each threshold: just before, at, just after; and every 3 hours of a week."""
    period = timedelta(days=days)
    found = [d + period + e for d in decided for e in (
        timedelta(seconds=-1), timedelta(microseconds=-1), timedelta(),
        timedelta(microseconds=1), timedelta(seconds=1), timedelta(minutes=61))]
    start = min(decided) + period - timedelta(days=2)
    return found + [start + timedelta(hours=3 * n) for n in range(8 * 7)]


@pytest.mark.parametrize("days", [7.0, 2.5, 0.3])
def test_counts_from_the_tallies_equal_the_counts_case_by_case(
        api: Api, clock: Clock, days: float) -> None:
    decided = history(api, clock)
    api.services.ratings.default_days = days
    seen = set()
    for now in moments(decided, days):
        clock.now = now
        counts = api.services.ratings.counts()
        assert counts == case_by_case(api), now
        seen.add(tuple((r["department"], r["total"], r["default"]) for r in counts))
    assert len(seen) >= 4  # the moments cross thresholds: the counts do change
    clock.now = max(decided) + timedelta(days=60)
    final = api.services.ratings.counts()
    assert final == case_by_case(api)
    assert [(r["total"], r["default"], r["levels"][1]) for r in final] == [(11, 6, 0)]
    # 31 Dec, four around 26 Jan and the refused case by default; both 非常不满意 annulled


def test_counts_read_the_tallies_and_the_days_at_the_threshold_only(
        api: Api, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    decided = history(api, clock)
    clock.now = decided[1] + timedelta(days=7, hours=1)  # 26 Jan 00:00 + 7 days
    with kinds_read(api.services.store, monkeypatch) as read:
        api.services.ratings.counts()
    assert read == [rating_tally.RATED_TALLY, rating_tally.UNRATED_TALLY,
                    rating_tally.unrated_day_kind("2027-01-26")]
    clock.now = decided[1] + timedelta(days=30)
    with kinds_read(api.services.store, monkeypatch) as read:
        assert api.services.ratings.counts() == case_by_case(api)
    assert read == [rating_tally.RATED_TALLY, rating_tally.UNRATED_TALLY]


def forget_tallies(api: Api) -> None:
    """As if every case had been written before the tallies."""
    store = api.services.store
    assert store.list_records(rating_tally.RATED_TALLY)
    assert store.list_records(rating_tally.UNRATED_TALLY)
    with store.write() as tx:
        for kind in (rating_tally.RATED_TALLY, rating_tally.UNRATED_TALLY):
            for record in store.list_records(kind):
                tx.put_record(kind, record["id"], None)
        for case in store.list_records(list_index.UNRATED):
            day = rating_tally.decision_day(case)
            if day:
                tx.put_record(rating_tally.unrated_day_kind(day), case["id"], None)
        tx.put_record(*rating_tally.TALLIED, None)


def test_an_older_store_gets_its_tallies_once(api: Api, clock: Clock) -> None:
    decided = history(api, clock)
    store = api.services.store
    clock.now = decided[0] + timedelta(days=7)  # a day at the threshold is read too
    expected = case_by_case(api)
    assert sum(r["default"] for r in expected) >= 1
    forget_tallies(api)
    assert api.services.ratings.counts() == []
    api.services.worker.prepare(clock.now)
    rateable = [c for c in every_case(store) if c["status"] in RATEABLE_CASE]
    assert store.get_record(*rating_tally.TALLIED)["cases"] == len(rateable) > 10  # type: ignore[index]
    assert api.services.ratings.counts() == expected
    with store.write() as tx:  # a second run (another process starting) replaces
        tx.put_record(*rating_tally.TALLIED, None)
    api.services.worker.prepare(clock.now)
    assert api.services.ratings.counts() == expected
    department = expected[0]["department"]
    with store.write() as tx:
        tx.put_record(rating_tally.RATED_TALLY, department, None)
    api.services.worker.prepare(clock.now)  # marked: done once, not made again
    assert api.services.ratings.counts() != expected


def test_the_tally_back_fill_keeps_a_newer_write(api: Api, clock: Clock) -> None:
    decided = history(api, clock)
    store = api.services.store
    clock.now = decided[0] + timedelta(days=7)  # the case's day is at the threshold
    [case] = [c for c in store.list_records(list_index.UNRATED)
              if c["decided_at"] == decided[0].isoformat()]
    forget_tallies(api)

    def rate() -> None:  # a request, between the back-fill's read and its write
        api.ok(api.post("alice", f"/cases/{case['id']}/rating", {"level": 2}), 201)
    wrapped: Any = Interrupted(store, "list_records", rate)
    rating_tally.backfill(wrapped, lambda c: api.services.cases.spec(c).lead, clock.now)
    day = rating_tally.decision_day(case)
    assert day is not None
    assert store.get_record(rating_tally.unrated_day_kind(day), case["id"]) is None
    assert api.services.ratings.counts() == case_by_case(api)
    assert sum(r["levels"][2] for r in case_by_case(api)) == 3  # the new 不满意 counted
