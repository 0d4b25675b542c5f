"""The `Store` contract, run against every backend."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from runtime.services import labels
from runtime.store import Conflict, NotFound, StoreError
from runtime.store.core import IndexedStore
from runtime.store.postgres import PostgresStore
from tests.runtime.store.conftest import make_case


def put(store: IndexedStore, *cases: dict[str, object]) -> None:
    with store.write() as tx:
        for case in cases:
            tx.put_case(case)


def test_put_then_get_returns_an_equal_copy_with_rev(store: IndexedStore) -> None:
    case = make_case(1)
    put(store, case)
    loaded = store.get_case("c_00001")
    assert loaded == {**case, "rev": 1}
    loaded["status"] = "changed"
    assert store.get_case("c_00001")["status"] == "in_progress"  # type: ignore[index]
    assert store.get_case("c_missing") is None


def test_update_bumps_rev_and_replaces_the_document(store: IndexedStore) -> None:
    put(store, make_case(1))
    case = store.get_case("c_00001")
    assert case is not None
    case["data"] = {"only": "this"}
    with store.write() as tx:
        assert tx.put_case(case, expected_rev=1) == 2
    assert store.get_case("c_00001") == {**case, "rev": 2}


def test_stale_rev_raises_conflict_and_writes_nothing(store: IndexedStore) -> None:
    put(store, make_case(1))
    stale = store.get_case("c_00001")
    assert stale is not None
    put(store, make_case(1, status="approved"))
    with pytest.raises(Conflict), store.write() as tx:
        tx.put_case(make_case(2))
        tx.put_case(stale, expected_rev=stale["rev"])
    assert store.get_case("c_00002") is None
    assert store.get_case("c_00001")["status"] == "approved"  # type: ignore[index]
    with pytest.raises(Conflict), store.write() as tx:
        tx.put_case(make_case(3), expected_rev=1)  # a new case is at rev 0


def test_exception_inside_write_leaves_nothing(store: IndexedStore) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom), store.write() as tx:
        assert tx.next_sequence("CD20261128") == 1
        tx.put_case(make_case(1))
        tx.put_user({"id": "u_1", "name": "li"})
        tx.put_setting("u_1", "filter", {"status": "ready"})
        raise Boom
    assert store.get_case("c_00001") is None
    assert store.get_user("u_1") is None
    assert store.get_setting("u_1", "filter") is None
    with store.write() as tx:
        assert tx.next_sequence("CD20261128") == 1


def test_batch_reads_its_own_writes_and_ends_with_the_block(store: IndexedStore) -> None:
    with store.write() as tx:
        tx.put_case(make_case(1))
        assert tx.get_case("c_00001")["rev"] == 1  # type: ignore[index]
        assert tx.put_case(make_case(1, status="accepted")) == 2
        assert store.get_case("c_00001") is None  # not visible before the block ends
    assert store.get_case("c_00001")["status"] == "accepted"  # type: ignore[index]
    with pytest.raises(StoreError):
        tx.put_case(make_case(2))
    with store.write(), pytest.raises(StoreError), store.write():
        pass  # nested write() in one thread would deadlock: refused


def test_sequences_are_gap_free_and_per_key(store: IndexedStore) -> None:
    for expected in (1, 2, 3):
        with store.write() as tx:
            assert tx.next_sequence("CD20261128") == expected
    with store.write() as tx:
        assert tx.next_sequence("CD20261129") == 1
        assert tx.next_sequence("CD20261129") == 2


def test_case_numbers_are_unique_and_found(store: IndexedStore) -> None:
    with store.write() as tx:
        number = f"CD20261128{tx.next_sequence('CD20261128'):04d}"
        tx.put_case(make_case(1, number=number))
    assert store.get_case_by_number("CD202611280001")["id"] == "c_00001"  # type: ignore[index]
    with pytest.raises(Conflict), store.write() as tx:
        tx.put_case(make_case(2, number=number))
    put(store, make_case(1, number="X-1"))  # renumbering frees the old number
    assert store.get_case_by_number(number) is None
    put(store, make_case(2, number=number))
    assert store.get_case_by_number(number)["id"] == "c_00002"  # type: ignore[index]


def test_invalid_documents_are_refused(store: IndexedStore) -> None:
    bad = [
        {"id": "c_1"},
        {**make_case(1), "id": 7},
        {**make_case(1), "updated_at": None},
        {**make_case(1), "tasks": [{"id": "t", "status": "ready"}]},
        {**make_case(1), "data": {"x": float("nan")}},
        {**make_case(1), "data": {"x": object()}},
    ]
    for case in bad:
        with pytest.raises(StoreError), store.write() as tx:
            tx.put_case(case)
    assert store.count_cases() == 0


def test_list_cases_filters_and_orders_newest_first(store: IndexedStore) -> None:
    put(
        store,
        make_case(1, status="submitted", applicant="u_a", updated_at="2026-11-01T00:00:00"),
        make_case(2, status="delivered", applicant="u_b", updated_at="2026-11-03T00:00:00"),
        make_case(3, status="submitted", applicant="u_b", updated_at="2026-11-02T00:00:00"),
        make_case(4, status="refused", applicant="u_a", updated_at="2026-11-04T00:00:00"),
    )
    ids = lambda cases: [c["id"][-1] for c in cases]  # noqa: E731
    assert ids(store.list_cases()) == ["4", "2", "3", "1"]
    assert ids(store.list_cases(status=["submitted"])) == ["3", "1"]
    assert ids(store.list_cases(status="submitted")) == ["3", "1"]
    assert ids(store.list_cases(status=["delivered", "submitted"], limit=2)) == ["2", "3"]
    assert ids(store.list_cases(applicant="u_a")) == ["4", "1"]
    assert ids(store.list_cases(applicant="u_b", status=["submitted"])) == ["3"]
    assert ids(store.list_cases(limit=2, offset=1)) == ["2", "3"]
    assert store.list_cases(status=[]) == []
    assert store.count_cases() == 4
    assert store.count_cases(status=["submitted", "refused"]) == 3
    assert store.count_cases(applicant="u_b") == 2
    assert store.count_cases(applicant="u_nobody") == 0
    assert store.count_cases(at_most=3) == 3 and store.count_cases(at_most=9) == 4
    assert store.count_cases(status=["submitted", "refused"], at_most=1) == 1


def test_list_tasks_only_that_department_most_urgent_first(store: IndexedStore) -> None:
    put(
        store,
        make_case(1, departments=("dept_a", "dept_b")),
        make_case(2, departments=("dept_b",), task_status="claimed"),
        make_case(3, departments=("dept_a",), task_status="approved"),
        make_case(4, departments=("dept_a",), status="delivered"),
        make_case(5, departments=("dept_a",), task_status="waiting", summary={"title": "店"}),
    )
    rows = store.list_tasks(department="dept_a", status=labels.WORKABLE_TASK)
    assert [(r.task["id"], r.case["id"]) for r in rows] == [("t_00001_0", "c_00001")]
    assert rows[0].case == {
        "id": "c_00001", "number": None, "matter": "food-licence", "matter_version": 3,
        "status": "in_progress", "applicant": "u_app", "holder": None,
        "updated_at": "2026-11-28T09:00:01", "rev": 1,
    }
    every = store.list_tasks(department="dept_a")
    assert [r.task["id"] for r in every] == ["t_00001_0", "t_00003_0", "t_00005_0"]  # by due
    assert every[2].case["summary"] == {"title": "店"}
    assert [r.task["department"] for r in store.list_tasks(department="dept_b")] == ["dept_b"] * 2
    assert store.list_tasks(department="dept_b", status=["claimed"])[0].task["case"] == "c_00002"
    assert store.count_tasks(department="dept_a") == 3
    assert store.count_tasks(department="dept_a", status=["waiting", "approved"]) == 2
    assert store.list_tasks(department="dept_a", limit=1, offset=1)[0].task["id"] == "t_00003_0"
    assert store.list_tasks(department="dept_z") == []


def test_tally_counts_open_tasks_per_status_and_the_holder_s(
        store: IndexedStore, reopen: Callable[[IndexedStore], Iterator[IndexedStore]]) -> None:
    """A list page's tab counts in one read: per status, and what one officer holds."""
    held = make_case(2, departments=("dept_a", "dept_a"), task_status="claimed")
    held["tasks"][0]["claimed_by"] = "u_li"
    held["tasks"][1]["claimed_by"] = "u_wang"
    suspended = make_case(6, departments=("dept_a",), task_status="suspended")
    suspended["tasks"][0]["claimed_by"] = "u_li"
    closed = make_case(4, departments=("dept_a",), task_status="claimed", status="delivered")
    closed["tasks"][0]["claimed_by"] = "u_li"
    put(store, make_case(1, departments=("dept_a", "dept_b")), held, make_case(3),
        closed, suspended, make_case(5, departments=("dept_b",), task_status="claimed"))
    for again in reopen(store):
        tally = again.tally_tasks(department="dept_a", holder="u_li",
                                  held_in=["claimed", "suspended"])
        assert tally.by_status == {"ready": 2, "claimed": 2, "suspended": 1}
        assert tally.held == {"claimed": 1, "suspended": 1}  # not the closed case's task
        only = again.tally_tasks(department="dept_a", holder="u_li", held_in=["claimed"])
        assert only.held == {"claimed": 1}
        assert again.tally_tasks(department="dept_z", holder="u_li", held_in=["claimed"]) \
            == ({}, {})


def test_case_moving_to_closed_and_back_is_still_found(store: IndexedStore) -> None:
    put(store, make_case(1, number="N1"))
    put(store, make_case(1, number="N1", status="delivered"))
    assert store.count_tasks(department="dept_a") == 0
    assert store.get_case("c_00001")["status"] == "delivered"  # type: ignore[index]
    assert store.list_cases(status=["delivered"])[0]["id"] == "c_00001"
    put(store, make_case(1, number="N1", status="in_progress"))  # e.g. a correction
    assert store.get_case_by_number("N1")["rev"] == 3  # type: ignore[index]
    assert store.count_tasks(department="dept_a") == 1
    assert store.list_cases(status=["delivered"]) == []


def test_a_department_s_users_are_listed_alone(store: IndexedStore) -> None:
    with store.write() as tx:
        tx.put_user({"id": "u_2", "name": "wang", "role": "department", "department": "amr"})
        tx.put_user({"id": "u_1", "name": "li", "role": "department", "department": "amr"})
        tx.put_user({"id": "u_3", "name": "zhao", "role": "department", "department": "tax"})
        tx.put_user({"id": "u_4", "name": "qian", "role": "applicant", "department": None})
    assert [u["name"] for u in store.list_users(department="amr")] == ["li", "wang"]
    assert store.list_users(department="amr")[0] == {
        "id": "u_1", "name": "li", "role": "department", "department": "amr"}
    assert [u["name"] for u in store.list_users(department="tax")] == ["zhao"]
    assert store.list_users(department="psb") == []
    assert len(store.list_users()) == 4


def test_users_names_are_unique(store: IndexedStore) -> None:
    with store.write() as tx:
        tx.put_user({"id": "u_2", "name": "wang", "role": "officer", "department": "dept_a"})
        tx.put_user({"id": "u_1", "name": "li", "role": "admin", "department": None})
    assert store.get_user("u_1") == {"id": "u_1", "name": "li", "role": "admin",
                                     "department": None}
    assert store.get_user_by_name("wang")["id"] == "u_2"  # type: ignore[index]
    assert [u["name"] for u in store.list_users()] == ["li", "wang"]
    with pytest.raises(Conflict), store.write() as tx:
        tx.put_user({"id": "u_3", "name": "li"})
    with store.write() as tx:  # renaming in one batch frees the name
        tx.put_user({"id": "u_1", "name": "li2"})
        tx.put_user({"id": "u_3", "name": "li"})
    assert store.get_user("u_1") == {"id": "u_1", "name": "li2"}  # replaced, not merged
    assert store.get_user_by_name("li")["id"] == "u_3"  # type: ignore[index]
    assert store.get_user_by_name("nobody") is None
    with pytest.raises(StoreError), store.write() as tx:
        tx.put_user({"id": "u_4"})


def test_tokens_map_hashes_to_users(store: IndexedStore) -> None:
    with store.write() as tx:
        tx.put_user({"id": "u_1", "name": "li"})
        tx.put_token("h1", "u_1")
    assert store.user_for_token("h1")["id"] == "u_1"  # type: ignore[index]
    with pytest.raises(NotFound), store.write() as tx:
        tx.put_token("h2", "u_nobody")
    with store.write() as tx:
        tx.delete_token("h1")
        tx.delete_token("never-existed")
    assert store.user_for_token("h1") is None


def test_files_and_settings(store: IndexedStore) -> None:
    meta = {"id": "f_1", "sha256": "ab" * 32, "name": "营业执照.pdf", "size": 3,
            "content_type": "application/pdf", "uploaded_by": "u_1", "uploaded_at": "2026"}
    with store.write() as tx:
        tx.put_file(meta)
        tx.put_setting("u_1", "filters", [{"status": ["ready"]}])
    assert store.get_file("f_1") == meta
    assert store.get_file("f_2") is None
    assert store.get_setting("u_1", "filters") == [{"status": ["ready"]}]
    assert store.get_setting("u_2", "filters") is None
    with store.write() as tx:
        tx.put_setting("u_1", "filters", None)
    assert store.get_setting("u_1", "filters") is None


def test_blobs_are_content_addressed(store: IndexedStore) -> None:
    sha = store.save_blob(b"%PDF-1.7 ...")
    assert store.save_blob(b"%PDF-1.7 ...") == sha
    if isinstance(store, PostgresStore):  # contents live in the database: no path
        with pytest.raises(StoreError):
            store.blob_path(sha)
    else:
        assert store.blob_path(sha).parts[-2:] == (sha[:2], sha)
    with store.open_blob(sha) as handle:
        assert handle.read() == b"%PDF-1.7 ..."
    with pytest.raises(NotFound):
        store.open_blob("0" * 64)
    with pytest.raises(StoreError):
        store.blob_path("../../etc/passwd")


def test_closed_store_refuses_writes(store: IndexedStore) -> None:
    store.close()
    with pytest.raises(StoreError), store.write():
        pass


def test_count_and_list_cases_by_matter_and_version(
    store: IndexedStore, reopen: Callable[[IndexedStore], Iterator[IndexedStore]]
) -> None:
    put(
        store,
        make_case(1, updated_at="2026-11-01T00:00:00"),  # food-licence v3
        make_case(2, status="delivered", applicant="u_b", updated_at="2026-11-02T00:00:00"),
        make_case(3, matter_version=4, updated_at="2026-11-03T00:00:00"),
        make_case(4, matter="tax", matter_version=1, updated_at="2026-11-04T00:00:00"),
        make_case(5, status="refused", matter_version=4, applicant="u_b",
                  updated_at="2026-11-05T00:00:00"),
    )
    put(store, make_case(4, matter="tax", matter_version=2, updated_at="2026-11-06T00:00:00"))
    with pytest.raises(StoreError), store.write() as tx:
        tx.put_case(make_case(6, matter_version="3"))
    ids = lambda cases: [c["id"][-1] for c in cases]  # noqa: E731
    for again in reopen(store):
        assert again.count_cases(matter="food-licence") == 4
        assert again.count_cases(matter="food-licence", matter_version=3) == 2
        assert again.count_cases(matter="food-licence", matter_version=4) == 2
        assert again.count_cases(matter_version=4) == 2
        assert again.count_cases(matter="tax", matter_version=1) == 0  # moved to v2
        assert again.count_cases(matter="tax", matter_version=2) == 1
        assert again.count_cases(matter="nothing") == 0
        assert again.count_cases(matter="food-licence", status=["delivered", "refused"]) == 2
        assert again.count_cases(matter="food-licence", matter_version=4,
                                 status=["in_progress"]) == 1
        assert again.count_cases(matter="food-licence", applicant="u_b") == 2
        assert again.count_cases(matter_version=4, applicant="u_b") == 1
        assert again.count_cases() == 5
        assert ids(again.list_cases(matter="food-licence")) == ["5", "3", "2", "1"]
        assert ids(again.list_cases(matter="food-licence", limit=2, offset=1)) == ["3", "2"]
        assert ids(again.list_cases(matter_version=4, status=["in_progress"])) == ["3"]
        assert ids(again.list_cases(matter="food-licence", applicant="u_b")) == ["5", "2"]
        assert ids(again.list_cases(matter="tax")) == ["4"]


def _decided(n: int, status: str, *decisions: tuple[str, str, str | None],
             updated_at: str) -> dict[str, object]:
    """A case whose tasks are (department, task status, decision time or None)."""
    case = make_case(n, status=status, departments=tuple(d for d, _, _ in decisions),
                     updated_at=updated_at)
    for task, (_, task_status, at) in zip(case["tasks"], decisions, strict=True):
        task["status"] = task_status
        task["decision"] = None if at is None else {"result": task_status, "at": at}
    return case


def test_decided_tasks_of_every_case_newest_first(
    store: IndexedStore, reopen: Callable[[IndexedStore], Iterator[IndexedStore]]
) -> None:
    put(
        store,
        _decided(1, "delivered", ("dept_a", "approved", "2026-11-02T10:00:00"),
                 ("dept_b", "approved", "2026-11-02T11:00:00"), updated_at="2026-11-09T00:00:00"),
        _decided(2, "in_progress", ("dept_a", "rejected", "2026-11-05T10:00:00"),
                 ("dept_a", "ready", None), updated_at="2026-11-06T00:00:00"),
        # no decision document: decided when the case was last updated
        _decided(3, "refused", ("dept_a", "approved", None), updated_at="2026-11-04T00:00:00"),
        _decided(4, "in_progress", ("dept_a", "claimed", None), updated_at="2026-11-07T00:00:00"),
    )
    # a decided task taken back (a correction) leaves; a case that closes keeps its own
    put(store, _decided(2, "in_progress", ("dept_a", "ready", None), ("dept_a", "ready", None),
                        updated_at="2026-11-08T00:00:00"),
        _decided(4, "delivered", ("dept_a", "approved", "2026-11-07T12:00:00"),
                 updated_at="2026-11-08T00:00:00"))
    for again in reopen(store):
        rows = again.list_decided(department="dept_a")
        assert [(r.task["id"], r.case["id"]) for r in rows] == [
            ("t_00004_0", "c_00004"), ("t_00003_0", "c_00003"), ("t_00001_0", "c_00001")]
        assert rows[0].task == again.get_case("c_00004")["tasks"][0]  # type: ignore[index]
        assert rows[0].case == {
            "id": "c_00004", "number": None, "matter": "food-licence", "matter_version": 3,
            "status": "delivered", "applicant": "u_app", "holder": None,
            "updated_at": "2026-11-08T00:00:00", "rev": 2,
        }
        assert again.count_decided("dept_a") == 3
        assert again.count_decided("dept_a", at_most=2) == 2  # a bounded count stops there
        assert again.count_decided("dept_a", at_most=5) == 3
        page = again.list_decided(department="dept_a", limit=2, offset=1)
        assert [r.task["id"] for r in page] == ["t_00003_0", "t_00001_0"]
        assert again.list_decided(department="dept_a", offset=3) == []
        assert [r.task["id"] for r in again.list_decided(department="dept_b")] == ["t_00001_1"]
        assert again.count_decided("dept_z") == 0
        assert again.list_decided(department="dept_z") == []
        assert again.count_tasks(department="dept_a") == 2  # the worklist is unchanged


def test_decided_rows_are_fresh_copies(store: IndexedStore) -> None:
    put(store, _decided(1, "delivered", ("dept_a", "approved", None), ("dept_a", "rejected", None),
                        updated_at="2026-11-09T00:00:00", ) | {"summary": {"title": "店"}})
    rows = store.list_decided(department="dept_a")
    assert [r.task["id"] for r in rows] == ["t_00001_1", "t_00001_0"]  # tie: later task first
    rows[0].task["status"] = "changed"
    rows[0].case["summary"]["title"] = "changed"
    assert rows[1].case["summary"] == {"title": "店"}
    again = store.list_decided(department="dept_a")
    assert again[0].task["status"] == "rejected" and again[0].case["summary"] == {"title": "店"}
