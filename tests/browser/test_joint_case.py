"""A whole joint case in four browsers at once: applicant, window, two departments.

The licence number typed once by the market regulator reaches every parallel
department; certificates are generated; one window hands everything over.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import Server, fill_surely, sign_in
from tests.runtime.web.samples import PDF, PNG

pytestmark = pytest.mark.browser
LICENSE_NO = "91530100MA6K2Y7X37"
STEP_FORMS = {
    "dept-psb": {"#f-step-seal_maker": "云川市安信印章有限公司", "#f-step-seal_count": "5"},
    "dept-tax": {"#f-step-tax_office": "云川市新城区税务局第一税务所"},
    "dept-hrss": {"#f-step-si_unit_no": "5301000012345"},
    "dept-hf": {"#f-step-hf_account_no": "530100123456"},
}


@pytest.fixture
def contexts(browser: Browser) -> Iterator[Callable[[], BrowserContext]]:
    made: list[BrowserContext] = []

    def new() -> BrowserContext:
        made.append(browser.new_context(locale="zh-CN",
                                        viewport={"width": 1280, "height": 900}))
        return made[-1]
    yield new
    for context in made:
        context.close()


def _apply(page: Page, server: Server, tmp_path: Path, *, premises: bool = True) -> None:
    """The applicant fills the form quickly and submits."""
    page.goto(server.url + "/apply/enterprise-establishment")
    for selector, value in {
            "#f-company_name": "云川市青禾农业科技有限公司",
            "#f-address": "云川市新城区锦程路18号2栋3单元1205室",
            "#f-registered_capital": "100", "#f-business_scope": "一般项目：技术服务。",
            "#f-legal_representative-name": "王小明",
            "#f-legal_representative-id_no": "110101199003071233",
            "#f-legal_representative-mobile": "13800138000",
            "#f-shareholders-0-name": "王小明",
            "#f-shareholders-0-id_no": "110101199003071233",
            "#f-shareholders-0-subscribed_capital": "100",
            "#f-shareholders-0-contribution_deadline": "2030-12-31"}.items():
        page.fill(selector, value)
    page.select_option("#f-legal_representative-position", "经理")
    page.select_option("#f-shareholders-0-kind", "自然人")
    page.locator('input[name="needs_invoice"][value="false"]').check()
    page.locator('input[name="bank_appointment"][value="false"]').check()
    # the answers above re-render conditional parts of the form (htmx): let those swaps
    # land before choosing files, or a late swap replaces the file inputs
    page.wait_for_load_state("networkidle")
    pdf, png = tmp_path / "a.pdf", tmp_path / "id.png"
    pdf.write_bytes(PDF)
    png.write_bytes(PNG)
    for material in ("articles", "shareholder-id", "officers-appointment",
                     *(("premises",) if premises else ())):
        page.set_input_files(f"#f-material-{material}", str(pdf))
    page.set_input_files("#f-material-legal-rep-id", str(png))
    page.wait_for_load_state("networkidle")  # on a busy machine a swap may still be due
    page.get_by_role("button", name="下一步：核对信息").click()
    page.check("#declare")
    page.get_by_role("button", name="确认提交").click()
    expect(page.locator("main")).to_contain_text("已提交待受理")


def _open_intake(page: Page, server: Server) -> None:
    page.goto(server.url + "/window")
    page.locator('table a[href^="/window/cases/"]').first.click()
    page.wait_for_load_state("load")  # the material previews too, before typing


def _work(page: Page, server: Server, department: str, *, approve: dict[str, str],
          check_license: bool = True) -> None:
    page.goto(server.url + "/tasks")
    page.locator('#task-rows a[href^="/tasks/"]').first.click()
    if check_license:
        expect(page.locator("main")).to_contain_text(LICENSE_NO)
    page.get_by_role("button", name="签收").click()
    for selector, value in approve.items():
        page.fill(selector, value)
    page.fill("#approve-opinion", "同意")
    page.get_by_role("button", name="审批通过").click()
    expect(page.locator("#flash")).to_contain_text("已审批通过")


def test_joint_case_with_four_browsers(server: Server, contexts: Callable[[], BrowserContext],
                                       shots: Callable[[Page, str], Path],
                                       tmp_path: Path) -> None:
    applicant, window, amr, other = (contexts().new_page() for _ in range(4))
    sign_in(applicant, server, "applicant")
    sign_in(window, server, "window")
    sign_in(amr, server, "dept-amr")
    sign_in(other, server, "dept-psb")
    _apply(applicant, server, tmp_path, premises=False)
    shots(applicant, "applicant-submitted")

    _open_intake(window, server)
    expect(window.locator("main")).to_contain_text("云川市青禾农业科技有限公司")
    window.check("#defer-premises")
    shots(window, "window-intake")
    window.get_by_role("button", name="受理并分送各部门").click()
    expect(window.locator("#flash")).to_contain_text("已受理，受理编号 ZW")
    number = window.locator("dl.facts dd").nth(1).inner_text()
    window.goto(window.url.split("?")[0].replace("/window/cases/", "/cases/") + "/receipt")
    expect(window.locator("section.receipt")).to_have_count(2)
    shots(window, "receipt")

    # the licence first; the seal waits for it: the list opens on what is coming
    other.goto(server.url + "/tasks")
    expect(other.locator('nav.tabs a[aria-current="page"]')).to_contain_text("等待前置环节")
    other.goto(server.url + "/tasks?view=ready")
    expect(other.locator("#task-rows")).to_contain_text("暂无任务")
    amr.goto(server.url + "/tasks")
    shots(amr, "amr-task-list")
    _work(amr, server, "dept-amr", check_license=False, approve={
        "#f-step-license_no": LICENSE_NO, "#f-step-established_on": "2026-11-30"})

    # the seal task appears in the police department's list without a reload (htmx poll)
    expect(other.locator("#task-rows")).to_contain_text(number, timeout=30_000)
    other.locator('#task-rows a[href^="/tasks/"]').first.click()
    expect(other.locator(".output").first).to_contain_text(LICENSE_NO)
    shots(other, "psb-task-with-licence-number")
    other.go_back()
    for department in ("dept-psb", "dept-tax", "dept-hrss", "dept-hf"):
        if department != "dept-psb":
            other.get_by_role("button", name="退出").click()
            sign_in(other, server, department)
        _work(other, server, department, approve=STEP_FORMS[department])
    shots(other, "last-department-done")

    # the applicant is told online what is still owed (容缺) and uploads it there
    applicant.goto(server.url + "/my/cases")
    applicant.get_by_role("link", name="补交材料").first.click()
    expect(applicant.locator("main")).to_contain_text("审批通过")
    expect(applicant.locator("main")).to_contain_text(LICENSE_NO)
    owed = applicant.locator("#owed-h + ul")
    expect(owed).to_contain_text("住所（经营场所）使用证明")
    shots(applicant, "applicant-progress-owes-a-material")

    window.goto(server.url + "/window?queue=outcome")
    window.locator('table a[href^="/window/cases/"]').first.click()
    window.get_by_role("link", name="查看并打印证照").click()
    expect(window.locator(".certificate").first).to_contain_text(LICENSE_NO)
    shots(window, "certificates")
    window.go_back()
    window.reload()
    expect(window.locator("#out-h + p + p")).to_contain_text("容缺受理的材料尚未补齐")
    expect(window.get_by_role("button", name="确认已向申请人出件")).to_have_count(0)
    applicant.set_input_files("#owed-premises", str(tmp_path / "a.pdf"))
    applicant.get_by_role("button", name="补交材料").click()
    expect(applicant.locator("#flash")).to_contain_text("容缺材料已补交")
    window.reload()
    window.get_by_role("button", name="确认已向申请人出件").click()
    expect(window.locator("main")).to_contain_text("已办结")
    shots(window, "delivered")


def test_supplement_in_the_browser(server: Server, contexts: Callable[[], BrowserContext],
                                   shots: Callable[[Page, str], Path], tmp_path: Path) -> None:
    applicant, window = contexts().new_page(), contexts().new_page()
    sign_in(applicant, server, "applicant")
    sign_in(window, server, "window")
    _apply(applicant, server, tmp_path)
    _open_intake(window, server)
    window.check("#item-field-address")
    fill_surely(window, 'input[name="reason:field:address"]', "住所未写明房间号")
    window.check("#item-material-articles")
    fill_surely(window, 'input[name="reason:material:articles"]', "章程缺少全体股东签字")
    window.get_by_role("button", name="发出补正通知").click()
    expect(window.locator("#flash")).to_contain_text("补正 2 项")
    shots(window, "supplement-sent")
    applicant.goto(server.url + "/my/cases")
    applicant.get_by_role("link", name="补正材料").click()
    expect(applicant.locator("main")).to_contain_text("住所未写明房间号")
    applicant.fill("#f-address", "云川市新城区锦程路18号2栋3单元1205室（整层）")
    applicant.set_input_files("#f-material-articles", str(tmp_path / "a.pdf"))
    shots(applicant, "supplement-answer")
    applicant.get_by_role("button", name="提交补正").click()
    expect(applicant.locator("#flash")).to_contain_text("补正材料已提交")


def test_rejection_in_the_browser(server: Server, contexts: Callable[[], BrowserContext],
                                  shots: Callable[[Page, str], Path], tmp_path: Path) -> None:
    applicant, window, amr = (contexts().new_page() for _ in range(3))
    sign_in(applicant, server, "applicant")
    sign_in(window, server, "window")
    sign_in(amr, server, "dept-amr")
    _apply(applicant, server, tmp_path)
    _open_intake(window, server)
    window.get_by_role("button", name="受理并分送各部门").click()
    amr.goto(server.url + "/tasks")
    amr.locator('#task-rows a[href^="/tasks/"]').first.click()
    amr.get_by_role("button", name="签收").click()
    amr.fill("#reject-reason", "企业名称与已登记企业名称相同")
    amr.get_by_role("button", name="不予许可").click()
    expect(amr.locator("#flash")).to_contain_text("不予许可")
    applicant.goto(server.url + "/my/cases")
    applicant.get_by_role("link", name="查看进度").first.click()
    expect(applicant.locator("main")).to_contain_text("不予许可")
    expect(applicant.locator("main")).to_contain_text("企业名称与已登记企业名称相同")
    shots(applicant, "rejected")


def test_joint_case_on_postgres_with_two_server_processes(
        server_on_postgres: Server, contexts: Callable[[], BrowserContext],
        shots: Callable[[Page, str], Path], tmp_path: Path) -> None:
    """The same four browsers against `serve --database URL --workers 2`: each request
    may land on either process (sessions, CSRF, files and cases are in the database)."""
    test_joint_case_with_four_browsers(server_on_postgres, contexts, shots, tmp_path)
