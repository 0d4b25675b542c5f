"""Claimed 超时默许 and light jobs of distinct cases run in one store batch with their
deletions; if one of them fails, nothing of the batch is written and each runs alone,
the failing one recording its error (retried later), the others done."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from runtime.services import Services
from tests.runtime.services.test_cases_actors import _user
from tests.runtime.services.test_worker import consenting

__all__ = ["consenting"]


def _cases(services: Services, n: int) -> list[dict[str, Any]]:
    applicant = _user(services, "carol1", "applicant")
    window = _user(services, "window1", "window")
    return [services.cases.accept(window, services.cases.apply(
        applicant, "silent-consent", {"applicant_name": "王五"}, {})["id"]) for _ in range(n)]


def _due(services: Services) -> datetime:
    return max(datetime.fromisoformat(j["run_at"]) for j in services.store.list_jobs())


def test_timeouts_of_many_cases_commit_together(consenting: Services,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    services = consenting
    cases = _cases(services, 3)
    commits = []
    real = services.store.write

    def counted() -> Any:
        commits.append(1)
        return real()

    monkeypatch.setattr(services.store, "write", counted)
    assert services.worker.run_once(_due(services)) == 6  # 3 yellow + 3 timeouts
    assert len(commits) == 3  # the claim; the yellows of all three; their timeouts
    assert {services.store.get_case(c["id"])["status"] for c in cases} == {"approved"}
    assert services.store.count_jobs() == 0


def test_one_failing_job_leaves_the_others_done_and_itself_recorded(
        consenting: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    services = consenting
    cases = _cases(services, 3)
    due = _due(services)
    services.worker.run_once(due - timedelta(seconds=1))  # the yellow lights first
    bad = cases[1]["id"]
    real_put = services.cases.put

    def failing_put(tx: Any, case: dict[str, Any], old: Any, matter: Any) -> Any:
        if case["id"] == bad:
            raise RuntimeError("disk trouble")
        return real_put(tx, case, old, matter)

    monkeypatch.setattr(services.cases, "put", failing_put)
    assert services.worker.run_once(due) == 2
    status = {c["id"]: services.store.get_case(c["id"])["status"] for c in cases}
    assert status == {cases[0]["id"]: "approved", bad: "in_progress",
                      cases[2]["id"]: "approved"}
    [left] = services.store.list_jobs()
    assert left["payload"]["case"] == bad and left["tries"] == 1
    assert "disk trouble" in left["error"]
    monkeypatch.undo()
    services.worker.run_once(due + timedelta(minutes=1))  # its retry, after the backoff
    assert services.store.get_case(bad)["status"] == "approved"
