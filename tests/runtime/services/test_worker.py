"""The worker keeps every promise about time without anyone opening a page: 超时默许 at
the due time, yellow and red lights told once, the supervisors' digest; failed jobs are
retried with backoff, dead after MAX_TRIES, retried by the administrator; a worker
killed mid-job loses nothing and repeats nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from runtime.services import Forbidden, Services, User
from runtime.services.jobs import LEASE, MAX_TRIES
from runtime.services.worker import Worker
from tests.runtime.services.conftest import Opener
from tests.runtime.services.test_cases_actors import CONSENTING, _user


def _officer(services: Services, name: str, department: str) -> User:
    return services.accounts.create_user(name, "pw-" + name + "-long", "department",
                                         department=department, display_name=name)


@pytest.fixture
def consenting(opener: Opener, catalog_dir: Path) -> Services:
    (catalog_dir / "matters" / "silent-consent.yaml").write_text(CONSENTING, encoding="utf-8")
    (catalog_dir / "matters" / "watched.yaml").write_text(WATCHED, encoding="utf-8")
    return opener.open()


WATCHED = CONSENTING.replace("id: silent-consent", "id: watched").replace(
    "    on_timeout: consent\n", "")


def _accepted(services: Services, matter: str = "silent-consent") -> tuple[dict, User]:
    applicant = _user(services, "carol1", "applicant")
    window = _user(services, "window1", "window")
    case = services.cases.apply(applicant, matter, {"applicant_name": "王五"}, {})
    return services.cases.accept(window, case["id"]), applicant


def _kinds(services: Services, user: User) -> list[str]:
    return [n.kind for n in services.notices.list(user)]


def test_consent_lights_and_their_notices_happen_at_their_moments(consenting: Services) -> None:
    services = consenting
    officer = _officer(services, "psb001", "psb")
    case, applicant = _accepted(services)
    task = case["tasks"][0]
    due = datetime.fromisoformat(task["due"])
    jobs = {j["kind"]: j for j in services.store.list_jobs()}
    assert set(jobs) == {"timeout", "yellow"}  # written with the acceptance; never red
    assert jobs["timeout"]["run_at"] == (due + timedelta(seconds=1)).isoformat()
    yellow_at = datetime.fromisoformat(jobs["yellow"]["run_at"])
    assert services.calendar.light(yellow_at, due, task["limit_days"]).value == "yellow"
    before = yellow_at - timedelta(seconds=1)
    assert services.calendar.light(before, due, task["limit_days"]).value == "green"

    worker = services.worker
    assert worker.run_once(before) == 0
    assert _kinds(services, officer) == ["task_ready"]
    assert worker.run_once(yellow_at) == 1
    assert _kinds(services, officer) == ["task_yellow", "task_ready"]
    assert worker.run_once(due) == 0  # not yet past due: the promise still holds
    assert services.store.get_case(case["id"])["status"] == "in_progress"
    assert worker.run_once(due + timedelta(seconds=1)) == 1
    after = services.store.get_case(case["id"])
    assert after["status"] == "approved"
    assert [e["action"] for e in after["events"]][-2:] == ["consent", "approve"]
    assert _kinds(services, officer) == ["task_yellow", "task_ready"]
    assert _kinds(services, applicant)[:2] == ["approved", "step_decided"]
    assert services.store.count_jobs() == 0  # each job ended with its effect
    assert worker.run_once(due + timedelta(days=1)) == 0  # nothing repeats
    assert _kinds(services, applicant)[:2] == ["approved", "step_decided"]


def test_red_is_told_once_even_if_its_job_is_scheduled_again(consenting: Services) -> None:
    services = consenting
    officer = _officer(services, "psb001", "psb")
    _accepted(services, "watched")
    assert {j["kind"] for j in services.store.list_jobs()} == {"yellow", "red"}
    red = next(j for j in services.store.list_jobs() if j["kind"] == "red")
    moment = datetime.fromisoformat(red["run_at"])
    services.worker.run_once(moment)
    assert _kinds(services, officer)[0] == "task_red"
    with services.store.write() as tx:  # e.g. `prepare` after a restore schedules it again
        tx.put_job({**red, "status": "pending", "lease_until": None})
    services.worker.run_once(moment)
    assert _kinds(services, officer).count("task_red") == 1


def test_failures_back_off_then_die_and_the_administrator_retries(
        consenting: Services) -> None:
    services = consenting
    worker = services.worker
    calls: list[str] = []

    def broken(job: dict, now: datetime) -> None:
        calls.append(job["id"])
        raise RuntimeError("SMTP 421 try later")

    worker.handlers["broken"] = broken
    now = services.clock()
    with services.store.write() as tx:
        services.jobs.schedule(tx, "broken", "broken:1", now.isoformat(), {})
    assert worker.run_once(now) == 0
    job = services.store.get_job("broken:1")
    assert job["status"] == "pending" and job["tries"] == 1
    assert job["error"] == "RuntimeError: SMTP 421 try later"
    assert datetime.fromisoformat(job["run_at"]) == now + timedelta(seconds=30)
    assert worker.run_once(now + timedelta(seconds=29)) == 0 and len(calls) == 1
    moment = now
    for _ in range(MAX_TRIES - 1):
        moment = datetime.fromisoformat(services.store.get_job("broken:1")["run_at"])
        worker.run_once(moment)
    job = services.store.get_job("broken:1")
    assert len(calls) == MAX_TRIES and job["status"] == "dead"
    worker.run_once(moment + timedelta(days=30))
    assert len(calls) == MAX_TRIES  # dead: never tried again by itself
    admin = services.accounts.create_user("admin9", "pw-admin9-long", "admin")
    [dead] = services.jobs.list(admin, status=["dead"])
    assert dead.status_label == "已放弃" and "SMTP 421" in dead.error
    services.jobs.retry(admin, "broken:1")
    worker.handlers["broken"] = lambda job, now: None
    worker.run_once(services.clock() + timedelta(seconds=1))
    assert services.store.get_job("broken:1") is None
    with pytest.raises(Forbidden, match="管理员"):
        services.jobs.list(_user(services, "carol9", "applicant"))


def test_a_worker_killed_mid_job_loses_nothing_and_repeats_nothing(
        consenting: Services) -> None:
    services = consenting
    case, applicant = _accepted(services)
    timeout = next(j for j in services.store.list_jobs() if j["kind"] == "timeout")
    moment = datetime.fromisoformat(timeout["run_at"])
    first = Worker(services.store, services.jobs, services.cases, services.notices,
                   services.clock, name="first")
    claimed = first.jobs.claim("first", 10, moment)  # …and then the process dies
    assert {j["kind"] for j in claimed} >= {"timeout"}
    second = Worker(services.store, services.jobs, services.cases, services.notices,
                    services.clock, name="second")
    assert second.run_once(moment + timedelta(seconds=5)) == 0  # leased: not taken twice
    assert services.store.get_case(case["id"])["status"] == "in_progress"
    assert second.run_once(moment + LEASE + timedelta(seconds=1)) >= 1
    after = services.store.get_case(case["id"])
    assert after["status"] == "approved"
    assert [e["action"] for e in after["events"]].count("consent") == 1
    assert _kinds(services, applicant).count("approved") == 1


def test_a_restart_takes_back_at_once_what_a_killed_process_of_this_machine_held(
        consenting: Services) -> None:
    services = consenting
    case, _ = _accepted(services)
    timeout = next(j for j in services.store.list_jobs() if j["kind"] == "timeout")
    moment = datetime.fromisoformat(timeout["run_at"])
    services.jobs.claim("here:4242:1", 10, moment)  # process 4242 of this host, killed
    services.jobs.claim("there:1:1", 10, moment)  # nothing left for it: the same jobs
    gone = {4242}
    assert services.jobs.release_orphans("elsewhere", moment, lambda pid: False) == 0
    assert services.jobs.release_orphans("here", moment, lambda pid: pid not in gone) >= 1
    # a live process keeps its lease
    again = services.jobs.claim("here:77:1", 10, moment)
    assert again and services.jobs.release_orphans("here", moment, lambda pid: True) == 0
    # once given back, its jobs run now, not when the lease would have ended
    services.jobs.release_orphans("here", moment, lambda pid: pid != 77)
    restarted = Worker(services.store, services.jobs, services.cases, services.notices,
                       services.clock, name="here:78:1")
    assert restarted.run_once(moment + timedelta(seconds=5)) >= 1
    assert services.store.get_case(case["id"])["status"] == "approved"


def test_a_lease_about_to_end_is_left_to_run_out(consenting: Services) -> None:
    services = consenting
    _accepted(services)
    timeout = next(j for j in services.store.list_jobs() if j["kind"] == "timeout")
    moment = datetime.fromisoformat(timeout["run_at"])
    services.jobs.claim("here:4242:1", 10, moment)
    late = moment + LEASE - timedelta(seconds=30)  # another worker may claim it soon
    assert services.jobs.release_orphans("here", late, lambda pid: False) == 0


def test_the_digest_counts_lights_per_department_at_its_hour(consenting: Services) -> None:
    services = consenting
    supervisor = _user(services, "super1", "supervisor")
    case, _ = _accepted(services, "watched")
    due = datetime.fromisoformat(case["tasks"][0]["due"])
    services.worker.prepare(due)
    digest = next(j for j in services.store.list_jobs() if j["kind"] == "digest")
    at = datetime.fromisoformat(digest["run_at"])
    assert at.hour == 8 and at > due
    services.worker.run_once(at)
    [notice] = services.notices.list(supervisor)
    assert notice.kind == "digest" and "公安局 红灯 1 件" in notice.body
    following = [j for j in services.store.list_jobs() if j["kind"] == "digest"]
    assert [datetime.fromisoformat(j["run_at"]) for j in following] == [at + timedelta(days=1)]
