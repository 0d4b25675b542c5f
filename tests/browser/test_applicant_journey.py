"""An applicant's whole first visit, in a real browser against a real server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Server
from tests.runtime.web.samples import PDF, PNG

pytestmark = pytest.mark.browser


def _file(tmp_path: Path, name: str, content: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def test_register_apply_save_resume_check_and_submit(
        server: Server, browser: Browser, shots: Callable[[Page, str], Path],
        tmp_path: Path) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(server.url + "/")
    expect(page.get_by_role("heading", name="办事指南")).to_be_visible()
    shots(page, "home")

    page.get_by_role("link", name="注册").click()
    page.fill("#name", "qinghe")
    page.fill("#display_name", "王小明")
    page.fill("#phone", "13800138000")
    page.fill("#password", "qinghe-secret-1")
    page.fill("#password2", "qinghe-secret-1")
    shots(page, "register")
    page.get_by_role("button", name="注册并登录").click()
    expect(page.get_by_role("heading", name="我的办件")).to_be_visible()

    page.goto(server.url + "/matters/enterprise-establishment")
    expect(page.get_by_role("heading", name="一次性告知")).to_be_visible()
    expect(page.locator("figure.plan svg")).to_be_visible()
    shots(page, "notice")
    page.get_by_role("link", name="我已阅读，开始申请").click()

    page.fill("#f-company_name", "云川市青禾农业科技有限公司")
    page.fill("#f-address", "云川市新城区锦程路18号2栋3单元1205室")
    page.fill("#f-registered_capital", "100")
    page.fill("#f-business_scope", "一般项目：技术服务、技术开发。")
    # the conditional field appears live when its condition becomes true
    expect(page.locator('[data-field="pre_approval_name"]')).to_be_hidden()
    page.locator('input[name="has_pre_approval"][value="true"]').check()
    expect(page.locator('[data-field="pre_approval_name"]')).to_be_visible()
    page.fill("#f-pre_approval_name", "食品经营许可证 JY15301000000001")
    page.fill("#f-legal_representative-name", "王小明")
    page.select_option("#f-legal_representative-position", "经理")
    page.fill("#f-legal_representative-id_no", "110101199003071233")
    page.fill("#f-legal_representative-mobile", "13800138000")
    page.fill("#f-shareholders-0-name", "王小明")
    page.locator('input[name="shareholders.0.kind"][value="自然人"]').check() \
        if page.locator('input[name="shareholders.0.kind"]').count() else \
        page.select_option("#f-shareholders-0-kind", "自然人")
    page.fill("#f-shareholders-0-id_no", "110101199003071233")
    page.fill("#f-shareholders-0-subscribed_capital", "60")
    page.fill("#f-shareholders-0-contribution_deadline", "2030-12-31")
    # a second shareholder through the repeatable section
    page.get_by_role("button", name="添加股东").click()
    expect(page.locator("#f-shareholders-1-name")).to_be_visible()
    page.fill("#f-shareholders-1-name", "云川青禾投资有限公司")
    kind = page.locator('[name="shareholders.1.kind"]').first
    if kind.get_attribute("type") == "radio":
        page.locator('input[name="shareholders.1.kind"][value="企业法人"]').check()
    else:
        page.select_option("#f-shareholders-1-kind", "企业法人")
    page.fill("#f-shareholders-1-id_no", "91530100MA6K000000")
    page.fill("#f-shareholders-1-subscribed_capital", "40")
    page.fill("#f-shareholders-1-contribution_deadline", "2030-12-31")
    page.locator('input[name="needs_invoice"][value="false"]').check()
    page.locator('input[name="bank_appointment"][value="false"]').check()
    page.wait_for_load_state("networkidle")  # the live swaps land before files are chosen
    page.set_input_files("#f-material-articles", _file(tmp_path, "公司章程.pdf", PDF))
    page.set_input_files("#f-material-legal-rep-id", _file(tmp_path, "身份证.png", PNG))
    shots(page, "form-filled")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("#flash")).to_contain_text("草稿已保存")
    expect(page.locator("#f-shareholders-1-name")).to_have_value("云川青禾投资有限公司")
    shots(page, "draft-saved")

    # sign out and back in: the draft is still there
    page.get_by_role("button", name="退出").click()
    page.goto(server.url + "/login")
    page.fill("#name", "qinghe")
    page.fill("#password", "qinghe-secret-1")
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="继续填写").click()
    expect(page.locator("#f-company_name")).to_have_value("云川市青禾农业科技有限公司")
    expect(page.locator('[data-material="articles"]')).to_contain_text("公司章程.pdf")

    # check answers before the remaining materials: every missing one is listed
    page.get_by_role("button", name="下一步：核对信息").click()
    expect(page.locator(".error-summary")).to_be_visible()
    shots(page, "errors")
    page.set_input_files("#f-material-shareholder-id", _file(tmp_path, "股东证件.pdf", PDF))
    page.set_input_files("#f-material-officers-appointment", _file(tmp_path, "任职.pdf", PDF))
    page.set_input_files("#f-material-premises", _file(tmp_path, "住所.pdf", PDF))
    page.set_input_files("#f-material-pre-approval", _file(tmp_path, "前置许可.pdf", PDF))
    page.get_by_role("button", name="下一步：核对信息").click()
    expect(page.get_by_role("heading", name="核对申请信息")).to_be_visible()
    expect(page.locator("main")).to_contain_text("云川青禾投资有限公司")
    shots(page, "check-answers")
    page.get_by_role("button", name="确认提交").click()
    expect(page.locator(".field-error")).to_contain_text("请确认承诺声明")
    page.check("#declare")
    page.get_by_role("button", name="确认提交").click()
    expect(page.locator("#flash")).to_contain_text("申请已提交")
    expect(page.locator("main")).to_contain_text("已提交待受理")
    shots(page, "submitted")
    context.close()
