"""A provincial case whose seal step (印章刻制) is done by the city police, through the
API of both centres: two real servers on loopback, each with its own data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.centres import (
    Centre,
    Failed,
    city_tasks,
    new_case,
    two_centres,
    wait_for,
)


@pytest.fixture
def centres(tmp_path: Path) -> Iterator[tuple[Centre, Centre]]:
    """The province and the city, both serving."""
    province, city = two_centres(tmp_path)
    city.start()
    province.start()
    try:
        yield province, city
    finally:
        province.stop()
        city.stop()


def _seal(case: dict) -> dict:
    return next(t for t in case["tasks"] if t["step"] == "seal")


def test_the_city_police_carve_the_seal_of_a_provincial_case(
        centres: tuple[Centre, Centre]) -> None:
    province, city = centres
    case = new_case(province)
    sent = _seal(case)
    assert sent["status"] == "ready" and sent["department"] == "psb"

    # The task appears in the police's own list, with the province's due date and a light
    task = wait_for(lambda: city_tasks(city))[0]
    assert task["due"] == sent["due"] and task["light"] in ("green", "yellow", "red")
    mirror = city.api("cop1", "GET", f"/cases/{task['case']}")
    assert mirror["number"].startswith("HK") and mirror["status"] == "in_progress"
    # only what the step may read: the licence number and its material, nothing else
    assert mirror["data"] == {"license_no": "91460100MA5T000001"}
    assert list(mirror["materials"]) == ["legal-rep-id"]
    assert "不外发" not in str(mirror)

    # A province officer of psb cannot act on it: it is the city's to do
    with pytest.raises(Failed) as refused:
        province.api("psb1", "POST", f"/tasks/{sent['id']}/claim")
    assert refused.value.status == 403

    # The city police work it as a local task; every step goes back
    city.api("cop1", "POST", f"/tasks/{task['id']}/claim")
    city.api("cop1", "POST", f"/tasks/{task['id']}/preliminary", {"opinion": "材料齐全"})
    wait_for(lambda: _seal(province.api("win", "GET", f"/cases/{case['id']}"))["status"]
             == "preliminary")
    with pytest.raises(Failed) as invalid:  # the same form, validated there
        city.api("cop1", "POST", f"/tasks/{task['id']}/approve", {"data": {"seal_no": "1"}})
    assert invalid.value.status == 400
    city.api("cop1", "POST", f"/tasks/{task['id']}/approve",
             {"data": {"seal_no": "HK-SEAL-0001"}, "opinion": "准予刻制"})

    done = wait_for(lambda: (lambda c: c if _seal(c)["status"] == "approved" else None)(
        province.api("win", "GET", f"/cases/{case['id']}")))
    assert done["outputs"]["seal"] == {"seal_no": "HK-SEAL-0001"}
    archive = next(t for t in done["tasks"] if t["step"] == "archive")
    assert archive["status"] == "ready"
    # the output is readable by the later step like any other
    province.api("amr1", "POST", f"/tasks/{archive['id']}/claim")
    province.api("amr1", "POST", f"/tasks/{archive['id']}/approve", {"opinion": "归档"})
    assert province.api("win", "GET", f"/cases/{case['id']}")["status"] == "approved"
    events = [e for e in done["events"] if e.get("task") == sent["id"]]
    assert [e["action"] for e in events][-3:] == ["claim", "preliminary", "approve"]
    assert all(e["actor"] == "exchange:haikou" for e in events[-3:])


def test_a_city_rejection_rejects_the_provincial_case(centres: tuple[Centre, Centre]) -> None:
    province, city = centres
    case = new_case(province)
    task = wait_for(lambda: city_tasks(city))[0]
    city.api("cop2", "POST", f"/tasks/{task['id']}/claim")
    city.api("cop2", "POST", f"/tasks/{task['id']}/suspend", {"reason": "现场核查"})
    wait_for(lambda: _seal(province.api("win", "GET", f"/cases/{case['id']}"))["status"]
             == "suspended")
    city.api("cop2", "POST", f"/tasks/{task['id']}/resume")
    city.api("cop2", "POST", f"/tasks/{task['id']}/reject", {"reason": "印模不符合规定"})
    done = wait_for(lambda: (lambda c: c if c["status"] == "rejected" else None)(
        province.api("win", "GET", f"/cases/{case['id']}")))
    assert _seal(done)["decision"]["opinion"] == "印模不符合规定"
    assert "decision" in done["documents"]  # 不予许可决定书, archived as for a local rejection


def test_a_withdrawn_provincial_case_withdraws_the_city_task(
        centres: tuple[Centre, Centre]) -> None:
    province, city = centres
    case = new_case(province)
    task = wait_for(lambda: city_tasks(city))[0]
    province.api("alice", "POST", f"/cases/{case['id']}/withdraw", {"reason": "不再办理"})
    assert _seal(province.api("win", "GET", f"/cases/{case['id']}"))["status"] == "cancelled"
    wait_for(lambda: not city_tasks(city))
    mirror = city.api("cop1", "GET", f"/cases/{task['case']}")
    assert mirror["status"] == "withdrawn" and mirror["tasks"][0]["status"] == "cancelled"
