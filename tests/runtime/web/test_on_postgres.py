"""The workspace journeys again with every service on PostgreSQL (store and admin
store), and two officers claiming one task at the same moment."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from runtime.services import Conflict
from runtime.services.container import Services
from runtime.store.postgres.admin import PostgresAdminStore
from tests.pg import pg_server, pg_url  # noqa: F401  (fixtures)
from tests.runtime.web.conftest import Clock, postgres_services
from tests.runtime.web.test_workspaces import (  # noqa: F401  (run here on PostgreSQL)
    Person,
    _submitted_case,
    _task_id,
    people,
    test_joint_case_through_every_workspace,
    test_refusal_and_rejection,
    test_supplement_notice_and_answer,
)


@pytest.fixture
def services(tmp_path: Path, clock: Clock, pg_url: str) -> Iterator[Services]:  # noqa: F811
    for services in postgres_services(tmp_path, clock, pg_url):
        assert isinstance(services.admin.admin_store, PostgresAdminStore)
        yield services


def test_two_officers_claim_one_task_at_once_exactly_one_wins(
        people: Callable[[str], Person], services: Services,  # noqa: F811
        make_user: Callable[..., str]) -> None:
    applicant, window = people("applicant1"), people("window1")
    case_id = _submitted_case(applicant, without=("premises",))
    accepted = window.post(f"/window/cases/{case_id}/accept", data={"deferred": "premises"})
    assert accepted.status_code == 303
    task_id = _task_id(people("amr1"))
    make_user("amr2", "department", "amr")
    officers = [services.accounts.find(name) for name in ("amr1", "amr2")]
    assert None not in officers
    start = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def claim(officer) -> None:  # type: ignore[no-untyped-def]
        start.wait(timeout=30)
        try:
            services.tasks.claim(officer, task_id)
            outcomes[officer.name] = "won"
        except Conflict as exc:
            outcomes[officer.name] = exc

    threads = [threading.Thread(target=claim, args=(o,)) for o in officers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["amr1", "amr2"]
    winners = [name for name, result in outcomes.items() if result == "won"]
    assert len(winners) == 1
    loser = next(r for r in outcomes.values() if r != "won")
    assert isinstance(loser, Conflict) and loser.status == 409
    case = services.store.get_case(case_id)
    assert case is not None
    claimed = next(t for t in case["tasks"] if t["id"] == task_id)
    assert claimed["status"] == "claimed"
    assert claimed["claimed_by"] == next(o.id for o in officers if o.name == winners[0])
