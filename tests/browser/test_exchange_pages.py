"""The exchange between centres in the browser: the city police's list and task page
for a task the province sent, the province administrator's status page with a retry,
the supervisors' cross-centre tasks and a case's messages; each page clean for axe."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from bench.centres import PASSWORD, city_tasks, new_case, two_centres, wait_for
from tests.browser.axe import summary, violations
from tests.browser.conftest import Server, sign_in

pytestmark = pytest.mark.browser


def _clean(page: Page) -> None:
    found = violations(page)
    assert not found, summary(found)


def test_exchange_pages(tmp_path: Path, browser: Browser,
                        shots: Callable[[Page, str], Path]) -> None:
    province, city = two_centres(tmp_path)
    city.start()
    province.start()
    try:
        case = new_case(province, 1)
        wait_for(lambda: city_tasks(city))
        city.stop()  # the next one waits in the province's outbox
        new_case(province, 2)
        people = {name: PASSWORD for name in [*province.tokens, *city.tokens]}
        here = Server(province.base, province.data, people)
        there = Server(city.base, city.data, people)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900},
                                      bypass_csp=True)
        page = context.new_page()

        sign_in(page, here, "admin")
        page.goto(province.base + "/admin/exchange")
        expect(page.get_by_role("heading", name="跨中心协同")).to_be_visible()
        expect(page.locator("[data-peer=haikou]")).to_contain_text("无法连通")
        expect(page.locator("tr[data-message]")).to_have_count(1)
        shots(page, "admin-exchange")
        _clean(page)
        page.get_by_role("button", name="立即重发").click()
        expect(page.get_by_text("已安排立即重发该报文")).to_be_visible()
        page.context.clear_cookies()

        sign_in(page, here, "sup")
        expect(page.locator("[data-exchange-alarm]")).to_contain_text("条报文等待送达")
        page.goto(province.base + "/supervision/exchange")
        rows = page.locator("tr[data-direction=sent]")
        expect(rows).to_have_count(2)
        expect(rows.first).to_contain_text("发往海口市政务服务中心")
        expect(rows.first).to_contain_text("印章刻制")
        shots(page, "supervision-exchange")
        _clean(page)
        page.goto(province.base + f"/supervision/exchange/{case['id']}")
        expect(page.locator("tr[data-message]").first).to_contain_text("受理")
        shots(page, "case-messages")
        _clean(page)
        page.goto(province.base + f"/supervision/cases/{case['id']}")
        expect(page.get_by_text("已发往海口市政务服务中心")).to_be_visible()
        page.context.clear_cookies()

        city.start()
        sign_in(page, there, "cop1")
        page.goto(city.base + "/tasks")
        expect(page.get_by_text("印章刻制").first).to_be_visible()
        shots(page, "city-task-list")
        task = city_tasks(city)[0]
        page.goto(city.base + f"/tasks/{task['id']}")
        expect(page.get_by_text("91460100MA5T000001").first).to_be_visible()
        shots(page, "city-task-page")
        _clean(page)
        context.close()
    finally:
        province.stop()
        city.stop()
