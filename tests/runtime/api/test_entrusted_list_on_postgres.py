"""The principal's API list and the one-time back-fill of its index again with every
service on PostgreSQL: the index and the marker live in its `records` table."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime.services.container import Services
from tests.pg import pg_server, pg_url  # noqa: F401  (fixtures)
from tests.runtime.api.test_entrusted_list import (  # noqa: F401  (run here on PostgreSQL)
    test_an_applicant_lists_its_own_and_its_entrusted_cases,
    test_older_entrusted_cases_are_indexed_once_at_start,
    wang,
)
from tests.runtime.web.conftest import Clock, postgres_services


@pytest.fixture
def services(tmp_path: Path, clock: Clock, pg_url: str) -> Iterator[Services]:  # noqa: F811
    yield from postgres_services(tmp_path, clock, pg_url)
