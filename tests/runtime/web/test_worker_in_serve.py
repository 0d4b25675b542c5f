"""End to end: the serving process runs the worker itself. With nobody opening a page,
超时默许 is applied once the (injected) clock passes the due time, and the applicant
hears of it."""

from __future__ import annotations

import shutil
import time
from datetime import datetime, timedelta
from pathlib import Path

from starlette.testclient import TestClient

from runtime.services import LIFECYCLE, Services
from runtime.settings import Settings
from runtime.store import MemoryStore
from runtime.web.app import create_app
from tests.runtime.services.test_cases_actors import CONSENTING
from tests.runtime.web.conftest import ROOT, Clock


def test_serve_applies_consent_at_the_due_time_without_a_page(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    shutil.copytree(ROOT / "catalog", catalog)
    (catalog / "matters" / "silent-consent.yaml").write_text(CONSENTING, encoding="utf-8")
    settings = Settings.load({"data_dir": str(tmp_path / "data"), "catalog_dir": str(catalog),
                              "tick_seconds": 0.1}, environ={})
    clock = Clock()
    services = Services.open(settings, store=MemoryStore(tmp_path / "blobs",
                                                         lifecycle=LIFECYCLE), clock=clock)
    applicant = services.accounts.create_user("carol1", "pw-carol1-long", "applicant")
    window = services.accounts.create_user("window1", "pw-window1-long", "window")
    case = services.cases.apply(applicant, "silent-consent", {"applicant_name": "王五"}, {})
    case = services.cases.accept(window, case["id"])
    due = datetime.fromisoformat(case["tasks"][0]["due"])
    with TestClient(create_app(settings, services)):  # the lifespan starts the worker
        time.sleep(0.5)
        assert services.store.get_case(case["id"])["status"] == "in_progress"  # type: ignore[index]
        clock.now = due + timedelta(seconds=1)
        deadline = time.monotonic() + 10
        while services.store.get_case(case["id"])["status"] != "approved":  # type: ignore[index]
            assert time.monotonic() < deadline, "the worker did not apply the timeout"
            time.sleep(0.05)
    kinds = [n.kind for n in services.notices.list(applicant)]
    assert kinds[:2] == ["approved", "step_decided"]
