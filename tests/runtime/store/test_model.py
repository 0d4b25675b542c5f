"""Random writes, checkpoints and reopens against a plain-dict model."""

from __future__ import annotations

import marshal
import os
import tempfile
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runtime.services import LIFECYCLE
from runtime.store import TinyDBStore

STATUSES = ("submitted", "in_progress", "approved", "delivered", "withdrawn")
TASK_STATUSES = ("waiting", "ready", "claimed", "approved")
DEPARTMENTS = ("d1", "d2", "d3")


def _case(n: int, status: str, depts: list[str], task_status: str, stamp: int) -> dict[str, Any]:
    case_id = f"c{n}"
    return {
        "schema": 1, "id": case_id, "number": f"N{n}", "matter": "m", "matter_version": 1,
        "status": status, "applicant": f"u{n % 2}",
        "data": {"pad": "x" * (4200 if n % 2 else 300)},  # odd cases get deltas
        "tasks": [
            {"id": f"t{i}", "case": case_id, "department": d, "status": task_status,
             "ready_at": None, "due": None if stamp % 3 == 0 else f"2026-12-{1 + stamp % 9:02d}"}
            for i, d in enumerate(depts)
        ],
        "events": [], "updated_at": f"2026-11-28T{stamp:06d}",
    }


case_op = st.tuples(
    st.just("case"), st.integers(0, 12), st.sampled_from(STATUSES),
    st.lists(st.sampled_from(DEPARTMENTS), max_size=3, unique=True),
    st.sampled_from(TASK_STATUSES),
)
ops = st.lists(
    st.one_of(
        case_op,
        st.tuples(st.just("user"), st.integers(0, 3), st.sampled_from(["a", "b", "c", "d"])),
        st.tuples(st.just("seq"), st.sampled_from(["K1", "K2"])),
        st.tuples(st.just("token"), st.sampled_from(["h1", "h2"]), st.integers(0, 3)),
        st.tuples(st.just("untoken"), st.sampled_from(["h1", "h2"])),
        st.tuples(st.just("setting"), st.integers(0, 1), st.none() | st.integers()),
        st.tuples(st.just("touch"), st.integers(0, 12),
                  st.sampled_from([1, 1.0, True, -0.0, 0.0, "1", None])),
        st.tuples(st.just("reopen")),
        st.tuples(st.just("checkpoint")),
    ),
    max_size=40,
)


class Model:
    """What the store should contain."""

    def __init__(self) -> None:
        self.cases: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.seqs: dict[str, int] = {}
        self.tokens: dict[str, str] = {}
        self.settings: dict[str, int] = {}

    def worklist(self, dept: str) -> list[tuple[str, str]]:
        rows = [
            ((t["due"] or "\uffff", "\uffff", c["id"], t["id"]), (c["id"], t["id"]))
            for c in self.cases.values() if c["status"] not in LIFECYCLE.closed_case
            for t in c["tasks"] if t["department"] == dept
        ]
        return [pair for _, pair in sorted(rows)]


def check(store: TinyDBStore, model: Model) -> None:
    for case_id, case in model.cases.items():
        # exactly: 1, 1.0 and true (and -0.0, 0.0) differ, and key order counts
        assert marshal.dumps(store.get_case(case_id), 2) == marshal.dumps(case, 2)
        assert store.get_case_by_number(case["number"]) == case
    newest = sorted(model.cases.values(), key=lambda c: (c["updated_at"], c["id"]), reverse=True)
    assert store.list_cases(limit=100) == newest
    for status in STATUSES:
        assert store.count_cases(status=[status]) == sum(
            c["status"] == status for c in model.cases.values())
    for dept in DEPARTMENTS:
        rows = store.list_tasks(department=dept, limit=100)
        assert [(r.case["id"], r.task["id"]) for r in rows] == model.worklist(dept)
    assert store.list_users() == sorted(model.users.values(), key=lambda u: (u["name"], u["id"]))
    for token, user_id in model.tokens.items():
        assert store.user_for_token(token) == model.users[user_id]
    for user in ("u0", "u1"):
        assert store.get_setting(user, "k") == model.settings.get(user)


@settings(
    max_examples=int(os.environ.get("STORE_MODEL_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(ops)
def test_random_writes_and_reopens_match_a_dict_model(script: list[tuple[Any, ...]]) -> None:
    model = Model()
    with tempfile.TemporaryDirectory() as data_dir:
        store = TinyDBStore(data_dir, segment_bytes=4096, lifecycle=LIFECYCLE)
        try:
            for stamp, (kind, *args) in enumerate(script):
                if kind == "reopen":
                    store.close()
                    store = TinyDBStore(data_dir, segment_bytes=4096, lifecycle=LIFECYCLE)
                    check(store, model)
                elif kind == "checkpoint":
                    store.checkpoint()
                else:
                    _apply(store, model, stamp, kind, args)
            check(store, model)
            for key in ("K1", "K2"):
                with store.write() as tx:
                    assert tx.next_sequence(key) == model.seqs.get(key, 0) + 1
        finally:
            store.close()


def _apply(store: TinyDBStore, model: Model, stamp: int, kind: str, args: list[Any]) -> None:
    with store.write() as tx:
        if kind == "touch":  # an in-place edit: a delta against the cached version
            n, value = args
            case = tx.get_case(f"c{n}")
            if case is None:
                return
            case["events"].append({"at": stamp, "value": value})
            case["data"]["value"] = value
            if case["tasks"]:
                case["tasks"][-1]["value"] = value
            case["rev"] = tx.put_case(case, expected_rev=case["rev"])
            model.cases[case["id"]] = case
        elif kind == "case":
            n, status, depts, task_status = args
            case = _case(n, status, depts, task_status, stamp)
            rev = tx.put_case(case)
            model.cases[case["id"]] = {**case, "rev": rev}
        elif kind == "user":
            user = {"id": f"u{args[0]}", "name": args[1]}
            if any(u["name"] == args[1] and u["id"] != user["id"] for u in model.users.values()):
                return  # the store raises Conflict; covered by the contract tests
            tx.put_user(user)
            model.users[user["id"]] = user
        elif kind == "seq":
            model.seqs[args[0]] = tx.next_sequence(args[0])
        elif kind == "token" and f"u{args[1]}" in model.users:
            tx.put_token(args[0], f"u{args[1]}")
            model.tokens[args[0]] = f"u{args[1]}"
        elif kind == "untoken":
            tx.delete_token(args[0])
            model.tokens.pop(args[0], None)
        elif kind == "setting":
            tx.put_setting(f"u{args[0]}", "k", args[1])
            if args[1] is None:
                model.settings.pop(f"u{args[0]}", None)
            else:
                model.settings[f"u{args[0]}"] = args[1]
