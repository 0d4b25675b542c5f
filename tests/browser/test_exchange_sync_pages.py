"""缴费, 超时默许 and red on both boards in the browser: the province window sees the
notice the city police issued (with the department's name), the city officer sees why
the consented task is closed, the province supervisor sees the unreachable city in red;
each page clean for axe."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from bench.centres import PASSWORD, city_tasks, new_case, two_centres, wait_for
from tests.browser.axe import summary, violations
from tests.browser.conftest import Server, sign_in
from tests.runtime.exchange.test_sync import offline

pytestmark = pytest.mark.browser
FAST = {"ONEWINDOW_EXCHANGE_ALARM_MINUTES": "0.03", "ONEWINDOW_EXCHANGE_PROBE_SECONDS": "0.3"}


def _clean(page: Page) -> None:
    found = violations(page)
    assert not found, summary(found)


def test_exchange_sync_pages(tmp_path: Path, browser: Browser,
                             shots: Callable[[Page, str], Path]) -> None:
    province, city = two_centres(tmp_path)
    city.start(**FAST)
    province.start(**FAST)
    try:
        paying = new_case(province, 31)
        task = wait_for(lambda: city_tasks(city))[0]
        city.api("cop1", "POST", f"/tasks/{task['id']}/claim")
        city.api("cop1", "POST", f"/cases/{task['case']}/fees",
                 {"items": [{"name": "印章刻制工本费", "amount": 6000}]})
        wait_for(lambda: province.api("win", "GET", f"/cases/{paying['id']}").get("fees"))

        late = new_case(province, 32)
        other = wait_for(lambda: [t for t in city_tasks(city) if t["id"] != task["id"]])[0]
        due = datetime.fromisoformat(next(t for t in late["tasks"] if t["step"] == "seal")["due"])
        with offline(province, **FAST) as services:
            services.worker.run_once(due + timedelta(minutes=1))
        wait_for(lambda: city.api("cop2", "GET", f"/cases/{other['case']}")["tasks"][0]["status"]
                 == "approved")

        people = {name: PASSWORD for name in [*province.tokens, *city.tokens]}
        here = Server(province.base, province.data, people)
        there = Server(city.base, city.data, people)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900},
                                      bypass_csp=True)
        page = context.new_page()

        sign_in(page, there, "cop2")
        page.goto(city.base + f"/tasks/{other['id']}")
        expect(page.get_by_text("海南省政务服务中心已按超时默许办结").first).to_be_visible()
        shots(page, "city-consented-task")
        _clean(page)
        page.context.clear_cookies()

        sign_in(page, here, "win")
        page.goto(province.base + f"/window/cases/{paying['id']}")
        expect(page.locator("[data-fee-peer]")).to_contain_text("海口市公安局")
        shots(page, "province-window-fee-from-city")
        _clean(page)
        page.context.clear_cookies()

        new_case(province, 33)  # a task open with the city (the others were consented)
        wait_for(lambda: len(city_tasks(city)) == 1)
        city.stop()
        wait_for(lambda: province.api("admin", "GET", "/exchange/status")["alarm"]["away"])
        sign_in(page, here, "sup")
        expect(page.locator("[data-exchange-away=haikou]")).to_contain_text("无法连接")
        shots(page, "province-board-city-away")
        _clean(page)
        context.close()
    finally:
        province.stop()
        city.stop()
