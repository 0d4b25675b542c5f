"""The applicant hears of a supplement request through the bell, reads it in the list,
opens the case from it; the list and its settings are clean for axe-core."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.axe import summary, violations
from tests.browser.conftest import Server, fill_surely, sign_in
from tests.browser.test_joint_case import _apply, _open_intake

pytestmark = pytest.mark.browser


@pytest.fixture
def two(browser: Browser) -> Iterator[tuple[BrowserContext, BrowserContext]]:
    made = [browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900},
                                bypass_csp=True)  # axe-core is injected as a script
            for _ in range(2)]
    yield made[0], made[1]
    for context in made:
        context.close()


def test_the_bell_and_the_list(server: Server, two: tuple[BrowserContext, BrowserContext],
                               shots: Callable[[Page, str], Path], tmp_path: Path) -> None:
    applicant, window = two[0].new_page(), two[1].new_page()
    sign_in(applicant, server, "applicant")
    sign_in(window, server, "window")
    expect(applicant.locator("a.bell")).to_have_text("通知")  # nothing yet
    _apply(applicant, server, tmp_path)
    _open_intake(window, server)
    window.check("#item-field-address")
    fill_surely(window, 'input[name="reason:field:address"]', "住所未写明房间号")
    window.check("#item-material-articles")
    fill_surely(window, 'input[name="reason:material:articles"]', "章程缺少全体股东签字")
    window.get_by_role("button", name="发出补正通知").click()
    expect(window.locator("#flash")).to_contain_text("补正 2 项")

    applicant.goto(server.url + "/my/cases")
    bell = applicant.locator("a.bell")
    expect(bell).to_contain_text("1 条未读")
    shots(applicant, "bell-with-one-unread")
    bell.click()
    expect(applicant.get_by_role("heading", name="我的通知", level=1)).to_be_visible()
    item = applicant.locator("li.notice-item.unread")
    expect(item).to_contain_text("请补正材料")
    expect(item).to_contain_text("公司章程（全体股东签署）：章程缺少全体股东签字")
    expect(item).to_contain_text("住所未写明房间号")
    shots(applicant, "notification-list")
    found = violations(applicant)
    assert found == [], summary(found)
    item.get_by_role("button", name="查看办件").click()
    expect(applicant).to_have_url(f"{server.url}/cases/" + applicant.url.rsplit("/", 1)[-1])
    expect(applicant.locator("a.bell")).to_have_text("通知")
    applicant.goto(server.url + "/me/notifications")
    expect(applicant.locator("li.notice-item.unread")).to_have_count(0)
    applicant.get_by_label("接收短信通知").uncheck()
    applicant.get_by_role("button", name="保存通知方式").click()
    expect(applicant.locator("#flash")).to_contain_text("通知方式已保存")
    expect(applicant.get_by_label("接收短信通知")).not_to_be_checked()
    expect(applicant.get_by_label("接收电子邮件通知")).to_be_checked()
    found = violations(applicant)
    assert found == [], summary(found)
