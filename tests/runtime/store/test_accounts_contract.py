"""The `Store` contract for token records, sign-in sessions and rate-limit counters,
run against every backend (PostgreSQL included): whichever process answers a
request must find them."""

from __future__ import annotations

import pytest

from runtime.store import NotFound, StoreError
from runtime.store.core import IndexedStore


def test_token_records_keep_their_facts_and_list_oldest_first(store: IndexedStore) -> None:
    with store.write() as tx:
        tx.put_user({"id": "u_1", "name": "li"})
        tx.put_user({"id": "u_2", "name": "wang"})
        tx.put_token("h2", "u_1", {"created_at": "2026-11-30T10:00:00", "last_used_at": None})
        tx.put_token("h1", "u_1", {"created_at": "2026-11-30T09:00:00"})
        tx.put_token("h3", "u_2")
    assert store.get_token("h2") == {"created_at": "2026-11-30T10:00:00",
                                     "last_used_at": None, "token_hash": "h2", "user": "u_1"}
    assert store.get_token("nope") is None
    assert [t["token_hash"] for t in store.list_tokens("u_1")] == ["h1", "h2"]
    assert store.list_tokens("u_3") == []
    with store.write() as tx:  # a use is recorded by replacing the record
        tx.put_token("h1", "u_1", {"created_at": "2026-11-30T09:00:00",
                                   "last_used_at": "2026-12-01T08:00:00"})
        tx.delete_token("h3")
    assert store.get_token("h1")["last_used_at"] == "2026-12-01T08:00:00"  # type: ignore[index]
    assert store.user_for_token("h1")["name"] == "li"  # type: ignore[index]
    assert store.list_tokens("u_2") == [] and store.user_for_token("h3") is None
    with pytest.raises(NotFound), store.write() as tx:
        tx.put_token("h4", "u_nobody", {"created_at": "2026"})


def test_sessions_are_found_by_id_and_user(store: IndexedStore) -> None:
    first = {"id": "s_b", "user": "u_1", "created_at": "2026-11-30T09:00:00",
             "expires_at": "2026-11-30T17:00:00", "csrf": "x"}
    with store.write() as tx:
        tx.put_session(first)
        tx.put_session({"id": "s_a", "user": "u_1", "created_at": "2026-11-30T10:00:00"})
        tx.put_session({"id": "s_c", "user": "u_2", "created_at": "2026-11-30T08:00:00"})
    assert store.get_session("s_b") == first
    assert [s["id"] for s in store.list_sessions("u_1")] == ["s_b", "s_a"]  # oldest first
    with store.write() as tx:
        tx.delete_session("s_b")
        tx.delete_session("never-existed")
        tx.put_session({"id": "s_c", "user": "u_1", "created_at": "2026-11-30T08:00:00"})
    assert store.get_session("s_b") is None
    assert [s["id"] for s in store.list_sessions("u_1")] == ["s_c", "s_a"]
    assert store.list_sessions("u_2") == []  # the session moved with its replacement
    with pytest.raises(StoreError), store.write() as tx:
        tx.put_session({"id": "", "user": "u_1"})


def test_rate_limit_counters(store: IndexedStore) -> None:
    with store.write() as tx:
        tx.put_limit("login:li:1.2.3.4", {"count": 2, "since": "2026-11-30T09:00:00"})
        tx.put_limit("login:wang:1.2.3.4", {"count": 1, "since": "2026-11-30T09:01:00"})
    assert store.get_limit("login:li:1.2.3.4") == {
        "count": 2, "since": "2026-11-30T09:00:00", "key": "login:li:1.2.3.4"}
    with store.write() as tx:
        tx.put_limit("login:li:1.2.3.4", None)
    assert store.get_limit("login:li:1.2.3.4") is None
    assert [x["key"] for x in store.list_limits()] == ["login:wang:1.2.3.4"]


def test_records_by_kind(store: IndexedStore) -> None:
    with store.write() as tx:
        tx.put_record("complaint", "k_2", {"text": "窗口态度差", "status": "open"})
        tx.put_record("complaint", "k_1", {"text": "超期", "status": "open"})
        tx.put_record("consultation", "q_1", {"text": "需要什么材料？"})
    assert store.get_record("complaint", "k_2") == {
        "text": "窗口态度差", "status": "open", "kind": "complaint", "id": "k_2"}
    assert [r["id"] for r in store.list_records("complaint")] == ["k_1", "k_2"]
    assert store.get_record("consultation", "k_1") is None
    with store.write() as tx:
        tx.put_record("complaint", "k_1", {"text": "超期", "status": "closed"})
        tx.put_record("complaint", "k_2", None)
    assert [(r["id"], r["status"]) for r in store.list_records("complaint")] == [
        ("k_1", "closed")]
    with store.write() as tx:  # a batch reads records as it would leave them
        assert tx.get_record("complaint", "k_1") == {
            "text": "超期", "status": "closed", "kind": "complaint", "id": "k_1"}
        tx.put_record("complaint", "k_1", {"text": "超期", "status": "rated"})
        assert tx.get_record("complaint", "k_1")["status"] == "rated"  # type: ignore[index]
        tx.put_record("complaint", "k_1", None)
        assert tx.get_record("complaint", "k_1") is None
        assert tx.get_record("complaint", "k_2") is None
        tx.put_record("complaint", "k_1", {"text": "超期", "status": "closed"})
    # a kind may carry a key (the principal's index: ``entrusted:<ID NUMBER>``): kinds
    # sharing a prefix never mix
    with store.write() as tx:
        tx.put_record("entrusted:11010119900307123X", "c_2", {"case": "c_2"})
        tx.put_record("entrusted:11010119900307123X", "c_1", {"case": "c_1"})
        tx.put_record("entrusted:1101011990030712", "c_3", {"case": "c_3"})
    assert [r["case"] for r in store.list_records("entrusted:11010119900307123X")] == [
        "c_1", "c_2"]
    assert [r["case"] for r in store.list_records("entrusted:1101011990030712")] == ["c_3"]
    assert store.list_records("entrusted:") == []
    with pytest.raises(StoreError), store.write() as tx:
        tx.put_record("", "x", {})
