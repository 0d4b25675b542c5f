"""API tests: the web fixtures (fresh app, MemoryStore, settable clock) plus bearer tokens."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from runtime.services.container import Services
from tests.runtime.api.samples import CAST, DATA, FILES, LICENSE
from tests.runtime.web import conftest as web

# The web tests' fixtures, shared: a fresh app per test on a MemoryStore with a settable clock.
app, client, clock, services = web.app, web.client, web.clock, web.services

BASE = "/api/v1"


@pytest.fixture(autouse=True)
def cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests sign in with tokens only: skip scrypt to keep a fresh cast per test fast."""
    monkeypatch.setattr("runtime.services.accounts.hash_password", lambda p: "test$" + p)


class Api:
    """A TestClient with one bearer token per cast member, made on first use."""

    def __init__(self, http: TestClient, svc: Services) -> None:
        self.client = http
        self.services = svc
        self.tokens: dict[str, str] = {}

    def user_id(self, name: str) -> str:
        self.headers(name)
        user = self.services.accounts.find(name)
        assert user is not None
        return user.id

    def headers(self, name: str) -> dict[str, str]:
        if name not in self.tokens:
            role, department = CAST[name]
            self.services.accounts.create_user(name, "correct-horse-9", role,
                                               department=department)
            self.tokens[name] = self.services.accounts.create_token(name)
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    def get(self, who: str, path: str, **kwargs: Any) -> Any:
        return self.client.get(BASE + path, headers=self.headers(who), **kwargs)

    def post(self, who: str, path: str, body: Any = None, *, headers: dict[str, str] | None = None,
             **kwargs: Any) -> Any:
        if body is not None:
            kwargs["json"] = body
        return self.client.post(BASE + path, headers={**self.headers(who), **(headers or {})},
                                **kwargs)

    def ok(self, response: Any, status: int = 200) -> Any:
        assert response.status_code == status, response.text
        return response.json()

    def upload(self, who: str, name: str, data: bytes, **form: str) -> str:
        response = self.post(who, "/files", files={"file": (name, data)}, data=form)
        return str(self.ok(response, 201)["id"])

    def apply(self, who: str = "alice", data: dict[str, Any] | None = None,
              **extra: Any) -> dict[str, Any]:
        uploader = "win" if extra.get("applicant") else who
        materials = {m: [self.upload(uploader, name, blob)] for m, (name, blob) in FILES.items()}
        body = {"matter": "enterprise-establishment", "data": data or DATA,
                "materials": materials, **extra}
        return dict(self.ok(self.post(who, "/cases", body), 201))

    def accepted(self, who: str = "alice") -> dict[str, Any]:
        """A case accepted by the window: the licence task is ready."""
        case = self.apply(who)
        return dict(self.ok(self.post("win", f"/cases/{case['id']}/accept")))

    def task(self, case: dict[str, Any], step: str) -> dict[str, Any]:
        return next(t for t in case["tasks"] if t["step"] == step)

    def licensed(self, who: str = "alice") -> dict[str, Any]:
        """A case whose licence the amr has approved: the parallel tasks are ready."""
        case = self.accepted(who)
        task = self.task(case, "license")["id"]
        self.ok(self.post("amr1", f"/tasks/{task}/claim"))
        self.ok(self.post("amr1", f"/tasks/{task}/approve", {"data": LICENSE}))
        return dict(self.ok(self.get(who, f"/cases/{case['id']}")))


@pytest.fixture
def api(client: TestClient, services: Services) -> Iterator[Api]:
    yield Api(client, services)
