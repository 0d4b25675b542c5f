"""`Worker.prepare` at start-up plans only what was never planned: a case write marks
its tasks' timed jobs planned, so a job that already ran is never planned again (a
yellow light is told once), and after one sweep a start reads no case at all."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from runtime.services import Services
from tests.runtime.services.test_worker import _accepted, _kinds, _officer, consenting

__all__ = ["consenting"]


def _unmark(services: Services, case_id: str) -> None:
    """Make a case as written before jobs were planned with it: no marker, no jobs."""
    with services.store.write() as tx:
        case = tx.get_case(case_id)
        case.pop("planned")
        tx.put_case(case, expected_rev=case["rev"])
        for job in services.store.list_jobs():
            if job["kind"] != "digest":
                tx.delete_job(job["id"])


def test_a_case_write_marks_its_tasks_planned(consenting: Services) -> None:
    case, _ = _accepted(consenting)
    task = case["tasks"][0]
    assert consenting.store.get_case(case["id"])["planned"] == [f"{task['id']}@{task['due']}"]


def test_prepare_never_plans_again_a_light_already_told(consenting: Services) -> None:
    services = consenting
    officer = _officer(services, "psb001", "psb")
    _accepted(services)
    yellow = next(j for j in services.store.list_jobs() if j["kind"] == "yellow")
    moment = datetime.fromisoformat(yellow["run_at"])
    assert services.worker.run_once(moment) == 1
    assert _kinds(services, officer) == ["task_yellow", "task_ready"]
    with services.store.write() as tx:  # as if the sweep had not run yet on this store
        tx.put_record("worker", "prepared", None)
    services.worker.prepare(moment)  # a restart: the yellow job's row is gone
    assert {j["kind"] for j in services.store.list_jobs()} == {"timeout", "digest"}
    services.worker.run_once(moment + timedelta(seconds=1))
    assert _kinds(services, officer) == ["task_yellow", "task_ready"]


def test_prepare_plans_an_unmarked_case_once_then_reads_nothing(
        consenting: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    services = consenting
    case, _ = _accepted(services)
    planned = {j["id"]: j for j in services.store.list_jobs()}
    _unmark(services, case["id"])
    yellow_at = datetime.fromisoformat(next(j["run_at"] for j in planned.values()
                                            if j["kind"] == "yellow"))
    assert services.worker.prepare(yellow_at - timedelta(seconds=5)) == 3  # digest + 2
    assert {j["id"]: j["run_at"] for j in services.store.list_jobs()
            if j["kind"] != "digest"} == {k: j["run_at"] for k, j in planned.items()}
    assert "planned" in services.store.get_case(case["id"])

    def no_scan(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a prepared store is not scanned again")

    monkeypatch.setattr(services.store, "list_cases", no_scan)
    assert services.worker.prepare(yellow_at) == 0


def test_an_unmarked_case_past_its_moments_gets_its_timeout_not_a_late_light(
        consenting: Services) -> None:
    services = consenting
    officer = _officer(services, "psb001", "psb")
    case, _ = _accepted(services)
    _unmark(services, case["id"])
    due = datetime.fromisoformat(case["tasks"][0]["due"])
    services.worker.prepare(due + timedelta(hours=1))
    assert {j["kind"] for j in services.store.list_jobs()} == {"timeout", "digest"}
    services.worker.run_once(due + timedelta(hours=1))
    assert services.store.get_case(case["id"])["status"] == "approved"
    assert "task_yellow" not in _kinds(services, officer)
