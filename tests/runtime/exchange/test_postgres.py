"""The exchange with the province on PostgreSQL (``serve --database`` and a separate
``onewindow worker`` delivering), the city on its embedded store."""

from __future__ import annotations

from pathlib import Path

from bench.centres import city_tasks, new_case, two_centres, wait_for
from tests.pg import pg_server, pg_url  # noqa: F401  (fixtures)


def test_a_province_on_postgresql_sends_and_hears_back(tmp_path: Path,
                                                       pg_url: str) -> None:  # noqa: F811
    province, city = two_centres(tmp_path, province_database=pg_url)
    city.start()
    province.start()
    try:
        case = new_case(province)
        task = wait_for(lambda: city_tasks(city))[0]
        city.api("cop1", "POST", f"/tasks/{task['id']}/claim")
        city.api("cop1", "POST", f"/tasks/{task['id']}/approve", {"data": {"seal_no": "PG-0001"}})
        done = wait_for(lambda: (lambda c: c if c["outputs"].get("seal") else None)(
            province.api("win", "GET", f"/cases/{case['id']}")))
        assert done["outputs"]["seal"] == {"seal_no": "PG-0001"}
        assert len(city_tasks(city)) == 0
    finally:
        province.stop()
        city.stop()
