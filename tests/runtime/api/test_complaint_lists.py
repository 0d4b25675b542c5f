"""The lists that read only what they show: complaints per department and applicant,
the complaints a month's scores read, a department's ratings; the back-fills of older
stores, once, and never overwriting a newer write made while they run."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest

from runtime.engine.calendar import CHINA_TZ
from runtime.services import complaint_index, list_index
from runtime.services.accounts import User
from runtime.services.complaint_index import KIND
from runtime.store import Store
from tests.runtime.api.conftest import Api
from tests.runtime.api.test_lists_index import user as seeded
from tests.runtime.api.test_public import finish
from tests.runtime.web.conftest import Clock


@contextmanager
def kinds_read(store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The record kinds listed while the block runs."""
    read: list[str] = []
    listed = store.list_records

    def spy(kind: str) -> list[dict[str, Any]]:
        read.append(kind)
        return listed(kind)
    with monkeypatch.context() as patch:
        patch.setattr(store, "list_records", spy)
        yield read


def user(api: Api, name: str) -> User:
    """A cast member (made on first use, as the API does)."""
    api.headers(name)
    return seeded(api, name)


def ids(api: Api, who: str) -> list[str]:
    """The ids of the complaints ``who`` lists."""
    return [c["id"] for c in api.services.complaints.listing(user(api, who))]


def seed_complaints(api: Api, clock: Clock) -> dict[str, str]:
    """alice's complaints: one only filed, one assigned to amr, one closed in December
    (upheld); bob's one assigned to psb."""
    clock.now = datetime(2026, 11, 30, 9, 0, tzinfo=CHINA_TZ)
    found = {}
    for name, who in (("filed", "alice"), ("amr", "alice"), ("closed", "alice"),
                      ("psb", "bob")):
        clock.now += timedelta(minutes=1)
        found[name] = api.ok(api.post(who, "/complaints", {"text": f"投诉 {name}",
                                                           "department": "amr"}), 201)["id"]
    for name, department in (("amr", "amr"), ("closed", "amr"), ("psb", "psb")):
        api.ok(api.post("sup", f"/complaints/{found[name]}/assign",
                        {"department": department}))
    clock.now = datetime(2026, 12, 2, 9, 0, tzinfo=CHINA_TZ)
    api.ok(api.post("sup", f"/complaints/{found['closed']}/reply",
                    {"text": "属实", "verdict": "upheld"}))
    return found


def test_each_reader_lists_only_its_own_complaints(
        api: Api, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    found = seed_complaints(api, clock)
    store = api.services.store
    with kinds_read(store, monkeypatch) as read:
        assert ids(api, "amr1") == [found["closed"], found["amr"]]  # newest first
        assert read == [complaint_index.department_kind("amr")]
        assert ids(api, "alice") == [found["closed"], found["amr"], found["filed"]]
        assert ids(api, "bob") == [found["psb"]]
        assert ids(api, "psb1") == [found["psb"]] and ids(api, "tax1") == []
        assert KIND not in read
        assert len(ids(api, "sup")) == 4  # supervisors still see all
    listed = api.ok(api.get("alice", "/complaints"))
    assert listed[0] == store.get_record(KIND, found["closed"])  # the whole complaint


def test_reassignment_moves_the_complaint_between_departments(api: Api, clock: Clock) -> None:
    found = seed_complaints(api, clock)
    store = api.services.store
    api.ok(api.post("sup", f"/complaints/{found['amr']}/assign", {"department": "psb"}))
    assert store.get_record(complaint_index.department_kind("amr"), found["amr"]) is None
    assert ids(api, "amr1") == [found["closed"]]
    assert ids(api, "psb1") == [found["psb"], found["amr"]]
    api.ok(api.post("psb1", f"/complaints/{found['amr']}/reply", {"text": "已处理"}))
    [copy] = [c for c in api.services.complaints.listing(user(api, "psb1"))
              if c["id"] == found["amr"]]
    assert copy["status"] == "answered" and copy == store.get_record(KIND, found["amr"])


def test_a_months_scores_read_only_the_complaints_closed_in_it(
        api: Api, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    seed_complaints(api, clock)
    sup = user(api, "sup")
    with kinds_read(api.services.store, monkeypatch) as read:
        december = api.services.scores.report(sup, "2026-12")
        november = api.services.scores.report(sup, "2026-11")
    assert KIND not in read and complaint_index.closed_kind("2026-12") in read
    amr = {s.subject: s for s in december.departments}["amr"]
    assert {i.rule: i.count for i in amr.items} == {"complaint": 1, "complaint-upheld": 1}
    assert not {s.subject: s for s in november.departments}["amr"].items


def test_a_departments_ratings_read_only_its_own(
        api: Api, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    clock.now = datetime(2026, 11, 30, 10, 0, tzinfo=CHINA_TZ)
    case = finish(api)
    api.ok(api.post("alice", f"/cases/{case['id']}/rating", {"level": 2}), 201)
    with kinds_read(api.services.store, monkeypatch) as read:
        [row] = api.services.ratings.listing(user(api, "amr1"))
        assert api.services.ratings.listing(user(api, "psb1")) == []
    assert row.case_id == case["id"]
    assert read == [list_index.rating_kind("amr"), list_index.rating_kind("psb")]


def forget_complaint_indexes(store: Store) -> None:
    """As if the complaints had been written before this version."""
    with store.write() as tx:
        for doc in store.list_records(KIND):
            for kind, record_id in complaint_index.entries(doc):
                tx.put_record(kind, record_id, None)
        tx.put_record(*complaint_index.INDEXED, None)


def test_an_older_store_gets_its_complaint_indexes_once(
        api: Api, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    found = seed_complaints(api, clock)
    store, sup = api.services.store, user(api, "sup")
    expected = {w: ids(api, w) for w in ("amr1", "psb1", "alice", "bob")}
    scores = api.services.scores.to_json(api.services.scores.report(sup, "2026-12"))
    forget_complaint_indexes(store)
    assert ids(api, "amr1") == [] and ids(api, "alice") == []
    api.services.worker.prepare(clock.now)
    assert store.get_record(*complaint_index.INDEXED)["complaints"] == 4
    assert {w: ids(api, w) for w in expected} == expected
    assert api.services.scores.to_json(api.services.scores.report(sup, "2026-12")) == scores
    with kinds_read(store, monkeypatch) as read:
        api.services.worker.prepare(clock.now)  # done once: no complaint read again
    assert KIND not in read and found


class Interrupted:
    """A store whose ``list_*`` calls are followed, once, by another writer's change:
    the moment between a back-fill's read and its write."""

    def __init__(self, store: Store, listed: str, change: Callable[[], None]) -> None:
        self._store, self._listed, self._change = store, listed, change

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._store, name)
        if name != self._listed:
            return found

        def listed(*args: Any, **kwargs: Any) -> Any:
            result = found(*args, **kwargs)
            change, self._change = self._change, lambda: None
            change()
            return result
        return listed


def test_the_case_back_fill_keeps_a_newer_write(api: Api, clock: Clock) -> None:
    clock.now = datetime(2026, 11, 30, 10, 0, tzinfo=CHINA_TZ)
    case = finish(api)
    store = api.services.store
    with store.write() as tx:
        tx.put_record(*list_index.INDEXED, None)

    def rate() -> None:  # a request, between the back-fill's read and its write
        api.ok(api.post("alice", f"/cases/{case['id']}/rating", {"level": 2}), 201)
    wrapped: Any = Interrupted(store, "list_cases", rate)
    list_index.backfill(wrapped, clock.now)
    assert store.get_record(list_index.UNRATED, case["id"]) is None
    assert store.get_record(list_index.RATED, case["id"])["rating"]["level"] == 2
    assert store.get_record(list_index.rating_kind("amr"), case["id"]) is not None


def test_the_complaint_back_fill_keeps_a_newer_write(api: Api, clock: Clock) -> None:
    found = seed_complaints(api, clock)
    store = api.services.store
    forget_complaint_indexes(store)

    def move() -> None:  # a request, between the back-fill's read and its write
        api.ok(api.post("sup", f"/complaints/{found['amr']}/assign", {"department": "psb"}))
    wrapped: Any = Interrupted(store, "list_records", move)
    complaint_index.backfill(wrapped, clock.now)
    assert store.get_record(complaint_index.department_kind("amr"), found["amr"]) is None
    assert ids(api, "amr1") == [found["closed"]]
    assert ids(api, "psb1") == [found["psb"], found["amr"]]


def test_a_case_changed_during_the_sweep_is_not_passed_over(
        api: Api, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sweep pages newest change first: a case changed meanwhile jumps to the front,
    past the pages still to read; its unchanged records (here its result) come from the
    back-fill's second look."""
    clock.now = datetime(2026, 11, 30, 10, 0, tzinfo=CHINA_TZ)
    cases = []
    for _ in range(4):
        clock.now += timedelta(hours=1)
        cases.append(finish(api))
    store = api.services.store
    with store.write() as tx:  # as if written before the indexes
        for case in cases:
            for kind, record_id in list_index.entries(store.get_case(case["id"])):
                tx.put_record(kind, record_id, None)
        tx.put_record(*list_index.INDEXED, None)

    def rate() -> None:  # the oldest case, on the last page, changes after the first
        api.ok(api.post("alice", f"/cases/{cases[0]['id']}/rating", {"level": 5}), 201)
    monkeypatch.setattr(list_index, "SCAN", 2)
    wrapped: Any = Interrupted(store, "list_cases", rate)
    list_index.backfill(wrapped, clock.now)
    for case in cases:
        for (kind, record_id), doc in list_index.entries(store.get_case(case["id"])).items():
            assert store.get_record(kind, record_id) == {**doc, "kind": kind, "id": record_id}
