"""The worker's batched 超时默许 and a calendar change's job on PostgreSQL: the same
results as on the embedded store, in real transactions."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

from runtime.services import LIFECYCLE
from runtime.services.container import Services
from runtime.settings import Settings
from runtime.store.postgres import PostgresStore
from tests.runtime.services.conftest import ADMIN, ROOT, Clock
from tests.runtime.services.test_cases_actors import CONSENTING, _user


def test_timeouts_in_one_batch_and_a_calendar_change(pg_url: str, tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    shutil.copytree(ROOT / "catalog", catalog)
    (catalog / "matters" / "silent-consent.yaml").write_text(CONSENTING, encoding="utf-8")
    settings = Settings.load({"data_dir": str(tmp_path / "data"), "catalog_dir": str(catalog),
                              "database": pg_url}, environ={})
    store = PostgresStore(pg_url, pool_size=2, lifecycle=LIFECYCLE)
    services = Services.open(settings, store=store, clock=Clock())
    try:
        applicant = _user(services, "carol1", "applicant")
        window = _user(services, "window1", "window")
        cases = [services.cases.accept(window, services.cases.apply(
            applicant, "silent-consent", {"applicant_name": "王五"}, {})["id"])
            for _ in range(4)]
        assert services.worker.prepare() == 1  # the digest; the cases are marked
        services.admin.add_year(ADMIN, 2026)
        services.admin.add_day(ADMIN, 2026, "holidays", "2026-12-01", "临时假日")
        noon = datetime.fromisoformat("2026-11-30T12:00:00+08:00")
        while services.worker.run_once(noon):
            pass
        moved = [services.store.get_case(c["id"]) for c in cases]
        assert {c["tasks"][0]["due"] for c in moved} == {"2026-12-03T23:59:59+08:00"}
        assert {c["events"][-1]["action"] for c in moved} == {"reschedule"}
        services.worker.run_once(datetime.fromisoformat("2026-12-04T00:00:00+08:00"))
        assert {services.store.get_case(c["id"])["status"] for c in cases} == {"approved"}
        assert [j["kind"] for j in services.store.list_jobs()] == ["digest"]
    finally:
        services.close()
