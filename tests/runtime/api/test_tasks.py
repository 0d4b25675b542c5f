"""Tasks: the department worklist and every action on a task; urging by supervisors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.runtime.api.conftest import Api
from tests.runtime.api.samples import LICENSE, PARALLEL


def _licence(api: Api) -> tuple[dict[str, Any], str]:
    case = api.accepted("alice")
    return case, api.task(case, "license")["id"]


def _claimed(api: Api) -> str:
    _, task = _licence(api)
    api.ok(api.post("amr1", f"/tasks/{task}/claim"))
    return task


# -- the worklist ----------------------------------------------------------------------


def test_a_department_lists_only_its_own_tasks(api: Api) -> None:
    case, task = _licence(api)
    rows = api.ok(api.get("amr1", "/tasks", params={"status": "ready"}))
    assert [r["id"] for r in rows] == [task]
    row = rows[0]
    assert set(row) >= {"id", "case", "step", "department", "status", "ready_at", "due",
                        "light", "case_summary"}
    assert row["case"] == case["id"] and row["department"] == "amr"
    assert row["case_summary"]["holder"] == case["holder"]
    assert api.ok(api.get("psb1", "/tasks")) == []  # its task is still waiting
    assert api.ok(api.get("psb1", "/tasks", params={"status": "waiting"}))[0]["step"] == "seal"
    assert api.ok(api.get("drc1", "/tasks")) == []


def test_the_worklist_pages_and_counts(api: Api) -> None:
    for _ in range(3):
        _licence(api)
    response = api.get("amr1", "/tasks", params={"limit": 2})
    assert len(response.json()) == 2 and response.headers["x-total-count"] == "3"
    assert len(api.get("amr1", "/tasks", params={"offset": 2}).json()) == 1


@pytest.mark.parametrize("who", ["alice", "win", "sup", "root"])
def test_only_departments_have_a_worklist(api: Api, who: str) -> None:
    assert api.get(who, "/tasks").status_code == 403


def test_lights_turn_yellow_then_red(api: Api, clock: Any) -> None:
    _licence(api)  # Monday 09:00, due Tuesday 12:00
    assert api.ok(api.get("amr1", "/tasks"))[0]["light"] == "green"
    clock.now += timedelta(hours=4)  # under one working day left
    assert api.ok(api.get("amr1", "/tasks"))[0]["light"] == "yellow"
    clock.now += timedelta(days=1)  # Tuesday 13:00
    assert api.ok(api.get("amr1", "/tasks"))[0]["light"] == "red"


# -- refusals ----------------------------------------------------------------------------


def test_another_department_s_task_is_404(api: Api) -> None:
    _, task = _licence(api)
    response = api.post("psb1", f"/tasks/{task}/claim")
    assert response.status_code == 404 and response.json()["error"] == "not_found"


@pytest.mark.parametrize("task", ["t_000000000000-1", "nonsense", "t_", "t_abc"])
def test_an_unknown_task_is_404(api: Api, task: str) -> None:
    assert api.post("amr1", f"/tasks/{task}/claim").status_code == 404


def test_approve_before_claim_is_409(api: Api) -> None:
    _, task = _licence(api)
    response = api.post("amr1", f"/tasks/{task}/approve", {"data": LICENSE})
    assert response.status_code == 409 and response.json()["error"] == "conflict"


def test_claim_twice_is_409_and_a_colleague_may_not_decide(api: Api) -> None:
    task = _claimed(api)
    assert api.post("amr2", f"/tasks/{task}/claim").status_code == 409
    assert api.post("amr2", f"/tasks/{task}/approve", {"data": LICENSE}).status_code == 403


def test_invalid_step_data_is_400_with_pointers(api: Api) -> None:
    task = _claimed(api)
    response = api.post("amr1", f"/tasks/{task}/approve",
                        {"data": {"license_no": "91530100MA6K2Y7X3"}})  # 17 characters
    assert response.status_code == 400, response.text
    pointers = {d["pointer"] for d in response.json()["details"]}
    assert pointers == {"/license_no", "/established_on"}
    letters = api.post("amr1", f"/tasks/{task}/approve",
                       {"data": {**LICENSE, "license_no": "91530100MA6K2Y7X3O"}})  # O is barred
    assert [d["pointer"] for d in letters.json()["details"]] == ["/license_no"]
    assert api.post("amr1", f"/tasks/{task}/approve", {"data": "x"}).status_code == 400


# -- the actions ---------------------------------------------------------------------------


def test_claim_and_unclaim(api: Api) -> None:
    task = _claimed(api)
    back = api.ok(api.post("amr1", f"/tasks/{task}/unclaim"))
    assert back["status"] == "ready" and back["claimed_by"] is None
    assert back["case_summary"]["status"] == "in_progress"


def test_transfer_to_a_colleague_only(api: Api) -> None:
    task = _claimed(api)
    api.headers("psb1"), api.headers("amr2")  # make both users
    wrong = api.post("amr1", f"/tasks/{task}/transfer", {"to_user": "psb1"})
    assert wrong.status_code == 400 and wrong.json()["details"][0]["pointer"] == "/to_user"
    moved = api.ok(api.post("amr1", f"/tasks/{task}/transfer", {"to_user": "amr2"}))
    assert moved["claimed_by"] == api.user_id("amr2")
    assert api.ok(api.post("amr2", f"/tasks/{task}/approve", {"data": LICENSE}))["status"] == \
        "approved"


def test_preliminary_opinion(api: Api) -> None:
    task = _claimed(api)
    assert api.post("amr1", f"/tasks/{task}/preliminary", {"opinion": ""}).status_code == 400
    done = api.ok(api.post("amr1", f"/tasks/{task}/preliminary", {"opinion": "材料齐全，拟同意"}))
    assert done["status"] == "preliminary" and done["preliminary"]["opinion"] == "材料齐全，拟同意"


def test_reject_cancels_the_dependent_steps(api: Api) -> None:
    case, task = _licence(api)
    api.ok(api.post("amr1", f"/tasks/{task}/claim"))
    rejected = api.ok(api.post("amr1", f"/tasks/{task}/reject", {"reason": "企业名称与他人重复"}))
    assert rejected["status"] == "rejected" and rejected["case_summary"]["status"] == "rejected"
    case = api.ok(api.get("win", f"/cases/{case['id']}"))
    assert {t["status"] for t in case["tasks"] if t["step"] in PARALLEL} == {"cancelled"}
    assert api.ok(api.post("win", f"/cases/{case['id']}/deliver"))["status"] == "delivered"


def test_suspend_stops_the_clock_and_resume_moves_the_deadline(api: Api, clock: Any) -> None:
    _, task = _licence(api)
    due = api.ok(api.get("amr1", "/tasks"))[0]["due"]
    assert api.post("amr1", f"/tasks/{task}/suspend", {}).status_code == 400
    suspended = api.ok(api.post("amr1", f"/tasks/{task}/suspend", {"reason": "名称争议，待裁决"}))
    assert suspended["status"] == "suspended" and suspended["light"] is None
    assert api.post("amr1", f"/tasks/{task}/suspend", {"reason": "again"}).status_code == 409
    clock.now += timedelta(days=1)  # Tuesday 09:00: one working day stood still
    resumed = api.ok(api.post("amr1", f"/tasks/{task}/resume"))
    assert resumed["status"] == "ready" and resumed["due"] > due
    assert resumed["suspensions"][0]["reason"] == "名称争议，待裁决"


def test_supervisors_urge(api: Api) -> None:
    _, task = _licence(api)
    urged = api.ok(api.post("sup", f"/tasks/{task}/urge", {"note": "请今日办结"}))
    assert urged["urges"][0]["note"] == "请今日办结"
    assert api.ok(api.get("amr1", "/tasks"))[0]["urges"][0]["note"] == "请今日办结"
    assert api.post("amr1", f"/tasks/{task}/urge", {"note": "x"}).status_code == 403
    assert api.post("sup", "/tasks/t_000000000000-1/urge", {"note": "x"}).status_code == 404
