"""Low-code in a real browser: an administrator builds a three-department matter with a
conditional step and a staged start in the guided editor, publishes it, people use it,
and version 2 leaves the running case on version 1."""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.bpmn.node import cache_dir
from tests.browser.conftest import ROOT, Server, sign_in

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


AXE = "axe-core"
AXE_VERSION = "4.14.1"


def _axe_script() -> Path:
    """The pinned axe-core, installed with npm into the test cache (as bpmn-js is)."""
    folder = cache_dir() / f"{AXE}-{AXE_VERSION}"
    script = folder / "node_modules" / AXE / "axe.min.js"
    if script.is_file():
        return script
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(f"npm is not installed: cannot install the npm package "
                           f"{AXE}@{AXE_VERSION} (apt-get install -y npm)")
    folder.mkdir(parents=True, exist_ok=True)
    with (folder.parent / f"{folder.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not script.is_file():
            subprocess.run([npm, "install", "--prefix", str(folder), "--no-audit", "--no-fund",
                            "--no-save", "--loglevel=error", f"{AXE}@{AXE_VERSION}"],
                           capture_output=True, text=True, timeout=600, check=False)
    if not script.is_file():
        raise RuntimeError(f"npm could not install {AXE}@{AXE_VERSION} into {folder}")
    return script


def _axe_violations(page: Page) -> list[str]:
    # evaluated through the DevTools protocol: the page's CSP (script-src 'self') stays on
    page.evaluate(_axe_script().read_text("utf-8") + "\n;0")
    found = page.evaluate("""async () => {
      const result = await axe.run(document, {
        resultTypes: ["violations"], rules: {"empty-table-header": {enabled: true}}});
      return result.violations.map(v => v.id + ": " + v.help + " (" + v.nodes.length + ")");
    }""")
    return list(found)


def _line_in_view(page: Page, line: int) -> bool:
    """True when YAML line ``line`` lies inside the visible part of the text box, the box
    lies inside the window, and the box has the focus with that line selected."""
    return bool(page.evaluate("""(line) => {
      const area = document.getElementById("yaml-text");
      const style = getComputedStyle(area);
      const height = parseFloat(style.lineHeight);
      const top = (line - 1) * height + parseFloat(style.paddingTop);
      const box = area.getBoundingClientRect();
      const before = area.value.split("\\n").slice(0, line - 1).join("\\n").length;
      return document.activeElement === area
        && top >= area.scrollTop && top + height <= area.scrollTop + area.clientHeight
        && box.top >= 0 && box.top + top - area.scrollTop + height <= window.innerHeight
        && Math.abs(area.selectionStart - before) <= 1;
    }""", line))


def test_the_guided_editor_changes_only_what_was_edited(
        server: Server, browser: Browser, shots: Callable[[Page, str], Path]) -> None:
    matter = "enterprise-establishment"
    published = (ROOT / "catalog" / "matters" / f"{matter}.yaml").read_text("utf-8")
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
    admin = context.new_page()
    sign_in(admin, server, "admin")

    # opening the editor creates no draft
    admin.goto(server.url + f"/admin/matters/{matter}/edit")
    expect(admin.locator("#draft-state")).to_contain_text("尚无草稿")
    expect(admin.locator("#discard")).to_have_count(0)
    assert admin.request.get(server.url + f"/admin/matters/{matter}/export?version=draft"
                             ).status == 404
    shots(admin, "01-editor-opened-no-draft")

    # change only the seal step's days in the guided editor
    admin.locator('details[data-step="seal"] > summary').click()
    admin.locator("#sdays-seal").fill("1")
    _guided_submit(admin, 'details[data-step="seal"] form >> nth=0', "保存环节")
    draft = admin.request.get(server.url + f"/admin/matters/{matter}/export?version=draft"
                              ).text()
    changed = [(a, b) for a, b in zip(published.splitlines(), draft.splitlines(), strict=True)
               if a != b]
    assert changed == [("    days: 0.5", "    days: 1")]
    seal = draft.split("  - id: seal\n")[1].split("\n\n")[0]
    assert "materials: [legal-rep-id]" in seal and "note: 申请人自主选择" in seal
    assert "maxLength: 100" in seal and "type: integer" in seal and "maximum: 10" in seal
    assert [c for c in published.splitlines() if "#" in c] == \
        [c for c in draft.splitlines() if "#" in c]

    # one day for the seal breaks the promised time limit: the last plan stays, labelled
    expect(admin.locator("#live .problems")).to_contain_text("承诺时限")
    expect(admin.locator("#stale-preview")).to_contain_text("最后一次没有错误")
    expect(admin.locator("#live svg")).to_be_visible()
    expect(admin.locator("#preview-body")).to_be_visible()
    expect(admin.locator("#discard")).to_have_count(1)
    shots(admin, "02-error-with-last-plan")
    assert _axe_violations(admin) == []

    # an error far down the text: clicking it brings its line into view, focused
    text = admin.locator("#yaml-text").input_value()
    lines = text.splitlines()
    last = max(i for i, line in enumerate(lines) if line.strip().startswith("department:"))
    lines[last] = lines[last].split(":")[0] + ": nowhere"
    admin.locator("#yaml-text").fill("\n".join(lines) + "\n")
    link = admin.locator(f'#live a[data-line="{last + 1}"]')
    expect(link).to_have_count(1)
    admin.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    link.click()
    admin.wait_for_function("document.activeElement.id === 'yaml-text'")
    assert _line_in_view(admin, last + 1)
    shots(admin, "03-error-line-in-view")

    # discard the draft, with a confirmation step
    admin.locator("#discard > summary").click()
    admin.get_by_role("button", name="确认放弃草稿").click()
    expect(admin.locator("#flash")).to_contain_text("已放弃草稿")
    admin.goto(server.url + f"/admin/matters/{matter}/edit")
    expect(admin.locator("#draft-state")).to_contain_text("尚无草稿")
    admin.goto(server.url + "/admin/audit")
    expect(admin.locator("main table")).to_contain_text("放弃草稿")
    expect(admin.locator("main table")).to_contain_text("在向导中修改草稿")
    expect(admin.locator("main table")).not_to_contain_text("draft.")
    assert _axe_violations(admin) == []
    shots(admin, "04-audit-in-words")
    context.close()
