"""Fixtures: a fresh store per test, for each backend."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime.services import LIFECYCLE
from runtime.store import MemoryStore, TinyDBStore
from runtime.store.core import IndexedStore
from runtime.store.postgres import PostgresStore
from tests.pg import pg_empty_url, pg_server, pg_url  # noqa: F401  (fixtures)


def make_case(
    n: int,
    /,
    *,
    status: str = "in_progress",
    applicant: str = "u_app",
    departments: tuple[str, ...] = ("dept_a",),
    task_status: str = "ready",
    updated_at: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Return a small but realistic case document."""
    case_id = f"c_{n:05d}"
    return {
        "schema": 1,
        "id": case_id,
        "number": None,
        "matter": "food-licence",
        "matter_version": 3,
        "status": status,
        "applicant": applicant,
        "data": {"name": "张三的小吃店", "address": "人民路 1 号"},
        "materials": {},
        "outputs": {},
        "tasks": [
            {
                "id": f"t_{n:05d}_{i}",
                "case": case_id,
                "step": f"review-{dept}",
                "department": dept,
                "status": task_status,
                "ready_at": "2026-11-28T09:00:00",
                "due": f"2026-12-{1 + n % 28:02d}T17:00:00",
                "claimed_by": None,
            }
            for i, dept in enumerate(departments)
        ],
        "events": [{"at": "2026-11-28T09:00:00", "kind": "submitted"}],
        "updated_at": updated_at or f"2026-11-28T09:{n // 60 % 60:02d}:{n % 60:02d}",
        **extra,
    }


@pytest.fixture(params=["memory", "tinydb", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[IndexedStore]:
    """A fresh store of each backend (PostgreSQL: a fresh database of the test server)."""
    opened: Any
    if request.param == "postgres":
        opened = PostgresStore(request.getfixturevalue("pg_url"), lifecycle=LIFECYCLE,
                               pool_size=4)
    elif request.param == "memory":
        opened = MemoryStore(tmp_path / "files", lifecycle=LIFECYCLE)
    else:
        opened = TinyDBStore(tmp_path, lifecycle=LIFECYCLE)
    yield opened
    opened.close()


@pytest.fixture
def open_store(tmp_path: Path) -> Iterator[Callable[..., TinyDBStore]]:
    """Open (and later close) TinyDB stores in ``tmp_path``."""
    opened: list[TinyDBStore] = []

    def _open(**options: Any) -> TinyDBStore:
        new = TinyDBStore(tmp_path, **options, lifecycle=LIFECYCLE)
        opened.append(new)
        return new

    yield _open
    for each in opened:
        each.close()


@pytest.fixture
def reopen(tmp_path: Path) -> Iterator[Callable[[IndexedStore], Iterator[IndexedStore]]]:
    """Reopen a store as restarts would, yielding it after a replay of the journal, then
    after a load of a fresh snapshot (a `MemoryStore` is yielded once, as is)."""
    opened: list[TinyDBStore] = []

    def _reopen(store: IndexedStore) -> Iterator[IndexedStore]:
        if not isinstance(store, TinyDBStore):
            yield store
            return
        store.close()
        opened.append(TinyDBStore(tmp_path, lifecycle=LIFECYCLE))
        yield opened[-1]
        opened[-1].checkpoint()
        opened[-1].close()
        opened.append(TinyDBStore(tmp_path, lifecycle=LIFECYCLE))
        yield opened[-1]

    yield _reopen
    for each in opened:
        each.close()
