"""The administrator adds a department officer; the officer's first sign-in forces a new
password, then shows their task list; deactivation ends the officer's open session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import Server, sign_in

pytestmark = pytest.mark.browser
NEW_PASSWORD = "Wang-Fang-Amr-2026"


@pytest.fixture
def two(browser: Browser) -> Iterator[tuple[BrowserContext, BrowserContext]]:
    made = [browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
            for _ in range(2)]
    yield made[0], made[1]
    for context in made:
        context.close()


def test_officer_from_creation_to_deactivation(
        server: Server, two: tuple[BrowserContext, BrowserContext],
        shots: Callable[[Page, str], Path]) -> None:
    admin, officer = two[0].new_page(), two[1].new_page()
    sign_in(admin, server, "admin")
    admin.get_by_role("link", name="用户管理").first.click()
    expect(admin.get_by_role("heading", name="用户管理", level=1)).to_be_visible()
    row = admin.locator('tr[data-user="dept-amr"]')
    expect(row).to_contain_text("部门审批人员")
    expect(row).to_contain_text("市场监督管理局")
    admin.fill("#new-name", "amr-wangfang")
    admin.fill("#new-display_name", "王芳")
    admin.select_option("#new-role", label="部门审批人员")
    admin.select_option("#new-department", label="市场监督管理局")
    shots(admin, "admin-adds-officer")
    admin.get_by_role("button", name="新增用户").click()
    expect(admin.get_by_role("heading", name="已新增用户")).to_be_visible()
    one_time = admin.locator("code[data-password]").inner_text().strip()
    assert len(one_time) == 12
    shots(admin, "one-time-password")

    server.passwords["amr-wangfang"] = one_time
    sign_in(officer, server, "amr-wangfang")
    expect(officer).to_have_url(server.url + "/account/password")
    expect(officer.get_by_text("一次性密码", exact=False).first).to_be_visible()
    officer.goto(server.url + "/tasks")  # nothing else until the password is changed
    expect(officer).to_have_url(server.url + "/account/password")
    officer.fill("#old", one_time)
    officer.fill("#new", "12345678")
    officer.fill("#new2", "12345678")
    officer.get_by_role("button", name="修改密码").click()
    expect(officer.locator(".error-summary")).to_contain_text("连续的数字")
    shots(officer, "weak-password-refused")
    officer.fill("#old", one_time)
    officer.fill("#new", NEW_PASSWORD)
    officer.fill("#new2", NEW_PASSWORD)
    officer.get_by_role("button", name="修改密码").click()
    expect(officer).to_have_url(server.url + "/tasks")
    expect(officer.locator("#flash")).to_contain_text("密码已修改")
    expect(officer.locator(".who")).to_contain_text("王芳")
    shots(officer, "officer-task-list")

    admin.goto(server.url + "/admin/users")
    admin.locator('tr[data-user="amr-wangfang"]').get_by_role("link").click()
    expect(admin.get_by_role("heading", name="用户：王芳")).to_be_visible()
    admin.get_by_role("button", name="停用该用户").click()
    expect(admin.locator("#flash")).to_contain_text("已停用该用户")
    shots(admin, "officer-deactivated")

    officer.reload()
    expect(officer).to_have_url(server.url + "/login?next=/tasks")
    officer.fill("#name", "amr-wangfang")
    officer.fill("#password", NEW_PASSWORD)
    officer.click("button[type=submit]")
    expect(officer.locator(".error-summary")).to_contain_text("用户名或密码不正确")
    shots(officer, "officer-refused")
