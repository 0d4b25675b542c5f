"""The certificate register and the 全程代办 journeys again with every service on
PostgreSQL: the register and forwarding records live in its `records` table."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime.services.container import Services
from tests.pg import pg_server, pg_url  # noqa: F401  (fixtures)
from tests.runtime.api.test_agency import (  # noqa: F401  (run here on PostgreSQL)
    points,
    test_a_village_case_records_its_point_and_waits_for_its_town_point,
    test_home_visit_intake_is_a_note_by_the_cases_agent,
)
from tests.runtime.api.test_register import (  # noqa: F401  (run here on PostgreSQL)
    test_a_second_matter_takes_the_licence_from_the_register,
    test_the_register_is_written_in_the_decisions_batch_only_for_declared_kinds,
)
from tests.runtime.web.conftest import Clock, postgres_services


@pytest.fixture
def services(tmp_path: Path, clock: Clock, pg_url: str) -> Iterator[Services]:  # noqa: F811
    yield from postgres_services(tmp_path, clock, pg_url)
