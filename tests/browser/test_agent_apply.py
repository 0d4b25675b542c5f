"""An agent applies on the site (全程代办) in a real browser: the village agent opens a
matter from 办事指南, fills the generic form with the 委托人 section, is told beside the
field when the ID number is wrong, uploads the 委托书 and submits; the case is in its
`/agent` list, another agent gets 404, and the villager (an applicant account with that
ID number) finds it in 我的办件, marked 代办."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from runtime.demo import create_demo_users
from runtime.services.container import Services
from runtime.settings import Settings
from tests.browser.axe import assert_clean
from tests.browser.conftest import ROOT, Server, _serve, sign_in
from tests.runtime.web.samples import PDF, PNG

pytestmark = pytest.mark.browser
MATTER = "乡村建设规划许可证核发（农村村民住宅建设）"
ID_NUMBER = "110101199003071233"
EXTRA = {"agent-other": ("another-agent-9-secret", "另一位代办员", ""),
         "villager": ("villager-secret-9", "王小明", ID_NUMBER)}


def _prepare(tmp_path: Path) -> None:
    """Demo users, one more agent, and the villager's own account (with its ID number)."""
    catalog = tmp_path / "prepared-catalog"
    shutil.copytree(ROOT / "catalog", catalog)
    services = Services.open(Settings.load({"data_dir": str(tmp_path / "data"),
                                            "catalog_dir": str(catalog)}))
    try:
        create_demo_users(services)
        for name, (password, display, id_number) in EXTRA.items():
            role = "agent" if name.startswith("agent") else "applicant"
            services.accounts.create_user(name, password, role, display_name=display,
                                          id_number=id_number)
    finally:
        services.close()
    with (tmp_path / "data" / "demo-users.txt").open("a", encoding="utf-8") as out:
        for name, (password, display, _) in EXTRA.items():
            out.write(f"{name}\t{password}\t{display}\n")


@pytest.fixture
def prepared(tmp_path: Path) -> Iterator[Server]:
    _prepare(tmp_path)
    running = _serve(tmp_path)
    yield next(running)
    next(running, None)




def _file(tmp_path: Path, name: str, content: bytes) -> str:
    path = tmp_path / "uploads" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(content)
    return str(path)


def _fill_the_house(page: Page, tmp_path: Path) -> None:
    page.fill("#f-applicant-name", "王小明")
    page.fill("#f-applicant-id_no", ID_NUMBER)
    page.fill("#f-applicant-mobile", "13800138000")
    page.fill("#f-household_size", "4")
    page.fill("#f-township", "青禾镇")
    page.fill("#f-village", "青禾村三组")
    page.fill("#f-homestead_location", "青禾村三组，原老屋基东侧")
    page.fill("#f-homestead_approval_no", "青宅批〔2026〕018号")
    page.check("#f-construction_type-1")
    page.fill("#f-homestead_area", "120")
    page.fill("#f-floor_area", "240")
    page.fill("#f-floors", "2")
    page.fill("#f-height", "7.5")
    for material in ("id-card", "household-register", "village-opinion", "homestead-approval",
                     "site-plan", "design-drawing"):
        page.set_input_files(f"#f-material-{material}",
                             _file(tmp_path, f"{material}.pdf", PDF))


def test_an_agent_applies_on_the_site_and_the_principal_sees_it(
        prepared: Server, contexts: Callable[[], BrowserContext],
        shots: Callable[[Page, str], Path], tmp_path: Path) -> None:
    server = prepared
    village, other, villager = (contexts().new_page() for _ in range(3))

    sign_in(village, server, "agent-village")
    village.goto(server.url + "/agent")
    expect(village.locator("main")).not_to_contain_text("/api/v1")
    shots(village, "agent-home-empty")
    assert_clean(village)
    village.get_by_role("link", name="代办申报").click()
    village.get_by_role("link", name=MATTER).first.click()
    village.get_by_role("link", name="我已阅读，开始申请").click()
    principal = village.locator("section[aria-labelledby=principal-h]")
    expect(principal).to_contain_text("委托人（全程代办）")
    expect(village.locator("[data-material=entrustment]")).to_contain_text("必填")

    # the answer to a condition re-renders the uploads: the letter stays on the form
    village.check("#f-occupies_farmland")
    expect(village.locator("[data-material=farmland-conversion]")).to_be_visible()
    expect(village.locator("#f-material-entrustment")).to_be_visible()
    village.check("#f-occupies_farmland-1")
    expect(village.locator("[data-material=farmland-conversion]")).to_have_count(0)
    expect(village.locator("#f-material-entrustment")).to_be_visible()

    village.fill("#f-obo-name", "王小明")
    village.fill("#f-obo-id_number", ID_NUMBER[:-1] + "4")  # a wrong check digit
    village.fill("#f-obo-phone", "13800138000")
    _fill_the_house(village, tmp_path)
    village.get_by_role("button", name="下一步：核对信息").click()
    expect(village.locator("#f-obo-id_number-error")).to_contain_text("末位校验码须正确")
    expect(village.locator("#f-obo-id_number")).to_have_attribute("aria-invalid", "true")
    expect(village.locator("#f-township")).to_have_value("青禾镇")  # the answers kept
    shots(village, "principal-refused")
    assert_clean(village)

    village.fill("#f-obo-id_number", ID_NUMBER)
    _fill_the_house(village, tmp_path)  # this post's files were not kept: choose again
    village.set_input_files("#f-material-entrustment", _file(tmp_path, "委托书.png", PNG))
    shots(village, "agent-form-filled")
    assert_clean(village)
    village.get_by_role("button", name="下一步：核对信息").click()
    expect(village.locator("h1")).to_have_text("核对申请信息")
    expect(village.locator("section[aria-labelledby=p-h]")).to_contain_text(ID_NUMBER)
    expect(village.locator("main")).to_contain_text("委托书.png")
    shots(village, "agent-review")
    assert_clean(village)
    village.check("#declare")
    village.get_by_role("button", name="确认提交").click()
    expect(village.locator("#flash")).to_contain_text("代办申请已提交")
    match = re.search(r"/agent/cases/(c_[0-9a-f]+)$", village.url)
    assert match, village.url
    case_id = match.group(1)
    expect(village.locator("section.agency")).to_contain_text("待青禾镇代办点转报")
    village.goto(server.url + "/agent")
    mine = village.locator("#mine-h + .table-wrap")
    expect(mine).to_contain_text("王小明")
    expect(mine.locator(f'a[href="/agent/cases/{case_id}"]')).to_have_count(1)
    shots(village, "agent-home-listed")
    assert_clean(village)

    sign_in(other, server, "agent-other")
    response = other.goto(server.url + f"/agent/cases/{case_id}")
    assert response is not None and response.status == 404
    expect(other.locator("main")).not_to_contain_text("王小明")

    sign_in(villager, server, "villager")
    villager.goto(server.url + "/my/cases")
    row = villager.locator("tbody tr", has_text=MATTER)
    expect(row).to_contain_text("代办")
    expect(row).to_contain_text("刘代办（青禾村代办点）")
    expect(row).to_contain_text("已提交待受理")
    shots(villager, "principal-my-cases")
    assert_clean(villager)
    row.get_by_role("link", name="查看进度").click()
    expect(villager.locator("h1")).to_contain_text("乡村建设规划许可证")
    expect(villager.locator("section.agency")).to_contain_text("刘代办")
