"""Admin service tests: a copy of the project catalog in ``tmp_path``, real files."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from runtime.engine.calendar import CHINA_TZ
from runtime.services import LIFECYCLE
from runtime.services.accounts import User
from runtime.services.container import Services
from runtime.settings import Settings
from runtime.store import MemoryStore, Store

ROOT = Path(__file__).parents[3]
MATTER = "enterprise-establishment"
ADMIN = User("u_admin", "admin1", "admin", None, "中心管理员")


class Clock:
    """A clock that moves one minute per reading, so audit times differ."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, 9, 0, tzinfo=CHINA_TZ)  # a Monday

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


class Opener:
    """Opens services on a catalog folder and a data folder; closes them at the end.

    ``durable=True`` keeps cases on disk (TinyDBStore) across a reopen; otherwise a
    MemoryStore is used (the admin store is always the real file).
    """

    def __init__(self, tmp_path: Path, catalog: Path) -> None:
        self.tmp_path = tmp_path
        self.catalog = catalog
        self.data = tmp_path / "data"
        self.opened: list[Services] = []
        self.settings_extra: dict[str, str] = {}  # e.g. smtp_url for delivery tests

    def open(self, *, durable: bool = False, catalog: Path | None = None,
             data: Path | None = None) -> Services:
        settings = Settings.load({"data_dir": str(data or self.data),
                                  "catalog_dir": str(catalog or self.catalog),
                                  **self.settings_extra}, environ={})
        store: Store | None = None if durable else MemoryStore(self.tmp_path / "blobs",
                                                               lifecycle=LIFECYCLE)
        services = Services.open(settings, store=store, clock=Clock())
        self.opened.append(services)
        return services

    def reopen(self, services: Services, *, durable: bool = False) -> Services:
        """Close and open again on the same folders (a restart)."""
        self.close(services)
        return self.open(durable=durable)

    def close(self, services: Services) -> None:
        self.opened.remove(services)
        services.close()


@pytest.fixture(autouse=True)
def cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Users are made for their role and department only: skip scrypt."""
    monkeypatch.setattr("runtime.services.accounts.hash_password", lambda p: "test$" + p)


@pytest.fixture
def catalog_dir(tmp_path: Path) -> Path:
    """A private copy of the project catalog, free to be written."""
    target = tmp_path / "catalog"
    shutil.copytree(ROOT / "catalog", target)
    return target


@pytest.fixture
def opener(tmp_path: Path, catalog_dir: Path) -> Iterator[Opener]:
    """Services on the catalog copy, closed after the test."""
    made = Opener(tmp_path, catalog_dir)
    yield made
    for services in list(made.opened):
        made.close(services)


@pytest.fixture
def services(opener: Opener) -> Services:
    """Services on the catalog copy with a MemoryStore."""
    return opener.open()
