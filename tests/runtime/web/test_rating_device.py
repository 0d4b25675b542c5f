"""The window's rating device (一次一评): a one-time session started by the window, a
page without sign-in, one rating per case (409 again), optional dimensions."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from runtime.services.container import Services
from tests.runtime.api.conftest import Api
from tests.runtime.api.test_public import finish
from tests.runtime.web.conftest import csrf_of
from tests.runtime.web.test_ratings_pages import _sign_in


@pytest.fixture
def api(client: TestClient, services: Services) -> Api:
    return Api(client, services)


def _start(api: Api, case_id: str) -> str:
    csrf = _sign_in(api, "win")
    page = api.client.get(f"/window/cases/{case_id}").text
    assert "打开评价器" in page
    started = api.client.post(f"/window/cases/{case_id}/rating-device",
                              data={"_csrf": csrf}, follow_redirects=False)
    assert started.status_code == 303 and started.headers["location"].startswith("/rate/")
    return str(started.headers["location"])


def test_a_walk_in_rating_at_the_window(api: Api) -> None:
    running = api.accepted()
    csrf = _sign_in(api, "win")
    early = api.client.post(f"/window/cases/{running['id']}/rating-device",
                            data={"_csrf": csrf})
    assert early.status_code == 409 and "作出决定后" in early.text
    case = finish(api)
    assert api.client.post(f"/window/cases/{case['id']}/rating-device",
                           data={}).status_code == 403  # no CSRF token
    device = _start(api, case["id"])
    client = api.client
    client.cookies.clear()  # the device: nobody signed in
    page = client.get(device)
    assert page.status_code == 200 and case["number"] in page.text
    assert "非常满意" in page.text and "服务态度" in page.text
    assert "王小明" not in page.text and "110101" not in page.text  # no personal data
    csrf = csrf_of(page.text)
    bad = client.post(device, data={"_csrf": csrf, "level": "5", "dim_attitude": "9"})
    assert bad.status_code == 400 and "1–5" in bad.text
    assert "rating" not in api.ok(api.get("alice", f"/cases/{case['id']}"))  # nothing written
    done = client.post(device, data={"_csrf": csrf, "level": "2", "dim_attitude": "1",
                                     "dim_efficiency": "3", "comment": "等候太久"})
    assert done.status_code == 200 and "感谢您的评价" in done.text
    stored = api.ok(api.get("alice", f"/cases/{case['id']}"))["rating"]
    assert (stored["level"], stored["source"], stored["comment"]) == (2, "device", "等候太久")
    assert stored["dimensions"] == {"attitude": 1, "efficiency": 3}
    assert stored["rectification"]["status"] == "open"  # a 差评 opens a rectification
    assert client.post(device, data={"_csrf": csrf, "level": "5"}).status_code == 404  # used
    # A second session for a rated case is refused: one rating per case.
    csrf = _sign_in(api, "win")
    again = api.client.post(f"/window/cases/{case['id']}/rating-device", data={"_csrf": csrf})
    assert again.status_code == 409 and "一事一评" in again.text
    assert "打开评价器" not in api.client.get(f"/window/cases/{case['id']}").text


def test_the_applicant_online_meanwhile_makes_the_device_answer_409(api: Api) -> None:
    case = finish(api)
    device = _start(api, case["id"])
    api.ok(api.post("alice", f"/cases/{case['id']}/rating",
                    {"level": 5, "dimensions": {"result": 5}}), 201)
    api.client.cookies.clear()
    csrf = csrf_of(api.client.get(device).text)
    late = api.client.post(device, data={"_csrf": csrf, "level": "1"})
    assert late.status_code == 409 and "一事一评" in late.text
    stored = api.ok(api.get("alice", f"/cases/{case['id']}"))["rating"]
    assert (stored["level"], stored["source"], stored["dimensions"]) == (5, "online",
                                                                         {"result": 5})


def test_only_the_window_starts_one_and_unknown_tokens_are_404(api: Api) -> None:
    case = finish(api)
    csrf = _sign_in(api, "alice")
    assert api.client.post(f"/window/cases/{case['id']}/rating-device",
                           data={"_csrf": csrf}).status_code == 403
    api.client.cookies.clear()
    assert api.client.get("/rate/not-a-token").status_code == 404
    bad = api.post("alice", f"/cases/{case['id']}/rating",
                   {"level": 5, "dimensions": {"mood": 5}})
    assert bad.status_code == 400
