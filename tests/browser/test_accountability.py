"""The statistics page for the supervisor and for one department, and the public query
and results pages, on a served store with a history; each page clean for axe-core."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from bench.webcases import build_store
from runtime.engine.calendar import CHINA_TZ
from runtime.services import LIFECYCLE, complaint_index, list_index
from runtime.store import TinyDBStore
from tests.browser.axe import summary, violations
from tests.browser.conftest import ROOT, Server, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def history_server(tmp_path: Path, request: pytest.FixtureRequest) -> Server:
    """`serve --demo` on a store of 300 engine-made cases, 60 of them still running."""
    now = datetime.now(CHINA_TZ).replace(microsecond=0)
    build_store(tmp_path / "data" / "store", ROOT / "catalog", 300, 60, department="amr",
                ready=10, now=now, log=lambda _: None)
    # The cases were written past the services: index them now, as the server's first
    # start would, so no page is read before that start's back-fill has run.
    store = TinyDBStore(tmp_path / "data" / "store", lifecycle=LIFECYCLE)
    try:
        list_index.backfill(store, now)
        complaint_index.backfill(store, now)
    finally:
        store.close()
    server: Server = request.getfixturevalue("server")
    return server


def _clean(page: Page) -> None:
    found = violations(page)
    assert not found, summary(found)


def _fits_a_phone(page: Page) -> None:
    """At a phone's width (390 px) nothing widens the page: wide tables and charts scroll
    in their own frame (a visually hidden cell text, a long select, a chart or nested
    answers once pushed the whole page sideways)."""
    page.wait_for_load_state("load")  # its style sheet applied
    size = page.viewport_size
    page.set_viewport_size({"width": 390, "height": 844})
    # The bell as it is when notices wait (a fresh server may have none yet: the worker
    # writes them as the day goes on): the header must fit with its badge too.
    page.evaluate("""() => { const bell = document.querySelector('.bell');
        if (bell && !bell.querySelector('.badge')) {
            bell.insertAdjacentHTML('beforeend', '<span class="badge">99+</span>'); } }""")
    try:
        width = page.evaluate("document.documentElement.scrollWidth")
        wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > 390 && !e.closest('.table-wrap, figure'))
            .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' +
                             Math.round(e.getBoundingClientRect().right) + ' ' +
                             (e.textContent || '').trim().slice(0, 40))""")
        assert width <= 390, f"{page.url} is {width} px wide on a phone: {wide}"
    finally:
        if size:
            page.set_viewport_size(size)


def test_statistics_for_the_supervisor_and_a_department(
        history_server: Server, browser: Browser,
        shots: Callable[[Page, str], Path]) -> None:
    server = history_server
    today = datetime.now(CHINA_TZ).date().isoformat()
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900},
                                  bypass_csp=True)  # axe is injected inline
    page = context.new_page()
    sign_in(page, server, "supervisor")
    page.get_by_role("link", name="统计分析").click()
    expect(page.get_by_role("heading", name="统计分析", level=1)).to_be_visible()
    page.fill("input[name=from]", "2025-12-01")
    page.fill("input[name=to]", today)
    page.get_by_role("button", name="统计").click()
    expect(page.locator("figure.chart svg").first).to_be_visible()
    expect(page.locator("table")).to_contain_text("市场监督管理局")
    shots(page, "statistics-by-department")
    _clean(page)
    _fits_a_phone(page)
    page.select_option("select[name=by]", "matter")
    page.get_by_role("button", name="统计").click()
    expect(page.locator("table")).to_contain_text("并联节省")
    shots(page, "statistics-by-matter")
    _clean(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    page.get_by_role("link", name="好差评").click()
    expect(page.get_by_role("heading", name="各部门评价统计")).to_be_visible()
    expect(page.locator("table").first).to_contain_text("市场监督管理局")  # 默认好评
    shots(page, "ratings")
    _clean(page)
    _fits_a_phone(page)
    page.get_by_role("link", name="电子监察").click()
    # measured once the board is there (a click returns before the next page has loaded
    # its style sheet: unstyled, its tables were 414 px wide in one run)
    expect(page.get_by_role("heading", name="电子监察 · 在办件")).to_be_visible()
    _fits_a_phone(page)
    page.goto(server.url + "/supervision/cases/c_000000000001")  # a case page
    _fits_a_phone(page)
    context.close()

    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900},
                                  bypass_csp=True)  # axe is injected inline
    page = context.new_page()
    sign_in(page, server, "dept-amr")
    page.goto(server.url + f"/statistics?from=2025-12-01&to={today}")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("市场监督管理局")
    shots(page, "statistics-own-department")
    _clean(page)
    page.get_by_role("link", name="考核").click()
    expect(page.get_by_role("heading", name="部门考核")).to_be_visible()
    expect(page.locator("table").first).to_contain_text("市场监督管理局")
    shots(page, "department-monthly-score")
    _clean(page)
    context.close()


def test_public_pages(history_server: Server, browser: Browser,
                      shots: Callable[[Page, str], Path]) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900},
                                  bypass_csp=True)  # axe is injected inline
    page = context.new_page()
    page.goto(history_server.url + "/public/results")
    expect(page.get_by_role("heading", name="办件结果公告")).to_be_visible()
    expect(page.locator("tbody tr").first).to_contain_text("**")
    shots(page, "public-results")
    _clean(page)
    _fits_a_phone(page)
    page.get_by_role("link", name="办件查询").click()
    page.fill("#number", "ZW202612010001")
    page.fill("#code", "ABCDEFGH")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("alert")).to_contain_text("查询码不正确")
    shots(page, "public-query-wrong-code")
    _clean(page)
    context.close()
