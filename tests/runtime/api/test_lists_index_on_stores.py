"""The list indexes on the real stores: the embedded journal store (reopened from disk)
and PostgreSQL, whose `records` table holds them. The lists from the records equal the
lists from every case, and the back-fill runs once per store (the rating counts from
their tallies equal the counts case by case, the tallies are made once); the complaints' and a
department's ratings lists read only their own records, and the back-fills keep a newer
write (on PostgreSQL the row read in the batch is locked)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime.services.container import Services
from runtime.settings import Settings
from runtime.store.postgres import PostgresStore
from tests.pg import pg_server, pg_url  # noqa: F401  (fixtures)
from tests.runtime.api.test_complaint_lists import (  # noqa: F401  (run here on both stores)
    test_a_case_changed_during_the_sweep_is_not_passed_over,
    test_a_departments_ratings_read_only_its_own,
    test_each_reader_lists_only_its_own_complaints,
    test_reassignment_moves_the_complaint_between_departments,
    test_the_case_back_fill_keeps_a_newer_write,
    test_the_complaint_back_fill_keeps_a_newer_write,
)
from tests.runtime.api.test_lists_index import (  # noqa: F401  (run here on both stores)
    test_a_store_written_before_the_indexes_is_back_filled_once,
    test_lists_from_the_index_equal_the_lists_from_every_case,
)
from tests.runtime.api.test_rating_tally import (  # noqa: F401  (run here on both stores)
    test_an_older_store_gets_its_tallies_once,
    test_counts_from_the_tallies_equal_the_counts_case_by_case,
    test_the_tally_back_fill_keeps_a_newer_write,
)
from tests.runtime.web.conftest import ROOT, Clock


@pytest.fixture(params=["embedded", "postgres"])
def services(request: pytest.FixtureRequest, tmp_path: Path,
             clock: Clock) -> Iterator[Services]:
    """Services opened from the settings, as ``serve`` does: the journal store in the data
    directory, or PostgreSQL with ``database``."""
    values = {"data_dir": str(tmp_path / "data"), "catalog_dir": str(ROOT / "catalog")}
    if request.param == "postgres":
        values["database"] = request.getfixturevalue("pg_url")
    services = Services.open(Settings.load(values, environ={}), clock=clock)
    assert isinstance(services.store, PostgresStore) == (request.param == "postgres")
    yield services
    services.close()
