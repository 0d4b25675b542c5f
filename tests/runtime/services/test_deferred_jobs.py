"""容缺: a deferred material's due time becomes known (here: 30 days after the licence is
issued); the applicant is reminded a few working days before it, and once it is missed
told again while the lead department and the supervisors are alerted. A material
supplied in time ends both jobs with nothing said."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from runtime.services import Services, User
from tests.runtime.services.test_cases_actors import _submitted, _user


def _officer(services: Services, name: str, department: str) -> User:
    return services.accounts.create_user(name, "pw-" + name + "-long", "department",
                                         department=department, display_name=name)


def _licensed(services: Services) -> tuple[dict[str, Any], User]:
    applicant = _user(services, "alice1", "applicant")
    window = _user(services, "window1", "window")
    officer = _officer(services, "amr001", "amr")
    case = services.cases.accept(window, _submitted(services, applicant)["id"],
                                 deferred=["premises"])
    assert not [j for j in services.store.list_jobs() if j["kind"].startswith("deferred")]
    licence = next(t for t in case["tasks"] if t["step"] == "license")
    services.tasks.claim(officer, licence["id"])
    services.tasks.preliminary(officer, licence["id"], "初审通过")
    case = services.tasks.approve(officer, licence["id"], data={
        "license_no": "91530100MA6K2Y7X37", "established_on": "2026-11-30"}, opinion="同意")
    return case, applicant


def _jobs(services: Services) -> dict[str, dict[str, Any]]:
    return {j["kind"]: j for j in services.store.list_jobs() if j["kind"].startswith("deferred")}


def _kinds(services: Services, user: User) -> list[str]:
    return [n.kind for n in services.notices.list(user)]


def test_reminded_before_then_escalated_after_the_due_time(services: Services) -> None:
    supervisor = _user(services, "super1", "supervisor")
    lead = _officer(services, "amr002", "amr")
    case, applicant = _licensed(services)
    jobs = _jobs(services)
    assert set(jobs) == {"deferred_soon", "deferred_overdue"}
    due = datetime.fromisoformat(jobs["deferred_overdue"]["payload"]["due"])
    decided = datetime.fromisoformat(next(t for t in case["tasks"] if t["step"] == "license")
                                     ["decision"]["at"])
    assert due == decided + timedelta(days=30)
    soon = datetime.fromisoformat(jobs["deferred_soon"]["run_at"])
    assert services.calendar.remaining(soon, due) <= 3 < \
        services.calendar.remaining(soon - timedelta(seconds=1), due)

    services.worker.run_once(soon - timedelta(seconds=1))
    assert "deferred_due_soon" not in _kinds(services, applicant)
    services.worker.run_once(soon)
    [reminder] = [n for n in services.notices.list(applicant) if n.kind == "deferred_due_soon"]
    assert "住所（经营场所）使用证明" in reminder.body and f"{due:%Y-%m-%d %H:%M}" in reminder.body
    assert "premises" not in reminder.body
    services.worker.run_once(due + timedelta(seconds=1))
    assert _kinds(services, applicant)[0] == "deferred_overdue"
    assert _kinds(services, lead)[0] == "deferred_escalated"
    assert _kinds(services, supervisor) == ["deferred_escalated"]
    assert not _jobs(services)
    services.worker.run_once(due + timedelta(days=2))  # nothing repeats
    assert _kinds(services, supervisor) == ["deferred_escalated"]


def test_supplied_in_time_nobody_is_reminded(services: Services) -> None:
    supervisor = _user(services, "super1", "supervisor")
    case, applicant = _licensed(services)
    due = datetime.fromisoformat(_jobs(services)["deferred_overdue"]["payload"]["due"])
    with services.store.write() as tx:  # supplied (the window's 容缺补齐)
        fresh = tx.get_case(case["id"])
        fresh["deferred"][0]["supplied"] = True
        tx.put_case(fresh, expected_rev=fresh["rev"])
    services.worker.run_once(due + timedelta(days=1))
    assert not _jobs(services)
    assert not {"deferred_due_soon", "deferred_overdue"} & set(_kinds(services, applicant))
    assert _kinds(services, supervisor) == []
