"""The window's rating device (一次一评) in a real browser: the window opens it for a
delivered case, the applicant presses one of five large buttons on the device without
signing in; the page is clean for axe-core, and a second rating is refused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.axe import summary, violations
from tests.browser.conftest import Server, sign_in
from tests.browser.test_accountability import history_server  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser
CASE = "c_000000000001"  # a delivered copy (every fifth case of the history still runs)


def _clean(page: Page) -> None:
    found = violations(page)
    assert not found, summary(found)


def test_rating_at_the_window_device(history_server: Server,  # noqa: F811
                                     browser: Browser,
                                     shots: Callable[[Page, str], Path]) -> None:
    server = history_server
    window = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900},
                                 bypass_csp=True)
    page = window.new_page()
    sign_in(page, server, "window")
    page.goto(server.url + f"/window/cases/{CASE}")
    expect(page.get_by_role("heading", name="现场评价（一次一评）")).to_be_visible()
    shots(page, "window-case-rating-device")
    _clean(page)
    page.get_by_role("button", name="打开评价器").click()
    expect(page.get_by_role("heading", name="请您对本次服务进行评价")).to_be_visible()
    device_url = page.url
    window.close()

    # The device: a tablet, nobody signed in.
    device = browser.new_context(locale="zh-CN", viewport={"width": 800, "height": 1280},
                                 bypass_csp=True)
    tablet = device.new_page()
    tablet.goto(device_url)
    buttons = tablet.locator("button.rate-level")
    expect(buttons).to_have_count(5)
    expect(buttons.first).to_have_text("非常满意")
    _clean(tablet)
    shots(tablet, "rating-device")
    tablet.get_by_text("分项评价和意见（选填）").click()
    tablet.select_option("#dim-attitude", "5")
    tablet.fill("#rate-comment", "窗口一次讲清楚了")
    _clean(tablet)
    tablet.get_by_role("button", name="非常满意").click()
    expect(tablet.get_by_role("status")).to_contain_text("感谢您的评价")
    shots(tablet, "rating-device-thanks")
    _clean(tablet)
    tablet.goto(device_url)  # used up
    expect(tablet.get_by_role("alert")).to_contain_text("已使用或已失效")
    device.close()


def test_closing_a_complaint_with_a_verdict(server: Server, browser: Browser,
                                            shots: Callable[[Page, str], Path]) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900},
                                  bypass_csp=True)
    page = context.new_page()
    sign_in(page, server, "applicant")
    page.goto(server.url + "/complaints")
    page.fill("#c-text", "窗口告知不清，跑了两次")
    page.select_option("#c-dept", "amr")
    page.get_by_role("button", name="提交投诉").click()
    context.clear_cookies()
    sign_in(page, server, "supervisor")
    page.goto(server.url + "/complaints")
    page.get_by_role("button", name="分派").click()
    page.get_by_role("button", name="办结").wait_for()
    expect(page.get_by_role("group", name="核查结论")).to_be_visible()
    shots(page, "complaint-close-with-verdict")
    _clean(page)
    page.locator("textarea[name=text]").fill("经核查属实，已责成整改")
    page.get_by_label("投诉属实", exact=True).check()
    page.get_by_role("button", name="办结").click()
    expect(page.locator("tbody")).to_contain_text("（投诉属实）")
    shots(page, "complaint-closed")
    _clean(page)
    context.close()
