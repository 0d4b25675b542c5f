"""网上投诉 through the API: filed, assigned with a time limit, answered, closed, rated."""

from __future__ import annotations

from datetime import datetime

from runtime.engine.calendar import CHINA_TZ
from tests.runtime.api.conftest import Api
from tests.runtime.web.conftest import Clock


def test_a_complaint_from_filing_to_rating(api: Api, clock: Clock) -> None:
    clock.now = datetime(2026, 11, 30, 9, 0, tzinfo=CHINA_TZ)  # Monday
    case = api.accepted()
    filed = api.ok(api.post("alice", "/complaints", {"text": "窗口一次性告知不清",
                                                     "case": case["id"]}), 201)
    assert (filed["status"], filed["case_number"]) == ("submitted", case["number"])
    assert api.post("bob", "/complaints", {"text": "x", "case": case["id"]}).status_code == 404
    assert api.post("win", "/complaints", {"text": "x"}).status_code == 403
    assert api.post("alice", "/complaints", {"text": " "}).status_code == 400
    bad = api.post("alice", "/complaints", {"text": "x", "department": "nope"})
    assert bad.status_code == 400 and bad.json()["details"][0]["pointer"] == "/department"
    path = f"/complaints/{filed['id']}"
    assert api.ok(api.get("amr1", "/complaints")) == []  # not assigned yet
    assert api.post("amr1", f"{path}/reply", {"text": "x"}).status_code == 404
    assigned = api.ok(api.post("sup", f"{path}/assign", {"department": "amr"}))
    assert assigned["status"] == "assigned" and assigned["due"].startswith("2026-12-07")
    assert [c["id"] for c in api.ok(api.get("amr1", "/complaints"))] == [filed["id"]]
    assert api.ok(api.get("psb1", "/complaints")) == []
    assert api.post("alice", f"{path}/rating", {"level": 5}).status_code == 409
    answered = api.ok(api.post("amr1", f"{path}/reply", {"text": "已约谈窗口人员"}))
    assert answered["status"] == "answered"
    closed = api.ok(api.post("sup", f"{path}/reply", {"text": "投诉属实，已整改"}))
    assert closed["status"] == "closed" and closed["result"]["text"] == "投诉属实，已整改"
    mine = api.ok(api.get("alice", "/complaints"))
    assert [(c["id"], c["result"]["text"]) for c in mine] == [(filed["id"], "投诉属实，已整改")]
    assert api.ok(api.get("bob", "/complaints")) == []
    assert api.ok(api.post("alice", f"{path}/rating", {"level": 4}))["rating"]["level"] == 4
    assert api.post("alice", f"{path}/rating", {"level": 5}).status_code == 409
    assert [h["action"] for h in api.ok(api.get("sup", "/complaints"))[0]["history"]] == [
        "file", "assign", "answer", "close", "rate"]


def test_closing_with_a_verdict_that_overturns_the_refusal(api: Api, clock: Clock) -> None:
    clock.now = datetime(2026, 11, 30, 9, 0, tzinfo=CHINA_TZ)  # Monday
    case = api.apply()
    refused = api.ok(api.post("win", f"/cases/{case['id']}/refuse", {"reason": "材料不全"}))
    filed = api.ok(api.post("alice", "/complaints", {"text": "材料齐全却不予受理",
                                                     "case": case["id"]}), 201)
    path = f"/complaints/{filed['id']}"
    api.ok(api.post("sup", f"{path}/assign", {"department": "amr"}))
    bad = api.post("sup", f"{path}/reply", {"text": "x", "verdict": "maybe"})
    assert bad.status_code == 400 and bad.json()["details"][0]["pointer"] == "/verdict"
    bad = api.post("sup", f"{path}/reply", {"text": "x", "verdict": "not_upheld",
                                            "overturn": True})
    assert bad.status_code == 400 and bad.json()["details"][0]["pointer"] == "/overturn"
    assert api.ok(api.get("sup", "/complaints"))[0]["status"] == "assigned"  # nothing written
    clock.now = datetime(2026, 12, 2, 9, 0, tzinfo=CHINA_TZ)
    closed = api.ok(api.post("sup", f"{path}/reply", {"text": "属实，撤销不予受理决定",
                                                      "verdict": "upheld", "overturn": True}))
    refusal = next(e for e in refused["events"] if e["action"] == "refuse")
    assert closed["result"]["verdict"] == "upheld"
    assert closed["result"]["overturned"] == {
        "case": case["id"], "number": refused.get("number"), "seq": refusal["seq"],
        "at": refusal["at"], "action": "refuse", "department": None,
        "staff": refusal["actor"]}
    scores = api.ok(api.get("sup", "/scores?period=2026-12"))
    amr = next(d for d in scores["departments"] if d["department"] == "amr")
    assert {i["rule"]: i["points"] for i in amr["items"]} == {
        "complaint": -2.0, "complaint-upheld": -2.0}
    window = next(s for s in scores["staff"] if s["user"] == refusal["actor"])
    [item] = [i for i in window["items"] if i["rule"] == "refusal-overturned"]
    assert item["points"] == -3.0 and item["events"][0]["key"] == \
        f"refusal-overturned:{case['id']}:{refusal['seq']}:overturned"


def test_overturning_needs_a_refused_or_rejected_case(api: Api, clock: Clock) -> None:
    clock.now = datetime(2026, 11, 30, 9, 0, tzinfo=CHINA_TZ)
    case = api.accepted()
    filed = api.ok(api.post("alice", "/complaints", {"text": "慢", "case": case["id"]}), 201)
    bad = api.post("sup", f"/complaints/{filed['id']}/reply",
                   {"text": "x", "verdict": "upheld", "overturn": True})
    assert bad.status_code == 400 and "无可撤销" in bad.json()["message"]
