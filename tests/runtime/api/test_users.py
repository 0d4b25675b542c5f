"""/users and /me/password: admin user management; a one-time password blocks the API."""

from __future__ import annotations

from typing import Any

import pytest

from tests.runtime.api.conftest import BASE, Api

NEW = "Fresh-Start-2026"


@pytest.fixture(autouse=True)
def cheap_passwords() -> None:
    """Real scrypt hashes here: passwords are verified."""


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_admin_lists_creates_and_changes_users(api: Api) -> None:
    created = api.ok(api.post("root", "/users", {"name": "amr-wang", "role": "department",
                                                 "department": "amr",
                                                 "display_name": "王芳"}), 201)
    one_time = created.pop("password")
    assert len(one_time) >= 12
    assert created == {"id": created["id"], "name": "amr-wang", "display_name": "王芳",
                       "role": "department", "department": "amr", "email": "", "phone": "",
                       "active": True}
    listed = api.get("root", "/users", params={"limit": 1, "offset": 0})
    assert listed.headers["x-total-count"] == "2" and len(listed.json()) == 1
    changed = api.ok(api.client.patch(f"{BASE}/users/{created['id']}", headers=api.headers(
        "root"), json={"role": "window", "email": "wang@example.cn"}))
    assert (changed["role"], changed["department"], changed["email"]) == (
        "window", None, "wang@example.cn")
    with_password = api.ok(api.post("root", "/users", {"name": "robot", "role": "window",
                                                       "password": NEW}), 201)
    assert "password" not in with_password


def test_bad_input_and_non_admins(api: Api) -> None:
    weak = api.post("root", "/users", {"name": "x1y", "role": "window", "password": "12345678"})
    assert weak.status_code == 400
    assert weak.json()["details"][0]["pointer"] == "/password"
    unknown = api.client.patch(f"{BASE}/users/u_0000", headers=api.headers("root"),
                               json={"active": False})
    assert unknown.status_code == 404
    typo = api.client.patch(f"{BASE}/users/u_0000", headers=api.headers("root"),
                            json={"actve": False})
    assert typo.status_code == 400 and typo.json()["details"][0]["pointer"] == "/actve"
    assert api.get("win", "/users").status_code == 403
    assert api.post("amr1", "/users", {"name": "abc", "role": "admin"}).status_code == 403


def test_deactivation_stops_the_token_at_once(api: Api) -> None:
    assert api.get("win", "/matters").status_code == 200
    win = api.user_id("win")
    api.ok(api.client.patch(f"{BASE}/users/{win}", headers=api.headers("root"),
                            json={"active": False}))
    assert api.get("win", "/matters").status_code == 401


def test_a_one_time_password_blocks_everything_but_changing_it(api: Api) -> None:
    created = api.ok(api.post("root", "/users", {"name": "clerk9", "role": "window"}), 201)
    token = api.services.accounts.create_token("clerk9")
    blocked = api.client.get(f"{BASE}/matters", headers=bearer(token))
    assert blocked.status_code == 403
    body: dict[str, Any] = blocked.json()
    assert body["error"] == "password_change_required" and "修改密码" in body["message"]
    wrong = api.client.post(f"{BASE}/me/password", headers=bearer(token),
                            json={"old": "not-the-one", "new": NEW})
    assert wrong.status_code == 400 and wrong.json()["details"][0]["pointer"] == "/old"
    done = api.client.post(f"{BASE}/me/password", headers=bearer(token),
                           json={"old": created["password"], "new": NEW})
    assert done.status_code == 200, done.text
    assert api.client.get(f"{BASE}/matters", headers=bearer(token)).status_code == 200


def test_token_last_use_is_recorded(api: Api) -> None:
    api.get("win", "/matters")
    [info] = api.services.accounts.tokens_of(api.user_id("win"))
    assert info.last_used_at.startswith("2026-11-30T09:00")
