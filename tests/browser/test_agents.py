"""The agents' pages (全程代办) in a real browser: the village agent's list and case page
with 上门受理, the town point forwarding the village case (转报, with its light), the
supervisor reading it, and an agent of no concern getting nothing."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from runtime.demo import create_demo_users
from runtime.services.container import Services
from runtime.services.files import Upload
from runtime.settings import Settings
from tests.browser.axe import assert_clean
from tests.browser.conftest import ROOT, Server, _serve, sign_in
from tests.runtime.api.samples import DATA, FILES, PDF
from tests.runtime.api.test_agents import PRINCIPAL

pytestmark = pytest.mark.browser
OTHER_PASSWORD = "another-agent-9-secret"


def _prepare(tmp_path: Path) -> str:
    """Demo users, one more agent, and a case the village agent applied for."""
    catalog = tmp_path / "prepared-catalog"
    shutil.copytree(ROOT / "catalog", catalog)
    services = Services.open(Settings.load({"data_dir": str(tmp_path / "data"),
                                            "catalog_dir": str(catalog)}))
    try:
        create_demo_users(services)
        services.accounts.create_user("agent-other", OTHER_PASSWORD, "agent",
                                      display_name="另一位代办员")
        agent = services.accounts.find("agent-village")
        assert agent is not None
        materials = {m: [services.files.upload(agent, Upload(name, blob))["id"]]
                     for m, (name, blob) in FILES.items()}
        materials["entrustment"] = [services.files.upload(agent, Upload("委托书.pdf", PDF))["id"]]
        case = services.cases.apply(agent, "enterprise-establishment", DATA, materials,
                                    on_behalf_of=PRINCIPAL)
    finally:
        services.close()
    with (tmp_path / "data" / "demo-users.txt").open("a", encoding="utf-8") as out:
        out.write(f"agent-other\t{OTHER_PASSWORD}\t另一位代办员\n")
    return str(case["id"])


@pytest.fixture
def prepared(tmp_path: Path) -> Iterator[tuple[Server, str]]:
    case_id = _prepare(tmp_path)
    running = _serve(tmp_path)
    yield next(running), case_id
    next(running, None)




def test_agents_pages_forwarding_and_home_visit(
        prepared: tuple[Server, str], contexts: Callable[[], BrowserContext],
        shots: Callable[[Page, str], Path]) -> None:
    server, case_id = prepared
    village, town, other = (contexts().new_page() for _ in range(3))

    sign_in(village, server, "agent-village")
    village.goto(server.url + "/agent")
    expect(village.locator("#mine-h + .table-wrap")).to_contain_text("王小明")
    shots(village, "village-agent-list")
    assert_clean(village)
    village.get_by_role("link", name="查看与办理").first.click()
    agency = village.locator("section.agency")
    expect(agency).to_contain_text("青禾村代办点")
    expect(agency).to_contain_text("待青禾镇代办点转报")
    expect(agency.locator(".light-green")).to_be_visible()
    expect(village.get_by_role("button", name="确认转报")).to_have_count(0)  # not its to do
    village.fill("#visit-note", "王小明老人行动不便，代办员上门收取材料")
    village.get_by_role("button", name="记录上门受理").click()
    expect(village.locator("#flash")).to_contain_text("已记录上门受理")
    expect(agency).to_contain_text("王小明老人行动不便")
    shots(village, "village-agent-case")
    assert_clean(village)
    village.get_by_role("button", name="记录上门受理").click()  # an empty note
    expect(village.locator(".notice-error")).to_be_visible()

    # the supervisor watches the forwarding deadline on the board
    sign_in(town, server, "supervisor")
    town.goto(server.url + "/supervision")
    expect(town.locator(f'#fwd-h ~ .table-wrap tr[data-case="{case_id}"]')).to_contain_text(
        "青禾镇代办点")
    shots(town, "supervisor-board-forwarding")
    assert_clean(town)
    town.get_by_role("button", name="退出").click()

    sign_in(town, server, "agent-town")
    town.goto(server.url + "/agent")
    pending = town.locator("#fwd-h + .table-wrap")
    expect(pending).to_contain_text("青禾村代办点")
    expect(pending.locator(".light-green")).to_be_visible()
    shots(town, "town-point-to-forward")
    assert_clean(town)
    town.get_by_role("link", name="办理转报").click()
    town.fill("#forward-note", "材料齐全，已转报县政务服务中心")
    shots(town, "town-point-case")
    assert_clean(town)
    town.get_by_role("button", name="确认转报").click()
    expect(town.locator("#flash")).to_contain_text("已转报")
    expect(town.locator("section.agency")).to_contain_text("材料齐全")
    town.goto(server.url + "/agent")
    expect(town.locator("#fwd-h ~ p").first).to_contain_text("暂无待转报的办件")

    sign_in(other, server, "agent-other")
    other.goto(server.url + "/agent")
    expect(other.locator("main")).to_contain_text("您还没有代办的办件")
    response = other.goto(server.url + f"/agent/cases/{case_id}")
    assert response is not None and response.status == 404
    expect(other.locator("main")).not_to_contain_text("王小明")
    other.get_by_role("button", name="退出").click()
    sign_in(other, server, "supervisor")
    other.goto(server.url + f"/cases/{case_id}")
    expect(other.locator("section.agency")).to_contain_text("转报")
    shots(other, "supervisor-sees-forwarding")
