"""全程代办 beyond applying: service points on the case, the town point forwarding a
village case within 2 working days (with a light), 上门受理, 回访, and the principal
reading the case with their own account."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.runtime.api.conftest import Api
from tests.runtime.api.samples import LICENSE, PARALLEL
from tests.runtime.api.test_agents import PRINCIPAL, _apply
from tests.runtime.web.conftest import Clock

VILLAGE = {"name": "青禾村代办点", "level": "village", "town": "青禾镇代办点"}
TOWN = {"name": "青禾镇代办点", "level": "town"}
OTHER_TOWN = {"name": "白沙镇代办点", "level": "town"}


@pytest.fixture
def points(api: Api) -> dict[str, str]:
    """village (agent1), its town point (town1), another town (town2), agent of no point."""
    made = {}
    for name, point in (("agent1", VILLAGE), ("town1", TOWN), ("town2", OTHER_TOWN),
                        ("agent9", None)):
        user = api.services.accounts.create_user(name, "correct-horse-9", "agent")
        api.tokens[name] = api.services.accounts.create_token(name)
        if point is not None:
            got = api.ok(api.client.patch(f"/api/v1/users/{user.id}", headers=api.headers("root"),
                                          json={"service_point": point}))
            assert got["service_point"] == point
        made[name] = user.id
    return made


def test_a_village_case_records_its_point_and_waits_for_its_town_point(
        api: Api, points: dict[str, str], clock: Clock) -> None:
    case = api.ok(_apply(api, "agent1"), 201)
    assert case["agent"] == points["agent1"] and case["agent_point"] == VILLAGE
    forward = case["forward"]
    assert forward["to"] == "青禾镇代办点" and forward["at"] is None
    assert forward["due"].startswith("2026-12-02")  # Monday + 2 working days

    pending = api.ok(api.get("town1", "/forwarding"))
    assert [(p["id"], p["forward_light"]) for p in pending] == [(case["id"], "green")]
    assert api.ok(api.get("town2", "/forwarding")) == []
    assert api.get("agent1", "/forwarding").status_code == 403  # a village point
    assert api.ok(api.get("town1", f"/cases/{case['id']}"))["id"] == case["id"]
    assert api.get("town2", f"/cases/{case['id']}").status_code == 404
    assert api.get("agent9", f"/cases/{case['id']}").status_code == 404
    assert api.post("town2", f"/cases/{case['id']}/forward", {}).status_code == 404
    assert api.post("agent1", f"/cases/{case['id']}/forward", {}).status_code == 403

    clock.now += timedelta(days=3)  # Thursday: past the due day
    assert api.ok(api.get("town1", "/forwarding"))[0]["forward_light"] == "red"
    done = api.ok(api.post("town1", f"/cases/{case['id']}/forward", {"note": "已核对材料"}))
    assert done["forward"]["by"] == points["town1"] and done["forward"]["note"] == "已核对材料"
    assert done["events"][-1]["action"] == "forward"
    assert api.ok(api.get("town1", "/forwarding")) == []
    assert api.post("town1", f"/cases/{case['id']}/forward", {}).status_code == 409


def test_a_town_or_pointless_agent_case_has_no_forwarding(api: Api,
                                                           points: dict[str, str]) -> None:
    town = api.ok(_apply(api, "town1"), 201)
    assert "forward" not in town and town["agent_point"] == TOWN
    case = api.ok(_apply(api, "agent9"), 201)
    assert "forward" not in case and "agent_point" not in case


def test_service_points_are_checked(api: Api, points: dict[str, str]) -> None:
    path = f"/api/v1/users/{points['agent1']}"
    bad = api.client.patch(path, headers=api.headers("root"),
                           json={"service_point": {"name": "村", "level": "village"}})
    assert bad.status_code == 400 and "/service_point/town" in bad.text
    bad = api.client.patch(path, headers=api.headers("root"),
                           json={"service_point": {"name": "x", "level": "city"}})
    assert bad.status_code == 400 and "乡镇" in bad.text
    bad = api.client.patch(f"/api/v1/users/{api.user_id('win')}", headers=api.headers("root"),
                           json={"service_point": TOWN})
    assert bad.status_code == 400 and "只有代办员" in bad.text


def test_home_visit_intake_is_a_note_by_the_cases_agent(api: Api,
                                                        points: dict[str, str]) -> None:
    case = api.ok(_apply(api, "agent1"), 201)
    path = f"/cases/{case['id']}/home-visit"
    note = "王小明老人行动不便，代办员上门收取材料并核对身份证原件"
    done = api.ok(api.post("agent1", path, {"note": note}))
    assert done["home_visits"] == [{"by": points["agent1"], "at": done["home_visits"][0]["at"],
                                    "note": note}]
    assert api.post("agent1", path, {"note": " "}).status_code == 400
    assert api.post("agent9", path, {"note": note}).status_code == 404
    assert api.post("win", path, {"note": note}).status_code == 403


def _deliver(api: Api, case: dict[str, Any]) -> None:
    case = api.ok(api.post("win", f"/cases/{case['id']}/accept"))
    task = api.task(case, "license")["id"]
    api.ok(api.post("amr1", f"/tasks/{task}/claim"))
    api.ok(api.post("amr1", f"/tasks/{task}/approve", {"data": LICENSE}))
    for step, (who, data) in PARALLEL.items():
        t = api.task(api.ok(api.get("win", f"/cases/{case['id']}")), step)
        api.ok(api.post(who, f"/tasks/{t['id']}/claim"))
        api.ok(api.post(who, f"/tasks/{t['id']}/approve", {"data": data}))
    api.ok(api.post("win", f"/cases/{case['id']}/deliver"))


def test_follow_up_visit_after_delivery_once(api: Api, points: dict[str, str]) -> None:
    case = api.ok(_apply(api, "agent1"), 201)
    path = f"/cases/{case['id']}/follow-up"
    assert api.post("agent1", path, {"result": "满意"}).status_code == 409  # not delivered
    _deliver(api, case)
    assert api.post("agent1", path, {"result": "很好"}).status_code == 400
    done = api.ok(api.post("agent1", path, {"result": "满意", "note": "证照已送到家中"}))
    assert done["follow_up"]["result"] == "满意" and done["status"] == "delivered"
    assert api.post("agent1", path, {"result": "满意"}).status_code == 409
    assert api.post("agent9", path, {"result": "满意"}).status_code == 404


def test_the_principal_reads_the_entrusted_case_with_their_own_account(
        api: Api, points: dict[str, str]) -> None:
    api.services.accounts.create_user("xiaoming", "correct-horse-9", "applicant",
                                      id_number=PRINCIPAL["id_number"])
    api.tokens["xiaoming"] = api.services.accounts.create_token("xiaoming")
    case = api.ok(_apply(api, "agent1"), 201)
    seen = api.ok(api.get("xiaoming", f"/cases/{case['id']}"))
    assert seen["on_behalf_of"]["name"] == "王小明" and "query_code" not in seen
    assert api.get("bob", f"/cases/{case['id']}").status_code == 404
    assert api.post("xiaoming", f"/cases/{case['id']}/withdraw", {}).status_code == 403
    api.ok(api.post("win", f"/cases/{case['id']}/accept"))
    receipt = api.get("xiaoming", f"/cases/{case['id']}/documents/receipt.pdf")
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")
