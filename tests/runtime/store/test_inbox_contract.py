"""The `Store` contract for notifications (站内通知) and the job queue, on every
backend (PostgreSQL included), surviving a reopen of the embedded store."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from runtime.store import StoreError
from runtime.store.core import IndexedStore

Reopen = Callable[[IndexedStore], Iterator[IndexedStore]]


def notice(n: int, recipient: str, at: str, read: bool = False) -> dict[str, object]:
    return {"id": f"n{n}", "recipient": recipient, "at": at, "read": read, "kind": "accepted",
            "title": "办件已受理", "body": "您的申请已受理", "case": "c_1"}


def job(name: str, run_at: str, status: str = "pending") -> dict[str, object]:
    return {"id": name, "kind": "timeout", "status": status, "run_at": run_at,
            "lease_until": None, "attempts": 0, "payload": {"case": "c_1"}}


def test_notices_newest_first_per_recipient_and_unread_count(store: IndexedStore,
                                                             reopen: Reopen) -> None:
    with store.write() as tx:
        tx.put_notice(notice(1, "u_a", "2026-12-01T09:00:00+08:00"))
        tx.put_notice(notice(2, "u_a", "2026-12-01T10:00:00+08:00"))
        tx.put_notice(notice(3, "u_b", "2026-12-01T11:00:00+08:00"))
        tx.put_notice(notice(4, "u_a", "2026-12-01T10:00:00+08:00", read=True))
    assert store.count_notices("u_a", unread=True) == 2
    with store.write() as tx:  # marking read replaces the document
        tx.put_notice(notice(2, "u_a", "2026-12-01T10:00:00+08:00", read=True))
    for opened in reopen(store):
        assert [n["id"] for n in opened.list_notices("u_a")] == ["n4", "n2", "n1"]
        assert [n["id"] for n in opened.list_notices("u_a", limit=1, offset=1)] == ["n2"]
        assert opened.count_notices("u_a") == 3
        assert opened.count_notices("u_a", unread=True) == 1
        assert opened.count_notices("u_nobody") == 0 and opened.list_notices("u_nobody") == []
        assert opened.get_notice("n3") == notice(3, "u_b", "2026-12-01T11:00:00+08:00")
        assert opened.get_notice("n2")["read"] is True  # type: ignore[index]


def test_a_notice_or_job_written_in_a_failed_batch_is_not_kept(store: IndexedStore) -> None:
    with pytest.raises(RuntimeError), store.write() as tx:
        tx.put_notice(notice(1, "u_a", "2026-12-01T09:00:00+08:00"))
        tx.put_job(job("j1", "2026-12-01T09:00:00+08:00"))
        raise RuntimeError("the case change failed")
    assert store.count_notices("u_a") == 0 and store.get_job("j1") is None


def test_bad_notices_and_jobs_are_refused(store: IndexedStore) -> None:
    for bad in ({"id": "n1", "recipient": "u_a", "at": "x"},  # no read flag
                {"id": "", "recipient": "u_a", "at": "x", "read": False}):
        with pytest.raises(StoreError, match="notice needs"), store.write() as tx:
            tx.put_notice(bad)
    with pytest.raises(StoreError, match="a status among pending"), store.write() as tx:
        tx.put_job(job("j1", "2026", status="sleeping"))


def test_claim_takes_due_jobs_once_in_time_order(store: IndexedStore, reopen: Reopen) -> None:
    with store.write() as tx:
        tx.put_job(job("late", "2026-12-01T12:00:00+08:00"))
        tx.put_job(job("b", "2026-12-01T09:00:00+08:00"))
        tx.put_job(job("a", "2026-12-01T09:00:00+08:00"))
        tx.put_job(job("dead", "2026-12-01T08:00:00+08:00", status="dead"))
    now, lease = "2026-12-01T10:00:00+08:00", "2026-12-01T10:05:00+08:00"
    with store.write() as tx:
        first = tx.claim_jobs(now=now, lease_until=lease, worker="w1", limit=1)
        assert [j["id"] for j in first] == ["a"]
        second = tx.claim_jobs(now=now, lease_until=lease, worker="w1", limit=5)
        assert [j["id"] for j in second] == ["b"]  # "a" is already running in this batch
    assert first[0]["status"] == "running" and first[0]["worker"] == "w1"
    assert first[0]["lease_until"] == lease and first[0]["payload"] == {"case": "c_1"}
    opened = store
    for opened in reopen(store):
        assert opened.get_job("a")["status"] == "running"  # type: ignore[index]
        with opened.write() as tx:  # leased: nobody else takes them before the lease ends
            assert tx.claim_jobs(now=now, lease_until=lease, worker="w2", limit=5) == []
        assert [j["id"] for j in opened.list_jobs(status=["pending"])] == ["late"]
        assert opened.count_jobs() == 4 and opened.count_jobs(status=["dead"]) == 1
        assert [j["id"] for j in opened.list_jobs()] == ["dead", "a", "b", "late"]
    with opened.write() as tx:  # a worker that died: its lease runs out, another takes over
        again = tx.claim_jobs(now="2026-12-01T10:06:00+08:00", lease_until="2026-12-01T10:11"
                              ":00+08:00", worker="w2", limit=5)
        assert [j["id"] for j in again] == ["a", "b"]
        tx.delete_job("a")
    assert opened.get_job("a") is None
    assert opened.get_job("b")["worker"] == "w2"  # type: ignore[index]
