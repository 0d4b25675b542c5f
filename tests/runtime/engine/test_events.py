"""Events: append-only, replayable, and the copy-on-write writer behind them."""

from __future__ import annotations

import copy
import itertools
import json

import pytest

from runtime.engine import replay
from runtime.engine.events import Writer
from tests.runtime.engine.helpers import (
    APPLICANT,
    WINDOW,
    decide,
    fixture_matter,
    license_ok,
    running,
)

M = fixture_matter()


def lifecycle() -> list[dict]:
    cases = [running()]
    cases.append(license_ok(cases[-1]))
    for step_id, dept in [("seal", None), ("tax", None), ("site-check", "fire"),
                          ("site-check", "env")]:
        cases.append(decide(cases[-1], M, step_id, dept))
    return cases


def without_events(case: dict) -> dict:
    return {k: v for k, v in case.items() if k != "events"}


def test_replay_rebuilds_every_stage_of_a_case() -> None:
    for case in lifecycle():
        assert replay(case["events"]) == without_events(case)


def test_replay_survives_a_json_round_trip() -> None:
    case = json.loads(json.dumps(lifecycle()[-1], ensure_ascii=False))
    assert replay(case["events"]) == without_events(case)


def test_events_are_append_only_and_numbered() -> None:
    stages = lifecycle()
    for before, after in itertools.pairwise(stages):
        assert after["events"][: len(before["events"])] == before["events"]
    final = stages[-1]["events"]
    assert [e["seq"] for e in final] == list(range(1, len(final) + 1))
    keys = {"seq", "at", "actor", "role", "action", "entity", "task", "step", "from", "to",
            "note", "changes"}
    assert all(set(e) == keys for e in final)


def test_every_event_says_who_and_when() -> None:
    events = lifecycle()[-1]["events"]
    assert events[0]["actor"] == APPLICANT.id and events[0]["role"] == "applicant"
    accept = next(e for e in events if e["action"] == "accept")
    assert (accept["actor"], accept["from"], accept["to"]) == (WINDOW.id, "submitted",
                                                               "accepted")
    assert all(e["at"].endswith("+08:00") for e in events)


def test_writer_copies_only_the_path_it_changes() -> None:
    case = running()
    w = Writer(case, "t")
    w.begin(WINDOW, "x", entity="task", source=None, target=None)
    w.set(["tasks", 1, "status"], "ready")
    out = w.result()
    assert out["tasks"] is not case["tasks"]
    assert out["tasks"][1] is not case["tasks"][1]
    assert out["tasks"][0] is case["tasks"][0]  # untouched task shared
    assert out["data"] is case["data"]
    assert case["tasks"][1]["status"] == "waiting"


def test_writer_keeps_logged_values_frozen() -> None:
    w = Writer({"a": {}}, "t")
    w.begin(WINDOW, "x", entity="case", source=None, target=None)
    value = {"n": 1}
    w.set(["a", "b"], value)
    w.set(["a", "b", "n"], 2)
    out = w.result()
    assert value == {"n": 1} and out["a"]["b"] == {"n": 2}
    changes = out["events"][0]["changes"]
    assert changes[:2] == [[["a", "b"], None, {"n": 1}], [["a", "b", "n"], 1, 2]]


def test_writer_needs_an_open_event_and_skips_no_op_changes() -> None:
    w = Writer({"a": 1}, "t")
    with pytest.raises(RuntimeError):
        w.set(["a"], 2)
    assert w.root == {"a": 1}
    w.begin(WINDOW, "x", entity="case", source=None, target=None)
    w.set(["a"], 1)
    assert w.result()["events"][0]["changes"] == [[["updated_at"], None, "t"]]


def test_replay_does_not_share_values_with_the_events() -> None:
    case = lifecycle()[-1]
    events = copy.deepcopy(case["events"])
    rebuilt = replay(case["events"])
    rebuilt["tasks"][0]["status"] = "changed"
    assert case["events"] == events
