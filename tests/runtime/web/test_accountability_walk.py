"""Defects found by walking the accountability pages as their users (issue 15): what
each page shows a person, asserted on its HTML."""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from runtime.engine.calendar import CHINA_TZ
from runtime.services.container import Services
from tests.runtime.api.conftest import Api
from tests.runtime.api.test_public import finish
from tests.runtime.api.test_scores import late_licence
from tests.runtime.web.conftest import csrf_of
from tests.runtime.web.test_rating_device import _start
from tests.runtime.web.test_ratings_pages import _sign_in


@pytest.fixture
def api(client: TestClient, services: Services) -> Api:
    return Api(client, services)


def _header(html: str) -> str:
    found = re.search(r'<header class="top">(.*?)</header>', html, re.S)
    assert found, html
    return found.group(1)


def test_the_rating_device_offers_no_sign_in_and_no_navigation(api: Api) -> None:
    case = finish(api)
    device = _start(api, case["id"])
    client = api.client
    client.cookies.clear()  # the tablet on the counter: nobody signed in
    page = client.get(device)
    assert page.status_code == 200 and "请您对本次服务进行评价" in page.text
    header = _header(page.text)
    assert "登录" not in header and "注册" not in header
    assert "<nav" not in header and 'href="/"' not in header  # nowhere to wander off to
    assert "云川市政务服务中心" in header  # still says whose device it is
    done = client.post(device, data={"_csrf": csrf_of(page.text), "level": "5"})
    assert done.status_code == 200 and "感谢您的评价" in done.text
    assert "登录" not in _header(done.text) and "<nav" not in _header(done.text)
    used = client.get(device)
    assert used.status_code == 404 and "登录" not in _header(used.text)
    # every other page keeps its header
    assert "登录" in _header(client.get("/public/results").text)


def test_the_case_history_names_the_rating_and_its_rectification_in_chinese(api: Api) -> None:
    case = finish(api)
    client = api.client
    csrf = _sign_in(api, "alice")
    client.post(f"/my/cases/{case['id']}/rating",
                data={"level": "2", "comment": "等了很久", "_csrf": csrf})
    csrf = _sign_in(api, "amr1")
    client.post(f"/ratings/{case['id']}/reply", data={"text": "已优化流程", "_csrf": csrf})
    _sign_in(api, "alice")
    history = client.get(f"/cases/{case['id']}").text
    timeline = re.search(r'<ol class="timeline">(.*?)</ol>', history, re.S)
    assert timeline
    items = timeline.group(1)
    assert "· 评价：等了很久" in items and "· 整改答复：已优化流程" in items
    assert "· rate" not in items and "· reply" not in items
    _sign_in(api, "sup")  # the audit names the rating, its states, and what it is about
    audit = client.get(f"/supervision/cases/{case['id']}").text
    assert re.search(r"<td>评价</td><td>好差评</td>", audit)
    assert re.search(r"<td>整改答复</td><td>好差评</td>\s*<td[^>]*>待整改 → 已整改待回访</td>",
                     audit)


def test_a_matter_not_announced_is_named_by_title(api: Api) -> None:
    finish(api)
    bad = api.client.get("/public/results?matter=government-investment-project")
    assert bad.status_code == 400
    alert = re.search(r'role="alert">(.*?)</div>', bad.text, re.S)
    assert alert, bad.text
    message = html.unescape(alert.group(1))
    names = dict(api.services.public.announced())
    assert names and all(name in message for name in names.values())
    assert not any(matter_id in message for matter_id in names)


def test_a_bad_rating_is_an_error_on_the_case_page_not_a_thanks(api: Api) -> None:
    case = finish(api)
    client = api.client
    csrf = _sign_in(api, "alice")
    bad = client.post(f"/my/cases/{case['id']}/rating", data={"level": "9", "_csrf": csrf})
    assert bad.status_code == 400
    alert = re.search(r'class="notice notice-error" role="alert">(.*?)</div>', bad.text, re.S)
    assert alert and "评价等级" in alert.group(1)
    assert 'notice-ok' not in bad.text and "评价本次办理" in bad.text  # the form again
    assert "rating" not in api.ok(api.get("alice", f"/cases/{case['id']}"))  # nothing written


def test_the_applicant_picks_a_case_to_complain_about_by_number_and_matter(api: Api) -> None:
    case = finish(api)
    _sign_in(api, "alice")
    form = api.client.get("/complaints").text
    option = re.search(rf'<option value="{case["id"]}">(.*?)</option>', form)
    assert option, form
    assert option.group(1).startswith(case["number"] + " · 企业开办")


def test_the_query_code_is_printed_on_the_applicants_copy_only(api: Api) -> None:
    case = api.accepted()
    _sign_in(api, "win")
    receipt = api.client.get(f"/cases/{case['id']}/receipt").text
    first, second = receipt.split("第二联", 1)
    assert case["query_code"] in first and "查询码" in first
    assert case["query_code"] not in second and "查询码" not in second
    assert case["number"] in second


def test_a_deduction_annulled_in_full_shows_zero_points(api: Api, clock: Any) -> None:
    late_licence(api, clock)
    client = api.client
    csrf = _sign_in(api, "sup")
    page = client.get("/scores?period=2026-12").text
    key = re.findall(r'name="key" value="(overdue-task:[^"]+)"', page)[0]
    done = client.post("/scores/annul", data={"key": key, "reason": "系统故障",
                                              "period": "2026-12", "_csrf": csrf})
    assert done.status_code == 200 and "已撤销：系统故障" in done.text
    row = re.search(r"<td>环节超期办结</td><td>(\d+)</td><td>([^<]*)</td>", done.text)
    assert row and row.groups() == ("0", "0")  # not "-0"


def test_a_period_with_nothing_finished_explains_why_there_are_no_charts(
        api: Api, login: Any, make_user: Any) -> None:
    case = api.accepted()  # a task received, none decided yet
    day = datetime.fromisoformat(case["accepted_at"]).astimezone(CHINA_TZ).date().isoformat()
    make_user("sup2", "supervisor")
    login("sup2")
    page = api.client.get(f"/statistics?by=department&from={day}&to={day}")
    assert page.status_code == 200 and "市场监督管理局" in page.text  # received: one row
    assert "<figure" not in page.text and "暂无用时和按期率图表" in page.text


def test_the_printed_score_sheet_names_the_centre(api: Api, clock: Any,
                                                  services: Services) -> None:
    late_licence(api, clock)
    _sign_in(api, "sup")
    page = api.client.get("/scores?period=2026-12").text
    # the print style hides the header: the sheet carries the centre's name itself
    assert f'<p class="print-only">{html.escape(services.catalog.centre.name)}</p>' in page
    css = api.client.get("/static/app.css").text
    assert ".print-only { display: none; }" in css
    assert re.search(r"@media print \{[^@]*\.print-only \{ display: block; \}", css)


def test_demo_officers_have_a_persons_name_the_pages_add_the_department_to(
        services: Services) -> None:
    from runtime.demo import create_demo_users

    made = create_demo_users(services)
    assert made is not None
    officers = [u for u in services.store.list_users() if u["role"] == "department"]
    assert officers and all(services.catalog.departments[u["department"]].name
                            not in u["display_name"] for u in officers)
    # the printed list still says which department each officer signs in for
    labels = {name: label for name, label, _ in made}
    assert labels["dept-amr"].endswith("（市场监督管理局 审批员）")
