"""The agent carries the case on the site (全程代办) in a real browser: the window sends a
补正 notice on a case the village agent submitted for 王小明; the agent answers it from
its own case page (the field and the file listed, nothing else), the window accepts it
with the premises proof deferred (容缺); the agent uploads that proof and reads the
receipt among the case's documents. Another agent gets 404."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from runtime import forms
from runtime.demo import create_demo_users
from runtime.services.container import Services
from runtime.services.files import Upload
from runtime.settings import Settings
from tests.browser.axe import assert_clean
from tests.browser.conftest import ROOT, Server, _serve, fill_surely, sign_in
from tests.runtime.web.samples import ANSWERS, PDF

pytestmark = pytest.mark.browser
MATTER = "enterprise-establishment"
PRINCIPAL = {"name": "王小明", "id_number": "110101199003071233", "phone": "13800138000"}
OTHER = ("agent-other", "another-agent-9-secret", "另一位代办员")


def _prepare(tmp_path: Path) -> str:
    """Demo users, one more agent, and a case agent-village submitted for 王小明
    without its premises proof; its id."""
    catalog = tmp_path / "prepared-catalog"
    shutil.copytree(ROOT / "catalog", catalog)
    services = Services.open(Settings.load({"data_dir": str(tmp_path / "data"),
                                            "catalog_dir": str(catalog)}))
    try:
        create_demo_users(services)
        services.accounts.create_user(OTHER[0], OTHER[1], "agent", display_name=OTHER[2])
        agent = services.accounts.find("agent-village")
        assert agent is not None
        spec = services.matters.current(MATTER)
        files = {m: [services.files.upload(agent, Upload(f"{m}.pdf", PDF))["id"]]
                 for m in ("articles", "legal-rep-id", "shareholder-id",
                           "officers-appointment", "entrustment")}
        case = services.cases.apply(agent, MATTER,
                                    forms.parse(spec.form, list(ANSWERS.items())), files,
                                    on_behalf_of=PRINCIPAL)
    finally:
        services.close()
    with (tmp_path / "data" / "demo-users.txt").open("a", encoding="utf-8") as out:
        out.write("\t".join(OTHER) + "\n")
    return str(case["id"])


@pytest.fixture
def prepared(tmp_path: Path) -> Iterator[tuple[Server, str]]:
    case_id = _prepare(tmp_path)
    running = _serve(tmp_path)
    yield next(running), case_id
    next(running, None)




def _file(tmp_path: Path, name: str) -> str:
    path = tmp_path / "uploads" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(PDF)
    return str(path)


def test_the_agent_answers_a_supplement_and_the_window_accepts(
        prepared: tuple[Server, str], contexts: Callable[[], BrowserContext],
        shots: Callable[[Page, str], Path], tmp_path: Path) -> None:
    server, case_id = prepared
    window, agent, other = (contexts().new_page() for _ in range(3))

    sign_in(window, server, "window")
    window.goto(server.url + f"/window/cases/{case_id}")
    window.check("#item-field-address")
    fill_surely(window, "input[name='reason:field:address']", "门牌号不完整")
    window.check("#item-material-articles")
    fill_surely(window, "input[name='reason:material:articles']", "缺少全体股东签字")
    expect(window.locator("input[name='reason:material:articles']")).to_have_value(
        "缺少全体股东签字")
    expect(window.locator("#item-material-articles")).to_be_checked()
    window.get_by_role("button", name="发出补正通知").click()
    expect(window.locator("main")).to_contain_text("等待申请人补正")

    sign_in(agent, server, "agent-village")
    agent.goto(server.url + f"/agent/cases/{case_id}")
    notice = agent.locator(".notice-warn", has_text="请补正以下内容")
    expect(notice).to_contain_text("门牌号不完整")
    expect(notice).to_contain_text("公司章程（全体股东签署）：缺少全体股东签字")
    expect(agent.locator("section[aria-labelledby=docs-h]")).to_contain_text("补正材料通知书")
    shots(agent, "agent-case-supplement-asked")
    assert_clean(agent)
    notice.get_by_role("link", name="补正材料").click()
    expect(agent.locator("h1")).to_have_text("补正材料")
    expect(agent.locator("input[name=company_name]")).to_have_count(0)  # only what was asked
    agent.fill("#f-address", "云川市新城区锦程路18号2栋3单元1206室")
    agent.get_by_role("button", name="提交补正").click()  # the file not brought again
    expect(agent.locator(".error-summary")).to_contain_text("公司章程")
    shots(agent, "agent-supplement-refused")
    assert_clean(agent)
    agent.fill("#f-address", "云川市新城区锦程路18号2栋3单元1206室")
    agent.set_input_files("#f-material-articles", _file(tmp_path, "章程（签字版）.pdf"))
    agent.get_by_role("button", name="提交补正").click()
    expect(agent.locator("#flash")).to_contain_text("补正材料已提交")
    assert agent.url.endswith(f"/agent/cases/{case_id}")
    expect(agent.locator("main")).not_to_contain_text("请补正以下内容")

    sign_in(other, server, OTHER[0])
    response = other.goto(server.url + f"/agent/cases/{case_id}/supplement")
    assert response is not None and response.status == 404

    window.goto(server.url + f"/window/cases/{case_id}")
    window.check("#defer-premises")
    window.get_by_role("button", name="受理并分送各部门").click()
    number = window.locator(".facts dd").nth(1)
    expect(number).to_have_text(re.compile(r"^ZW\d+"))

    agent.goto(server.url + f"/agent/cases/{case_id}")
    owed = agent.locator("section[aria-labelledby=owed-h]")
    expect(owed).to_contain_text("尚需补交")
    docs = agent.locator("section[aria-labelledby=docs-h]")
    expect(docs).to_contain_text("受理通知书")
    expect(docs).to_contain_text("容缺受理承诺书")
    shots(agent, "agent-case-accepted")
    assert_clean(agent)
    with agent.expect_download() as download:
        docs.locator(f'a[href="/cases/{case_id}/documents/receipt.pdf"]').click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    agent.set_input_files("#owed-premises", _file(tmp_path, "住所证明.pdf"))
    owed.get_by_role("button", name="补交材料").click()
    expect(agent.locator("#flash")).to_contain_text("容缺材料已补交")
    expect(agent.locator("section[aria-labelledby=owed-h]")).to_contain_text("已补交")
    shots(agent, "agent-case-deferred-supplied")
    assert_clean(agent)
