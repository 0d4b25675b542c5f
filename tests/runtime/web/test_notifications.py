"""The bell on every page, the list at /me/notifications, marking read (CSRF), and the
channel settings."""

from __future__ import annotations

import re
from collections.abc import Callable

from starlette.testclient import TestClient

from runtime.services import Services
from tests.runtime.services.test_cases_actors import _submitted


def _bell(html: str) -> str:
    match = re.search(r'<a class="bell" href="/me/notifications">(.*?)</a>', html, re.S)
    assert match, "no bell on the page"
    return match.group(1)


def test_the_bell_counts_unread_and_the_list_marks_them_read(
        client: TestClient, services: Services, make_user: Callable[..., str],
        login: Callable[[str], str]) -> None:
    make_user("alice1", "applicant")
    make_user("window1", "window")
    alice, window = services.accounts.find("alice1"), services.accounts.find("window1")
    assert alice is not None and window is not None
    case = services.cases.accept(window, _submitted(services, alice)["id"],
                                 deferred=["premises"])
    csrf = login("alice1")
    for path in ("/", "/my/cases", f"/cases/{case['id']}"):
        assert "1<span class=\"visually-hidden\"> 条未读</span>" in _bell(client.get(path).text)
    page = client.get("/me/notifications").text
    assert "办件已受理" in page and case["number"] in page
    [notice] = services.notices.list(alice)
    refused = client.post(f"/me/notifications/{notice.id}/read", data={},
                          follow_redirects=False)
    assert refused.status_code == 403  # no CSRF token: nothing changes
    assert services.notices.unread(alice) == 1
    opened = client.post(f"/me/notifications/{notice.id}/read?open=1", data={"_csrf": csrf},
                         follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == f"/cases/{case['id']}"
    assert services.notices.unread(alice) == 0
    assert "条未读" not in _bell(client.get("/").text)


def test_someone_elses_notification_is_not_found(
        client: TestClient, services: Services, make_user: Callable[..., str],
        login: Callable[[str], str]) -> None:
    make_user("alice1", "applicant")
    make_user("bob111", "applicant")
    make_user("window1", "window")
    alice, window = services.accounts.find("alice1"), services.accounts.find("window1")
    assert alice is not None and window is not None
    services.cases.accept(window, _submitted(services, alice)["id"], deferred=["premises"])
    [notice] = services.notices.list(alice)
    csrf = login("bob111")
    answer = client.post(f"/me/notifications/{notice.id}/read", data={"_csrf": csrf})
    assert answer.status_code == 404
    assert services.notices.unread(alice) == 1
    assert "暂无通知" in client.get("/me/notifications").text


def test_channels_are_turned_off_and_on(client: TestClient, services: Services,
                                        make_user: Callable[..., str],
                                        login: Callable[[str], str]) -> None:
    make_user("alice1", "applicant")
    csrf = login("alice1")
    client.post("/me/notifications/settings", data={"_csrf": csrf, "email": "on"})
    alice = services.accounts.find("alice1")
    assert alice is not None
    assert services.notices.channels(alice) == {"email": True, "sms": False}
    page = client.get("/me/notifications").text
    assert re.search(r'name="email" checked', page) and not re.search(r'name="sms" checked',
                                                                       page)


def test_the_administrator_sees_dead_jobs_and_retries_them(
        client: TestClient, services: Services, make_user: Callable[..., str],
        login: Callable[[str], str]) -> None:
    make_user("admin1", "admin")
    now = services.clock()
    with services.store.write() as tx:
        services.jobs.schedule(tx, "deliver", "deliver:n_1:email", now.isoformat(), {})
    [job] = services.jobs.claim("w", 1, now)
    services.jobs.fail(job, "SMTP 550 mailbox unavailable", permanent=True, now=now)
    csrf = login("admin1")
    page = client.get("/admin/jobs?status=dead").text
    assert "发送通知" in page and "SMTP 550 mailbox unavailable" in page and "已放弃" in page
    assert client.post("/admin/jobs/deliver:n_1:email/retry", data={}).status_code == 403
    done = client.post("/admin/jobs/deliver:n_1:email/retry", data={"_csrf": csrf},
                       follow_redirects=False)
    assert done.status_code == 303
    assert services.store.get_job("deliver:n_1:email")["status"] == "pending"  # type: ignore[index]
    make_user("alice1", "applicant")
    client.post("/logout", data={"_csrf": csrf})
    login("alice1")
    assert client.get("/admin/jobs").status_code in (403, 404)
