"""Low-code in a real browser: an administrator builds a three-department matter with a
conditional step and a staged start in the guided editor, publishes it, people use it,
and version 2 leaves the running case on version 1."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Server, sign_in

pytestmark = pytest.mark.browser


def _guided_submit(page: Page, scope: str, button: str) -> None:
    # The previous edit's message is still on the page: drop it, so the wait below ends
    # only once this edit's response has been swapped in.
    page.evaluate("document.getElementById('editor-message')?.remove()")
    page.locator(scope).get_by_role("button", name=button).click()
    expect(page.locator("#editor-message")).to_contain_text("已保存草稿")


def _add_step(page: Page, step_id: str, name: str, department: str, days: str, *,
              needs: tuple[str, ...] = (), staged: tuple[str, ...] = (),
              when: tuple[str, str, str] | None = None, reads: tuple[str, ...] = ()) -> None:
    page.locator("#add-step > summary").click()
    form = page.locator("#add-step form")
    form.locator("#new-step-id").fill(step_id)
    form.locator("#sn-new").fill(name)
    form.locator(f"#sd-new-{department}").check()
    form.locator("#sdays-new").fill(days)
    for need in needs:
        form.locator(f"#sneed-new-{need}").check()
    for need in staged:
        form.locator(f"#sstaged-new-{need}").check()
    if when:
        form.locator('select[name="when_field"]').select_option(when[0])
        form.locator('select[name="when_op"]').select_option(when[1])
        form.locator('input[name="when_value"]').fill(when[2])
    for ref in reads:
        form.locator(f'input[name="reads"][value="{ref}"]').check()
    _guided_submit(page, "#add-step", "新增环节")


def _apply(page: Page, server: Server, name: str, fire: bool) -> None:
    page.goto(server.url + "/apply/food-shop")
    page.fill("#f-applicant_name", name)
    page.fill("#f-seats", "40")
    page.locator("#f-needs_fire").set_checked(fire)
    page.get_by_role("button", name="下一步：核对信息").click()
    page.check("#declare")
    page.get_by_role("button", name="确认提交").click()
    expect(page.locator("#flash")).to_contain_text("申请已提交")


def _accept_first(page: Page, server: Server) -> None:
    page.goto(server.url + "/window")
    page.locator('table a[href^="/window/cases/"]').first.click()
    page.get_by_role("button", name="受理并分送各部门").click()
    expect(page.locator("#flash")).to_contain_text("已受理")


def _open_task(page: Page, server: Server) -> None:
    page.goto(server.url + "/tasks?view=ready")
    page.locator('#task-rows a[href^="/tasks/"]').first.click()
    page.get_by_role("button", name="签收").click()


def _approve(page: Page, values: dict[str, str] | None = None) -> None:
    for selector, value in (values or {}).items():
        page.fill(selector, value)
    page.get_by_role("button", name="审批通过").click()
    expect(page.locator("#flash")).to_contain_text("已审批通过")


def test_admin_builds_publishes_and_versions_a_matter(
        server: Server, browser: Browser, shots: Callable[[Page, str], Path]) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    admin, applicant, window, amr, other = (context.browser.new_context(  # type: ignore[union-attr]
        locale="zh-CN", viewport={"width": 1400, "height": 1000}).new_page() for _ in range(5))
    context.close()
    sign_in(admin, server, "admin")
    began = time.monotonic()
    admin.goto(server.url + "/admin")
    admin.fill("#new-matter", "food-shop")
    admin.fill("#new-name", "小餐饮店开办")
    admin.select_option("#new-lead", "amr")
    admin.get_by_role("button", name="新建").click()
    expect(admin.locator("#guided")).to_be_visible()
    shots(admin, "01-new-draft")

    admin.fill("#g-time", "5")
    admin.fill("#g-stat", "20")
    admin.fill("#g-notice", "请准备营业执照、场所证明和餐位平面图。")
    _guided_submit(admin, "#guided details:first-of-type form", "保存基本信息")

    admin.locator("#add-field > summary").click()
    form = admin.locator("#add-field form")
    form.locator("#new-field-name").fill("seats")
    form.locator("#ft-new").select_option("integer")
    form.locator("#fl-new").fill("餐位数")
    form.locator("#fr-new").check()
    form.locator("#fmin-new").fill("0")
    _guided_submit(admin, "#add-field", "新增字段")
    admin.locator("#add-field > summary").click()
    form = admin.locator("#add-field form")
    form.locator("#new-field-name").fill("needs_fire")
    form.locator("#ft-new").select_option("boolean")
    form.locator("#fl-new").fill("需要消防检查")
    form.locator("#fr-new").check()
    _guided_submit(admin, "#add-field", "新增字段")
    expect(admin.locator("#preview-body")).to_contain_text("餐位数")  # preview follows

    # the first step gives a preliminary opinion and publishes the permit number
    admin.locator('details[data-step="review"] > summary').click()
    step = admin.locator('details[data-step="review"] form').first
    step.locator("#sn-review").fill("食品经营许可")
    step.locator("#sp-review").fill("0.5")
    step.locator("#so-review").fill("permit_no|食品经营许可证编号|")
    _guided_submit(admin, 'details[data-step="review"] form >> nth=0', "保存环节")

    _add_step(admin, "fire", "消防安全检查", "fire", "2", needs=("review",),
              staged=("review",), when=("needs_fire", "equals", "true"))
    _add_step(admin, "tax", "税务登记", "tax", "1", needs=("review",),
              reads=("review.permit_no",))
    expect(admin.locator("#live")).to_contain_text("没有发现问题")
    expect(admin.locator("#live svg")).to_contain_text("消防安全检查")
    expect(admin.locator("#live .plan-summary")).to_contain_text("并联办理")
    shots(admin, "02-guided-editor-with-plan")
    admin.get_by_role("button", name="发布新版本").click()
    expect(admin.locator("#flash")).to_contain_text("已发布第 1 版")
    setup_seconds = time.monotonic() - began
    shots(admin, "03-published")
    print(f"\nbuilder UI: the new matter took {setup_seconds:.1f} s to set up and publish")

    sign_in(applicant, server, "applicant")
    sign_in(window, server, "window")
    sign_in(amr, server, "dept-amr")
    _apply(applicant, server, "云川青禾小厨", fire=True)
    _accept_first(window, server)

    # staged start: the fire check starts on the licence's preliminary opinion
    _open_task(amr, server)
    amr.fill("#pre-opinion", "材料齐全，同意进入现场核查")
    amr.get_by_role("button", name="提交初审意见").click()
    expect(amr.locator("#flash")).to_contain_text("初审意见已提交")
    sign_in(other, server, "dept-fire")
    other.goto(server.url + "/tasks?view=ready")
    expect(other.locator("#task-rows")).to_contain_text("消防安全检查")
    shots(other, "04-fire-task-on-preliminary")

    # version 2 adds a step; the running case stays on version 1
    admin.goto(server.url + "/admin/matters/food-shop/edit")
    _add_step(admin, "bank", "银行开户预约", "bank", "1", needs=("review",))
    admin.get_by_role("button", name="发布新版本").click()
    expect(admin.locator("#flash")).to_contain_text("已发布第 2 版")
    admin.goto(server.url + "/admin/matters/food-shop/versions?old=1&new=2")
    expect(admin.locator("table.diff")).to_contain_text("银行开户预约")
    shots(admin, "05-version-diff")

    amr.reload()
    _approve(amr, {"#f-step-permit_no": "JY15301020000001"})
    _open_task(other, server)
    _approve(other)
    other.get_by_role("button", name="退出").click()
    sign_in(other, server, "dept-tax")
    _open_task(other, server)
    expect(other.locator("main")).to_contain_text("JY15301020000001")  # read from upstream
    _approve(other)
    applicant.goto(server.url + "/my/cases")
    applicant.get_by_role("link", name="查看进度").first.click()
    expect(applicant.locator("main")).to_contain_text("审批通过")
    expect(applicant.locator("main")).not_to_contain_text("银行开户预约")  # still version 1
    shots(applicant, "06-case-done-on-v1")

    _apply(applicant, server, "云川青禾二店", fire=False)
    _accept_first(window, server)
    applicant.goto(server.url + "/my/cases")
    applicant.get_by_role("link", name="查看进度").first.click()
    expect(applicant.locator("main")).to_contain_text("银行开户预约")  # version 2
    shots(applicant, "07-new-case-on-v2")
