"""The case pages link each formal document; the print view is sandboxed."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from runtime.services.container import Services
from tests.runtime.api.conftest import Api


def test_the_case_pages_link_each_document_and_print_it_sandboxed(
        client: TestClient, services: Services, make_user: Any, login: Any) -> None:
    api = Api(client, services)
    case = api.accepted()
    make_user("clerk", "window")
    login("clerk")
    page = api.client.get(f"/window/cases/{case['id']}").text
    assert f"/cases/{case['id']}/documents/receipt.pdf" in page and "受理通知书" in page
    printed = api.client.get(f"/cases/{case['id']}/documents/receipt.html")
    assert printed.status_code == 200 and case["number"] in printed.text
    assert printed.headers["content-security-policy"].startswith("sandbox")
    assert "script-src" not in printed.headers["content-security-policy"]
    saved = api.client.get(f"/cases/{case['id']}/documents/receipt.pdf")
    assert saved.headers["content-type"] == "application/pdf"
    assert saved.headers["content-disposition"].startswith("attachment;")
    assert api.client.get(f"/cases/{case['id']}/documents/receipt.exe").status_code == 404
