"""Sessions, token facts and rate-limit counters are durable store records."""

from __future__ import annotations

from pathlib import Path

from runtime.services import LIFECYCLE
from runtime.store import TinyDBStore


def test_sessions_tokens_and_limits_survive_a_reopen_and_a_snapshot(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path, lifecycle=LIFECYCLE)
    with store.write() as tx:
        tx.put_user({"id": "u_1", "name": "clerk"})
        tx.put_token("h" * 64, "u_1", {"created_at": "2026-11-30T09:00:00+08:00"})
        tx.put_session({"id": "s1", "user": "u_1", "expires_at": "2026-11-30T17:00:00+08:00"})
        tx.put_session({"id": "s2", "user": "u_1", "expires_at": "2026-11-30T17:00:00+08:00"})
        tx.put_limit("login-from|203.0.113.9", {"hits": [1.0, 2.0]})
    with store.write() as tx:
        tx.delete_session("s1")
    store.close()
    for step in ("replay", "snapshot"):
        store = TinyDBStore(tmp_path, lifecycle=LIFECYCLE)
        assert [s["id"] for s in store.list_sessions("u_1")] == ["s2"], step
        assert store.get_session("s1") is None
        [token] = store.list_tokens("u_1")
        assert token["created_at"] == "2026-11-30T09:00:00+08:00"
        assert store.get_token("h" * 64) == token
        assert store.get_limit("login-from|203.0.113.9") == {
            "key": "login-from|203.0.113.9", "hits": [1.0, 2.0]}
        assert len(store.list_limits()) == 1
        if step == "replay":
            store.checkpoint()
        store.close()
