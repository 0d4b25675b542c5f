"""The lists of ratings, results and scores read index records written in the case's
batch: over a seeded history they equal the lists built by reading every case (the way
they were built before), and a store written before the indexes is back-filled once."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from runtime.engine import rating as engine_rating
from runtime.engine.calendar import CHINA_TZ
from runtime.engine.vocabulary import RATEABLE_CASE
from runtime.services import list_index
from runtime.services.accounts import User
from runtime.services.errors import ServiceError
from runtime.services.public import ANNOUNCED, _row
from runtime.services.ratings import Ratings
from runtime.services.scores import Scores
from runtime.store import Store
from tests.runtime.api.conftest import Api
from tests.runtime.api.test_public import finish
from tests.runtime.api.test_scores import late_licence
from tests.runtime.web.conftest import Clock

PERIODS = ("2026-11", "2026-12", "2027-01", "2026", "2027")
MONTHS = ("2026-11", "2026-12", "2027-01")


def every_case(store: Store) -> Iterator[dict[str, Any]]:
    """Every stored case, page by page (what the lists read before)."""
    offset = 0
    while True:
        page = store.list_cases(limit=500, offset=offset)
        yield from page
        if len(page) < 500:
            return
        offset += len(page)


def case_by_case(api: Api) -> list[dict[str, Any]]:
    """The counts as `Ratings.counts` made them before the tallies: every rateable case."""
    return counts_case_by_case(api.services.ratings, every_case(api.services.store))


def counts_case_by_case(ratings: Any, cases: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The counts per department made from each case (or its list record) one by one, as
    before the tallies (also bench/lists.py's "before")."""
    names, now = ratings.departments(), ratings.clock()
    found: dict[str, dict[str, Any]] = {}
    for case in cases:
        if case["status"] not in RATEABLE_CASE:
            continue
        level = engine_rating.counted_level(case, now, ratings.default_days)
        if level is None:
            continue
        rating = case.get("rating")
        if rating:
            department = rating["department"]
        else:
            try:
                department = ratings.responsible(case, ratings.cases.spec(case).lead)
            except ServiceError:
                continue
        row = found.setdefault(department, {
            "department": department, "name": names.get(department, department),
            "total": 0, "bad": 0, "levels": {n: 0 for n in engine_rating.LEVELS},
            "default": 0})
        row["total"] += 1
        row["levels"][level] += 1
        row["bad"] += level in engine_rating.BAD
        row["default"] += not rating
    for row in found.values():
        row["satisfied_rate"] = round(1 - row["bad"] / row["total"], 4)
    return sorted(found.values(), key=lambda r: r["name"])


def seed(api: Api, clock: Clock) -> None:
    """Three months of cases: late tasks, good, bad and appealed ratings, a rectification
    left unanswered past its due date, running and unrated cases."""
    late_licence(api, clock)  # accepted 30 Nov, approved late on 2 Dec
    clock.now = datetime(2026, 11, 30, 10, 0, tzinfo=CHINA_TZ)
    rated = [finish(api) for _ in range(4)]
    for case, level in zip(rated, (5, 4, 2, 1), strict=True):
        clock.now += timedelta(hours=1)
        api.ok(api.post("alice", f"/cases/{case['id']}/rating", {"level": level}), 201)
    path = f"/cases/{rated[3]['id']}/rating"
    api.ok(api.post("amr1", f"{path}/appeal", {"text": "恶意评价"}))
    api.ok(api.post("sup", f"{path}/uphold_appeal", {"text": "查实为恶意差评"}))
    clock.now = datetime(2026, 12, 31, 23, 30, tzinfo=CHINA_TZ)  # 15:30 UTC
    finish(api)  # unrated, decided on the last evening of December (China time)
    clock.now = datetime(2027, 1, 4, 9, 0, tzinfo=CHINA_TZ)
    late = finish(api)
    api.ok(api.post("alice", f"/cases/{late['id']}/rating", {"level": 2}), 201)
    api.accepted()  # running: in no list
    clock.now = datetime(2027, 1, 25, 9, 0, tzinfo=CHINA_TZ)  # the 差评 of 4 Jan is late


def user(api: Api, name: str) -> User:
    """A seeded user by name."""
    found = api.services.accounts.find(name)
    assert found is not None
    return found


def lists(api: Api) -> dict[str, Any]:
    """Every list the services serve, for every kind of reader."""
    svc = api.services
    sup, amr = user(api, "sup"), user(api, "amr1")
    found: dict[str, Any] = {
        "ratings": svc.ratings.listing(sup), "amr": svc.ratings.listing(amr, bad_only=True),
        "amr all": svc.ratings.listing(amr),
        "counts": svc.ratings.counts(),
        "results": svc.public.results(limit=1000),
        **{f"results {m}": svc.public.results(month=m, limit=1000) for m in MONTHS},
        "by matter": svc.public.results(matter="enterprise-establishment", limit=1000)}
    for period in PERIODS:
        found[f"scores {period}"] = Scores.to_json(svc.scores.report(sup, period))
        found[f"amr scores {period}"] = Scores.to_json(svc.scores.report(amr, period))
    return found


def from_every_case(api: Api, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The same lists built as before: reading every case."""
    store = api.services.store
    with monkeypatch.context() as patch:
        patch.setattr(Ratings, "_rated", lambda self, unrated=False, department=None: (
            c for c in every_case(store) if c["status"] in RATEABLE_CASE))
        patch.setattr(Scores, "_cases", lambda self, period: list(every_case(store)))
        found = lists(api)
    found["counts"] = case_by_case(api)
    announced = dict(api.services.public.announced())
    rows = sorted((r for r in (_row(c, announced.get(c["matter"], "")) for c in every_case(store)
                               if c["status"] in ANNOUNCED and c["matter"] in announced)
                   if r is not None), key=lambda r: (r.date, r.number), reverse=True)
    found["results"] = (rows, len(rows))
    for month in MONTHS:
        chosen = [r for r in rows if r.date.startswith(month)]
        found[f"results {month}"] = (chosen, len(chosen))
    chosen = [r for r in rows if r.matter == "enterprise-establishment"]
    found["by matter"] = (chosen, len(chosen))
    return found


def test_lists_from_the_index_equal_the_lists_from_every_case(
        api: Api, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    seed(api, clock)
    indexed = lists(api)
    assert indexed == from_every_case(api, monkeypatch)
    # the seeded history is in the lists (the comparison is not between empty lists)
    assert len(indexed["ratings"]) == 5 and len(indexed["results"][0]) == 6
    assert [len(indexed[f"results {m}"][0]) for m in MONTHS] == [4, 1, 1]
    rules = {i["rule"] for d in indexed["scores 2027-01"]["departments"] for i in d["items"]
             if i["count"]}
    assert {"bad-rating", "rectification-late"} <= rules
    clock.now += timedelta(days=30)  # everyone unrated now counts as 基本满意
    assert lists(api) == from_every_case(api, monkeypatch)


def test_a_store_written_before_the_indexes_is_back_filled_once(
        api: Api, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    seed(api, clock)
    store = api.services.store
    expected = from_every_case(api, monkeypatch)
    kinds = [list_index.RATED, list_index.UNRATED, list_index.RESULT_MONTHS,
             *map(list_index.result_kind, MONTHS), *map(list_index.score_kind, MONTHS),
             *map(list_index.rating_kind, api.services.catalog.departments)]
    with store.write() as tx:  # as if the cases had been written before this version
        for kind in kinds:
            for record in store.list_records(kind):
                tx.put_record(kind, record["id"], None)
        tx.put_record(*list_index.INDEXED, None)  # (marked if a worker started before)
    assert api.services.ratings.listing(user(api, "sup")) == []
    api.services.worker.prepare(clock.now)
    assert store.get_record(*list_index.INDEXED)["cases"] == 8
    assert lists(api) == expected
    with store.write() as tx:
        tx.put_record(list_index.RATED, expected["ratings"][0].case_id, None)
    api.services.worker.prepare(clock.now)  # done once: nothing read again
    assert len(api.services.ratings.listing(
        user(api, "sup"))) == len(expected["ratings"]) - 1
