"""Headers at the edge: Allow, Cache-Control for personal pages, HSTS."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from starlette.testclient import TestClient

from runtime.services import LIFECYCLE
from runtime.services.container import Services
from runtime.settings import Settings
from runtime.store import MemoryStore
from runtime.web.app import create_app
from tests.runtime.web.conftest import ROOT, Clock
from tests.runtime.web.samples import PDF

MATTER = "enterprise-establishment"


def test_options_lists_every_method_of_the_path(client: TestClient) -> None:
    cases = client.options("/api/v1/cases")  # GET and POST are two operations, two routes
    assert cases.status_code == 204
    assert cases.headers["allow"] == "GET, HEAD, OPTIONS, POST"
    assert client.options("/login").headers["allow"] == "GET, HEAD, OPTIONS, POST"
    assert client.options("/logout").headers["allow"] == "OPTIONS, POST"
    assert client.options("/static/app.css").headers["allow"] == "GET, HEAD, OPTIONS"
    assert client.options("/no/such/page").status_code == 404


def test_a_wrong_method_names_every_method_of_the_path(client: TestClient) -> None:
    response = client.delete("/api/v1/cases")
    assert response.status_code == 405 and response.json()["error"] == "method_not_allowed"
    assert response.headers["allow"] == "GET, HEAD, OPTIONS, POST"
    assert response.headers.get_list("allow") == ["GET, HEAD, OPTIONS, POST"]


def _sign_in(client: TestClient, make_user: Callable[..., str],
             login: Callable[[str], str]) -> str:
    make_user("applicant1", "applicant")
    return login("applicant1")


def test_pages_of_a_signed_in_user_are_never_stored(
        client: TestClient, make_user: Callable[..., str], login: Callable[[str], str],
        services: Services) -> None:
    assert "cache-control" not in client.get("/").headers  # public pages may be cached
    token = _sign_in(client, make_user, login)
    for path in ("/", "/my/cases", f"/apply/{MATTER}", "/no/such/page"):
        assert client.get(path).headers["cache-control"] == "no-store", path
    fragment = client.post(f"/forms/{MATTER}/1/live", data={"_csrf": token},
                           headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and fragment.headers["cache-control"] == "no-store"
    static = client.get("/static/app.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get("cache-control", "")
    response = client.post(f"/apply/{MATTER}", data={"_csrf": token, "company_name": "某公司"},
                           files=[("material:articles", ("章程.pdf", PDF, "application/pdf"))],
                           follow_redirects=False)
    case_id = re.search(r"c_[0-9a-f]+", response.headers["location"])
    assert case_id
    file_id = services.store.get_case(case_id.group(0))["materials"]["articles"][0]
    download = client.get(f"/cases/{case_id.group(0)}/files/{file_id}")
    assert download.status_code == 200 and download.headers["cache-control"] == "private, no-store"


def test_api_answers_to_a_token_are_never_stored(client: TestClient, services: Services) -> None:
    services.accounts.create_user("api-user", "correct-horse-9", "applicant")
    token = services.accounts.create_token("api-user")
    mine = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"})
    assert mine.status_code == 200 and mine.headers["cache-control"] == "no-store"


def _app(tmp_path: Path, **given: object) -> TestClient:
    settings = Settings.load({"data_dir": str(tmp_path / "data"),
                              "catalog_dir": str(ROOT / "catalog"), **given}, environ={})
    store = MemoryStore(tmp_path / "blobs", lifecycle=LIFECYCLE)
    services = Services.open(settings, store=store, clock=Clock())
    return TestClient(create_app(settings, services))


def test_hsts_is_off_by_default_and_sent_when_set(tmp_path: Path) -> None:
    with _app(tmp_path / "off") as client:
        assert "strict-transport-security" not in client.get("/").headers
    with _app(tmp_path / "on", hsts_seconds="31536000") as client:
        for path in ("/", "/static/app.css", "/api/v1/openapi.json"):
            assert client.get(path).headers["strict-transport-security"] == "max-age=31536000"
