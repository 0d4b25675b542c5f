"""A first day at the centre in a real browser: every role's pages pass axe-core, no
request fails (favicon included), materials are readable inside the case page."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, Response, expect

from tests.browser.axe import summary, violations
from tests.browser.conftest import Server, sign_in
from tests.browser.test_joint_case import LICENSE_NO, _apply, _open_intake


class Watch:
    """Every response a page receives that failed (4xx/5xx)."""

    def __init__(self, page: Page) -> None:
        self.failed: list[str] = []
        page.on("response", self._seen)

    def _seen(self, response: Response) -> None:
        if response.status >= 400:
            self.failed.append(f"{response.status} {response.url}")


def _clean(page: Page, watch: Watch, shots: Callable[[Page, str], Path], name: str) -> None:
    """The page is free of axe-core violations and of failed requests."""
    page.wait_for_load_state("networkidle")
    shots(page, name)
    found = violations(page)
    assert not found, f"{name}:\n{summary(found)}"
    assert not watch.failed, f"{name}: {watch.failed}"


def test_every_role_on_a_first_day(server: Server, browser: Browser,
                                   shots: Callable[[Page, str], Path], tmp_path: Path) -> None:
    # axe-core is injected as a script: these contexts let it past the site's CSP
    made: list[BrowserContext] = [browser.new_context(
        locale="zh-CN", viewport={"width": 1280, "height": 900}, bypass_csp=True)
        for _ in range(4)]
    try:
        _day(server, [c.new_page() for c in made], shots, tmp_path)
    finally:
        for context in made:
            context.close()


def _day(server: Server, pages: list[Page], shots: Callable[[Page, str], Path],
         tmp_path: Path) -> None:
    applicant, window, amr, supervisor = pages
    watches = {p: Watch(p) for p in (applicant, window, amr, supervisor)}
    sign_in(applicant, server, "applicant")
    applicant.goto(server.url + "/")
    _clean(applicant, watches[applicant], shots, "home")
    applicant.goto(server.url + "/matters/enterprise-establishment")
    _clean(applicant, watches[applicant], shots, "notice")
    _apply(applicant, server, tmp_path, premises=False)
    _clean(applicant, watches[applicant], shots, "applicant-case")
    applicant.goto(server.url + "/my/cases")
    _clean(applicant, watches[applicant], shots, "my-cases")

    sign_in(window, server, "window")
    window.goto(server.url + "/window")
    _clean(window, watches[window], shots, "window-queue")
    _open_intake(window, server)
    _clean(window, watches[window], shots, "window-case")
    # a PDF material is shown inside the page, not blocked by the browser
    window.locator("details summary", has_text="在此查看").first.click()
    expect(window.locator("iframe.material-preview").first).to_be_visible()
    previews = [f for f in window.frames if f.url.endswith("/preview")]
    assert previews, [f.url for f in window.frames]
    assert not any(f.url.startswith("chrome-error://") for f in window.frames), \
        [f.url for f in window.frames]
    window.check("#defer-premises")
    window.get_by_role("button", name="受理并分送各部门").click()
    expect(window.locator("#flash")).to_contain_text("已受理")
    window.goto(server.url + "/window/walk-in")
    _clean(window, watches[window], shots, "walk-in")

    sign_in(amr, server, "dept-amr")
    amr.goto(server.url + "/tasks")
    _clean(amr, watches[amr], shots, "task-list")
    amr.locator('#task-rows a[href^="/tasks/"]').first.click()
    amr.get_by_role("button", name="签收").click()
    _clean(amr, watches[amr], shots, "task-page")
    amr.fill("#f-step-license_no", LICENSE_NO)
    amr.fill("#f-step-established_on", "2026-11-30")
    amr.get_by_role("button", name="审批通过").click()
    expect(amr.locator("#flash")).to_contain_text("已审批通过")

    sign_in(supervisor, server, "supervisor")
    supervisor.goto(server.url + "/supervision")
    _clean(supervisor, watches[supervisor], shots, "board")
    supervisor.locator('table a[href^="/supervision/cases/"]').first.click()
    _clean(supervisor, watches[supervisor], shots, "supervision-case")


def test_the_new_pages_of_people_and_walk_ins(server: Server, browser: Browser,
                                              shots: Callable[[Page, str], Path]) -> None:
    """The window opens an account for a visitor, the visitor must change the one-time
    password, the administrator manages users: every page clean for axe-core."""
    made = [browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900},
                                bypass_csp=True) for _ in range(3)]
    try:
        window, visitor, admin = (c.new_page() for c in made)
        watches = {p: Watch(p) for p in (window, visitor, admin)}
        sign_in(window, server, "window")
        window.goto(server.url + "/window/walk-in")
        window.select_option("#matter", label="乡村建设规划许可证核发（农村村民住宅建设）")
        window.fill("#display_name", "赵六")
        window.fill("#phone", "13912345678")
        window.fill("#id_number", "11010519491231002X")
        window.get_by_role("button", name="开始录入").click()
        expect(window.get_by_role("heading", name="已为申请人开户")).to_be_visible()
        _clean(window, watches[window], shots, "walk-in-account")
        secret = window.locator(".output").nth(1).inner_text().strip()
        window.get_by_role("link", name="开始录入申请").click()
        expect(window.locator("h1")).to_contain_text("乡村建设规划许可")
        _clean(window, watches[window], shots, "walk-in-form")

        server.passwords["v13912345678"] = secret
        sign_in(visitor, server, "v13912345678")
        expect(visitor).to_have_url(server.url + "/account/password")
        _clean(visitor, watches[visitor], shots, "first-sign-in-password")

        sign_in(admin, server, "admin")
        admin.goto(server.url + "/admin/users")
        _clean(admin, watches[admin], shots, "users")
        admin.locator('tr[data-user="v13912345678"]').get_by_role("link").click()
        expect(admin.locator("main")).to_contain_text("赵六")
        _clean(admin, watches[admin], shots, "user")
    finally:
        for context in made:
            context.close()
