"""免提交 in a real browser: the licence enterprise-establishment issued is taken from the
certificate register (证照库) by the company's government investment project: no upload,
the unit's name locked, and the applicant, window and department see where it came from."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.axe import assert_clean
from tests.browser.conftest import Server, sign_in
from tests.browser.test_joint_case import LICENSE_NO, _apply, _open_intake, _work

pytestmark = pytest.mark.browser
COMPANY = "云川市青禾农业科技有限公司"




def _project(page: Page, server: Server, tmp_path: Path) -> None:
    page.goto(server.url + "/apply/government-investment-project")
    for selector, value in {
            "#f-project_name": "青禾农业科技研发楼新建工程",
            "#f-project_code": "2026-511002-47-01-003215",
            "#f-construction_unit-name": "随手写的名称",
            "#f-construction_unit-credit_code": LICENSE_NO,
            "#f-construction_unit-contact": "刘洋",
            "#f-construction_unit-mobile": "13900001111",
            "#f-location": "云川市新城区锦程路以南、学府路以东",
            "#f-land_area": "3200", "#f-floor_area": "3600", "#f-underground_area": "0",
            "#f-total_investment": "1800"}.items():
        page.fill(selector, value)
    page.select_option("#f-project_type", "其他公共建筑")
    page.select_option("#f-funding_source", "财政预算资金")
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("#flash")).to_contain_text("草稿已保存")


def test_a_second_matter_takes_the_licence_from_the_register(
        server: Server, contexts: Callable[[], BrowserContext],
        shots: Callable[[Page, str], Path], tmp_path: Path) -> None:
    applicant, window, amr = (contexts().new_page() for _ in range(3))
    sign_in(applicant, server, "applicant")
    sign_in(window, server, "window")
    sign_in(amr, server, "dept-amr")
    _apply(applicant, server, tmp_path)
    _open_intake(window, server)
    window.get_by_role("button", name="受理并分送各部门").click()
    expect(window.locator("#flash")).to_contain_text("已受理，受理编号 ZW")
    first = window.locator("dl.facts dd").nth(1).inner_text()
    _work(amr, server, "dept-amr", check_license=False, approve={
        "#f-step-license_no": LICENSE_NO, "#f-step-established_on": "2026-11-30"})

    # the second matter: the saved draft shows the licence as 免提交, the name locked
    _project(applicant, server, tmp_path)
    licence = applicant.locator('[data-material="unit-licence"]')
    expect(licence).to_contain_text("免提交")
    expect(licence).to_contain_text(first)
    expect(applicant.locator("#f-material-unit-licence")).to_have_count(0)
    name = applicant.locator("#f-construction_unit-name")
    expect(name).to_have_value(COMPANY)
    expect(name).to_have_attribute("readonly", "")
    shots(applicant, "form-with-licence-from-register")
    assert_clean(applicant)

    pdf = tmp_path / "a.pdf"
    for control in applicant.locator('input[type="file"][name^="material:"]').all():
        control.set_input_files(str(pdf))
    applicant.wait_for_load_state("networkidle")
    applicant.get_by_role("button", name="下一步：核对信息").click()
    expect(applicant.locator("main")).to_contain_text("免提交")
    applicant.check("#declare")
    applicant.get_by_role("button", name="确认提交").click()
    expect(applicant.locator("main")).to_contain_text("已提交待受理")
    section = applicant.locator("section.from-register")
    expect(section).to_contain_text("建设单位营业执照")
    expect(section).to_contain_text("免提交")
    expect(section.get_by_role("link", name=first).first).to_be_visible()
    expect(applicant.locator("main")).to_contain_text(COMPANY)
    shots(applicant, "applicant-case-free-of-upload")
    assert_clean(applicant)
    section.get_by_role("link", name=first).first.click()  # the issuing case, their own
    expect(applicant.locator("main")).to_contain_text(LICENSE_NO)

    # the window accepts without the upload; the department sees the source too
    window.goto(server.url + "/window")
    window.locator('table a[href^="/window/cases/"]').first.click()
    expect(window.locator("section.from-register")).to_contain_text(first)
    shots(window, "window-intake-free-of-upload")
    window.get_by_role("button", name="受理并分送各部门").click()
    shots(window, "window-accepted")
    expect(window.locator("#flash")).to_contain_text("已受理")
    amr.get_by_role("button", name="退出").click()
    sign_in(amr, server, "dept-drc")
    amr.goto(server.url + "/tasks?view=ready")
    amr.locator('#task-rows a[href^="/tasks/"]').first.click()
    expect(amr.locator("section.from-register")).to_contain_text("免提交")
    expect(amr.locator("section.from-register")).to_contain_text(first)
    shots(amr, "department-task-free-of-upload")
    assert_clean(amr)
