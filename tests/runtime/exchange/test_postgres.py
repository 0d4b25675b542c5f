"""The exchange with the province on PostgreSQL (``serve --database`` and a separate
``onewindow worker`` delivering), the city on its embedded store."""

from __future__ import annotations

import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bench.centres import FIXTURES, KEY, city_tasks, new_case, two_centres, wait_for
from runtime.exchange import envelope
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


def test_two_processes_never_both_apply_one_message(tmp_path: Path, pg_url: str,  # noqa: F811
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Two services on one database (as two processes would be) take the same message at
    the same moment, many times over: it is applied once, every other answer a duplicate."""
    from runtime.services import Services
    from runtime.settings import Settings
    catalog = tmp_path / "catalog"
    shutil.copytree(FIXTURES / "city", catalog)
    monkeypatch.setenv("ONEWINDOW_PEER_KEY_HAINAN", KEY)
    opened = [Services.open(Settings.load({"data_dir": str(tmp_path / "data"),
                                           "catalog_dir": str(catalog), "database": pg_url},
                                          environ={})) for _ in range(2)]
    try:
        for round_ in range(10):
            message = envelope(message_id=f"hainan.c_race{round_}.1", kind="payment",
                               sender="hainan", receiver="haikou", sequence=1,
                               case={"sender": f"c_race{round_}"}, task="t_race-1",
                               at="2026-12-07T10:00:00+08:00",
                               body={"action": "paid", "reference": "HN-01",
                                     "acceptance": "hainan.c_nowhere.1"})
            start = threading.Barrier(6)

            def take(services: Services, message: dict[str, Any] = message,
                     start: threading.Barrier = start) -> str:
                start.wait()
                return str(services.exchange.inbox.take(message)["status"])
            with ThreadPoolExecutor(6) as pool:
                answers = list(pool.map(take, [opened[i % 2] for i in range(6)]))
            assert sorted(answers) == ["applied"] + ["duplicate"] * 5, answers
    finally:
        for services in opened:
            services.close()
