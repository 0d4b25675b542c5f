"""Sessions kept in the store, the forced password change, user management pages,
registration that does not disclose names, and the client address behind proxies."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.requests import Request
from starlette.testclient import TestClient

from runtime.services.container import Services
from runtime.settings import Settings, SettingsError
from runtime.web.auth import client_address
from tests.runtime.web.conftest import PASSWORD, csrf_of

NEW = "Fresh-Start-2026"


@pytest.fixture
def other(app: Any) -> Iterator[TestClient]:
    """A second browser."""
    with TestClient(app, base_url="http://testserver") as second:
        yield second


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> Any:
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"name": name, "password": password, "_csrf": token},
                       follow_redirects=False)


def test_an_old_cookie_is_refused_after_logout(client: TestClient,
                                               make_user: Callable[..., str]) -> None:
    make_user("window1", "window")
    assert sign_in(client, "window1").status_code == 303
    stolen = client.cookies.get("ow_session")
    assert client.get("/window").status_code == 200
    client.post("/logout", data={"_csrf": csrf_of(client.get("/").text)})
    client.cookies.set("ow_session", stolen)  # the cookie as it was before signing out
    again = client.get("/window", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/login")


def test_deactivation_refuses_an_open_session_at_once(
        client: TestClient, other: TestClient, make_user: Callable[..., str],
        services: Services) -> None:
    make_user("boss", "admin")
    make_user("amr1", "department", "amr")
    assert sign_in(other, "amr1").status_code == 303
    assert other.get("/tasks").status_code == 200
    assert sign_in(client, "boss").status_code == 303
    amr1 = services.accounts.find("amr1")
    assert amr1 is not None
    page = client.get(f"/admin/users/{amr1.id}").text
    assert "停用该用户" in page and "市场监督管理局" in page
    boss = services.accounts.find("boss")
    assert boss is not None
    assert "停用该用户" not in client.get(f"/admin/users/{boss.id}").text  # not oneself
    token = csrf_of(page)
    done = client.post(f"/admin/users/{amr1.id}/active", data={"active": "0", "_csrf": token})
    assert done.status_code == 200 and "已停用该用户" in done.text
    refused = other.get("/tasks", follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"].startswith("/login")
    assert sign_in(other, "amr1").status_code == 401


def test_a_one_time_password_leads_only_to_the_password_page(
        client: TestClient, other: TestClient, make_user: Callable[..., str]) -> None:
    make_user("boss", "admin")
    sign_in(client, "boss")
    token = csrf_of(client.get("/admin/users").text)
    created = client.post("/admin/users", data={
        "name": "amr-wang", "display_name": "王芳", "role": "department", "department": "amr",
        "email": "", "phone": "", "_csrf": token})
    assert created.status_code == 201 and "市场监督管理局" in created.text
    match = re.search(r"<code data-password>([^<]+)</code>", created.text)
    assert match
    one_time = match.group(1)
    first = sign_in(other, "amr-wang", one_time)
    assert first.status_code == 303 and first.headers["location"] == "/account/password"
    for path in ("/tasks", "/", "/my/cases"):
        blocked = other.get(path, follow_redirects=False)
        assert blocked.status_code == 303 and blocked.headers["location"] == "/account/password"
    page = other.get("/account/password")
    assert "一次性密码" in page.text
    token = csrf_of(page.text)
    weak = other.post("/account/password", data={"old": one_time, "new": "12345678",
                                                 "new2": "12345678", "_csrf": token})
    assert weak.status_code == 400 and "连续的数字" in weak.text
    done = other.post("/account/password", data={"old": one_time, "new": NEW, "new2": NEW,
                                                 "_csrf": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/tasks"
    assert other.get("/tasks").status_code == 200


def test_the_users_page_shows_names_not_ids(client: TestClient,
                                            make_user: Callable[..., str]) -> None:
    make_user("boss", "admin")
    make_user("amr1", "department", "amr")
    sign_in(client, "boss")
    page = client.get("/admin/users").text
    row = re.search(r'<tr data-user="amr1">(.*?)</tr>', page, re.S)
    assert row and "部门审批人员" in row.group(1) and "市场监督管理局" in row.group(1)
    assert ">amr<" not in row.group(1) and "department" not in row.group(1)
    assert 'href="/admin/users"' in client.get("/admin").text
    token = csrf_of(page)
    bad = client.post("/admin/users", data={"name": "x", "display_name": "", "role":
                                            "department", "department": "", "_csrf": token})
    assert bad.status_code == 400 and "部门审批人员须指定部门" in bad.text


def test_tokens_shown_with_last_use_and_revoked_in_the_admin_page(
        client: TestClient, make_user: Callable[..., str], services: Services) -> None:
    make_user("boss", "admin")
    make_user("robot", "window")
    token = services.accounts.create_token("robot")
    assert client.get("/api/v1/matters",
                      headers={"Authorization": f"Bearer {token}"}).status_code == 200
    sign_in(client, "boss")
    robot = services.accounts.find("robot")
    assert robot is not None
    page = client.get(f"/admin/users/{robot.id}").text
    [info] = services.accounts.tokens_of(robot.id)
    row = re.search(rf'<tr data-token="{info.id}">(.*?)</tr>', page, re.S)
    assert row and "2026-11-30 09:00" in row.group(1) and "从未使用" not in row.group(1)
    client.post(f"/admin/users/{robot.id}/tokens/{info.id}/revoke",
                data={"_csrf": csrf_of(page)})
    assert client.get("/api/v1/matters",
                      headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_non_admins_cannot_reach_the_user_pages(client: TestClient,
                                                make_user: Callable[..., str]) -> None:
    make_user("window1", "window")
    sign_in(client, "window1")
    assert client.get("/admin/users").status_code == 403


def test_registration_answers_alike_for_staff_and_unused_reserved_names(
        client: TestClient, make_user: Callable[..., str]) -> None:
    make_user("supervisor", "supervisor")
    answers = []
    for name in ("supervisor", "supervisor7"):
        token = csrf_of(client.get("/register").text)
        page = client.post("/register", data={"name": name, "display_name": "某人",
                                              "password": NEW, "password2": NEW,
                                              "_csrf": token})
        errors = re.search(r'<div class="error-summary".*?</div>', page.text, re.S)
        assert errors
        answers.append((page.status_code, errors.group(0)))
    assert answers[0] == answers[1] and "已被使用" not in answers[0][1]


def test_registration_is_rate_limited(client: TestClient) -> None:
    statuses = []
    for i in range(11):
        token = csrf_of(client.get("/register").text)
        page = client.post("/register", data={"name": f"person{i}", "display_name": "某人",
                                              "password": NEW, "password2": NEW,
                                              "_csrf": token}, follow_redirects=False)
        statuses.append(page.status_code)
        if page.status_code == 303:
            client.post("/logout", data={"_csrf": csrf_of(client.get("/").text)})
    assert statuses == [303] * 10 + [429]


def _request(peer: str, forwarded: str | None, trusted: str) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    settings = Settings.load({"trusted_proxies": trusted}, environ={})
    app = SimpleNamespace(state=SimpleNamespace(settings=settings))
    return Request({"type": "http", "headers": headers, "client": (peer, 1234), "app": app})


@pytest.mark.parametrize(("peer", "forwarded", "trusted", "expected"), [
    ("127.0.0.1", "203.0.113.5", "", "127.0.0.1"),  # default: no proxy is trusted
    ("198.51.100.7", "203.0.113.5", "127.0.0.1", "198.51.100.7"),  # not from the proxy
    ("127.0.0.1", "203.0.113.5", "127.0.0.1", "203.0.113.5"),
    ("10.0.0.2", "1.2.3.4, 203.0.113.5, 10.0.0.1", "10.0.0.0/8", "203.0.113.5"),
    ("127.0.0.1", "not-an-ip", "127.0.0.1", "127.0.0.1"),
    ("127.0.0.1", None, "127.0.0.1", "127.0.0.1"),
])
def test_client_address_trusts_only_configured_proxies(peer: str, forwarded: str | None,
                                                       trusted: str, expected: str) -> None:
    assert client_address(_request(peer, forwarded, trusted)) == expected


def test_a_bad_trusted_proxies_setting_is_refused() -> None:
    with pytest.raises(SettingsError, match=r"trusted_proxies.*not an IP address"):
        Settings.load({"trusted_proxies": "10.0.0.0/8, proxy.local"}, environ={})
