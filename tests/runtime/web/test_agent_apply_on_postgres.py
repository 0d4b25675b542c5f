"""The agent's application on the site and the principal's 我的办件 again with every
service on PostgreSQL: the principal's index lives in its `records` table."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime.services.container import Services
from tests.pg import pg_server, pg_url  # noqa: F401  (fixtures)
from tests.runtime.web.conftest import Clock, postgres_services
from tests.runtime.web.test_agent_apply import (  # noqa: F401  (run here on PostgreSQL)
    agents,
    test_a_wrong_principal_is_refused_beside_its_field_and_nothing_is_written,
    test_the_agent_applies_on_the_site_and_the_principal_sees_it,
)


@pytest.fixture
def services(tmp_path: Path, clock: Clock, pg_url: str) -> Iterator[Services]:  # noqa: F811
    yield from postgres_services(tmp_path, clock, pg_url)
