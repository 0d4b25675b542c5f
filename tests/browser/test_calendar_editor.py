"""The administrator edits the working calendar in the browser: a year is added (from
the built-in calendar), a holiday added and removed, a bad date refused in Chinese;
the page is clean for axe-core."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.axe import summary, violations
from tests.browser.conftest import Server, sign_in

pytestmark = pytest.mark.browser


def test_the_calendar_editor(server: Server, browser: Browser,
                             shots: Callable[[Page, str], Path]) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900},
                                  bypass_csp=True)  # axe-core is injected as a script
    try:
        _edit(server, context.new_page(), shots)
    finally:
        context.close()


def _edit(server: Server, page: Page, shots: Callable[[Page, str], Path]) -> None:
    sign_in(page, server, "admin")
    page.goto(server.url + "/admin")
    page.get_by_role("link", name="工作日历").click()
    expect(page.get_by_role("heading", name="工作日历", level=1)).to_be_visible()
    expect(page.locator("section[data-year='2027'] h2")).to_contain_text("通知未发布")
    page.fill("#new-year", "2026")
    page.get_by_role("button", name="新增", exact=True).click()
    expect(page.locator("#flash")).to_contain_text("已新增 2026 年")
    year = page.locator("section[data-year='2026']")
    expect(year).to_contain_text("国庆节")
    expect(year.locator("h2")).to_contain_text("已发布")

    year.get_by_label("日期").fill("2026-12-01")
    year.get_by_label("名称（如 春节、春节调休）").fill("临时假日")
    year.get_by_role("button", name="添加").click()
    expect(page.locator("#flash")).to_contain_text("已添加 2026-12-01")
    expect(year.locator("tr", has_text="2026-12-01")).to_contain_text("临时假日")
    shots(page, "calendar-editor")
    found = violations(page)
    assert found == [], summary(found)

    year.get_by_label("日期").fill("2026-12-01")  # listed already: refused, in Chinese
    year.get_by_role("button", name="添加").click()
    expect(year.get_by_role("alert")).to_contain_text("2026-12-01 已列为节假日或调休上班日")
    shots(page, "calendar-editor-refused")
    found = violations(page)
    assert found == [], summary(found)
    year.locator("tr", has_text="2026-12-01").get_by_role("button", name="删除").click()
    expect(page.locator("#flash")).to_contain_text("已删除 2026-12-01")
    expect(year.locator("tr", has_text="2026-12-01")).to_have_count(0)
