"""原件核验: the window records who checked which material's original, and when."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from runtime.services.container import Services
from tests.runtime.api.conftest import Api
from tests.runtime.web.conftest import PASSWORD, csrf_of


def test_the_window_records_that_it_saw_an_original(
        client: TestClient, services: Services, login: Any) -> None:
    api = Api(client, services)
    case = api.apply()
    services.accounts.create_user("clerk", PASSWORD, "window", display_name="张窗口")
    login("clerk")
    page = client.get(f"/window/cases/{case['id']}").text
    assert "已核验原件" in page and "法定代表人身份证件</strong>（需核验原件）" in page
    done = client.post(f"/window/cases/{case['id']}/originals", data={
        "_csrf": csrf_of(page), "material": "legal-rep-id"}, follow_redirects=False)
    assert done.status_code == 303
    stored = api.ok(api.get("win", f"/cases/{case['id']}"))
    clerk = services.accounts.find("clerk")
    assert clerk is not None
    assert stored["originals"]["legal-rep-id"] == {"by": clerk.id,
                                                   "at": "2026-11-30T09:00:00+08:00"}
    assert stored["events"][-1]["action"] == "verify_original"
    page = client.get(f"/window/cases/{case['id']}").text
    assert "原件已核验" in page
    again = client.post(f"/window/cases/{case['id']}/originals", data={
        "_csrf": csrf_of(page), "material": "legal-rep-id"}, follow_redirects=False)
    assert again.status_code == 400 and "已核验" in again.text
    wrong = client.post(f"/window/cases/{case['id']}/originals", data={
        "_csrf": csrf_of(page), "material": "articles"}, follow_redirects=False)
    assert wrong.status_code == 400
