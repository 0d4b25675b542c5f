"""Files chosen but not yet uploaded survive a live re-render of the material controls."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.browser.conftest import Server, sign_in
from tests.browser.test_joint_case import PDF


def test_a_changed_answer_keeps_the_files_already_chosen(server: Server, browser: Browser,
                                                         tmp_path: Path) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        sign_in(page, server, "applicant")
        page.goto(server.url + "/apply/enterprise-establishment")
        page.wait_for_load_state("networkidle")
        pdf = tmp_path / "章程.pdf"
        pdf.write_bytes(PDF)
        page.set_input_files("#f-material-articles", str(pdf))
        # this answer hides a material (税务 UKey 办税人员身份证件): the controls re-render
        page.locator('input[name="needs_invoice"][value="false"]').check()
        expect(page.locator('[data-material="tax-officer-id"]')).to_have_count(0)
        chosen = page.eval_on_selector("#f-material-articles",
                                       "input => Array.from(input.files).map(f => f.name)")
        assert chosen == ["章程.pdf"]
    finally:
        context.close()
