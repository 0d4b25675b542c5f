"""A fresh app per test: the project catalog, an in-memory store, a fixed clock."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from runtime.engine.calendar import CHINA_TZ
from runtime.services import LIFECYCLE
from runtime.services.container import Services
from runtime.settings import Settings
from runtime.store import MemoryStore, Store
from runtime.store.postgres import PostgresStore
from runtime.web.app import create_app

ROOT = Path(__file__).parents[3]
PASSWORD = "correct-horse-9"


class Clock:
    """A settable clock for tests."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, 9, 0, tzinfo=CHINA_TZ)  # a Monday

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def open_services(tmp_path: Path, clock: Clock, *, store: Store | None = None,
                  **given: str) -> Services:
    """Services on a copy of the project catalog (an administrator's edit writes the
    catalog: never the repository's) with the ``given`` settings."""
    catalog = tmp_path / "catalog"
    if not catalog.exists():
        shutil.copytree(ROOT / "catalog", catalog)
    settings = Settings.load({"data_dir": str(tmp_path / "data"), "catalog_dir": str(catalog),
                              **given}, environ={})
    return Services.open(settings, store=store, clock=clock)


def postgres_services(tmp_path: Path, clock: Clock, url: str) -> Iterator[Services]:
    """Services opened from the ``database`` setting, as ``serve --database URL`` does."""
    services = open_services(tmp_path, clock, database=url)
    assert isinstance(services.store, PostgresStore)
    yield services
    services.close()


@pytest.fixture
def services(tmp_path: Path, clock: Clock) -> Iterator[Services]:
    services = open_services(tmp_path, clock,
                             store=MemoryStore(tmp_path / "blobs", lifecycle=LIFECYCLE))
    yield services
    services.close()


@pytest.fixture
def app(services: Services):  # type: ignore[no-untyped-def]
    return create_app(services.settings, services)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://testserver") as client:
        yield client


def csrf_of(html: str) -> str:
    """The CSRF token a page carries."""
    match = re.search(r'name="_csrf" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


@pytest.fixture
def make_user(services: Services) -> Callable[..., str]:
    def make(name: str, role: str, department: str | None = None) -> str:
        services.accounts.create_user(name, PASSWORD, role, department=department,
                                      display_name=name)
        return name
    return make


@pytest.fixture
def login(client: TestClient) -> Callable[[str], str]:
    """Sign in through the real form; returns the session's CSRF token."""
    def sign_in(name: str) -> str:
        token = csrf_of(client.get("/login").text)
        response = client.post("/login", data={"name": name, "password": PASSWORD,
                                               "_csrf": token}, follow_redirects=False)
        assert response.status_code == 303, response.text
        return csrf_of(client.get("/").text)
    return sign_in
