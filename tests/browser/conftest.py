"""Browser tests: a real `onewindow serve` (uvicorn) on a free port, driven by Debian's
Chromium through Playwright. Screenshots go to test-output/screenshots/<test>/.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    expect,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError

from tests.pg import pg_server, pg_url  # noqa: F401  (fixtures)

ROOT = Path(__file__).parents[2]
CHROMIUM = os.environ.get("ONEWINDOW_CHROMIUM", "/usr/bin/chromium")
OUTPUT = Path(os.environ.get("ONEWINDOW_TEST_OUTPUT", ROOT / "test-output")) / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-quic", "--no-first-run", "--disable-sync"]


# The suite runs on every core next to real servers and browsers: an assertion that
# waits for the page may need longer than Playwright's 5 s default on a busy machine.
expect.set_options(timeout=20_000)
ACTION_TIMEOUT_MS = 90_000


@dataclass
class Server:
    """A running onewindow with its demo users' passwords."""

    url: str
    data_dir: Path
    passwords: dict[str, str]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """`onewindow serve --demo` on the project catalog, fresh data per test."""
    yield from _serve(tmp_path)


@pytest.fixture
def server_on_postgres(tmp_path: Path, pg_url: str) -> Iterator[Server]:  # noqa: F811
    """`onewindow serve --demo --database URL --workers 2`: two processes, one database."""
    yield from _serve(tmp_path, "--database", pg_url, "--workers", "2")


def _serve(tmp_path: Path, *extra: str) -> Iterator[Server]:
    port = _free_port()
    data_dir = tmp_path / "data"
    catalog = tmp_path / "catalog"  # publishing writes the catalog: never the repository's
    shutil.copytree(ROOT / "catalog", catalog)
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "runtime.cli", "serve", "--demo", "--port", str(port),
         "--data-dir", str(data_dir), "--catalog", str(catalog), *extra],
        stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/", timeout=1).read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("onewindow serve did not start: "
                                   + (tmp_path / "server.log").read_text()) from None
            time.sleep(0.2)
    passwords = {}
    for line in (data_dir / "demo-users.txt").read_text("utf-8").splitlines():
        if line and not line.startswith("#"):
            name, password, _ = line.split("\t", 2)
            passwords[name] = password
    try:
        yield Server(url, data_dir, passwords)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def playwright_session() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_session: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's package "
                    "(apt-get install -y chromium) or set ONEWINDOW_CHROMIUM; "
                    "`make test` does this")
    browser = playwright_session.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    opened = browser.new_context

    def new_context(**options: Any) -> BrowserContext:
        # Every action may wait as long as an assertion: the suite runs on every core
        # next to real servers, and a page can take longer than Playwright's 30 s then.
        context = opened(**options)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.set_default_navigation_timeout(ACTION_TIMEOUT_MS)
        return context

    browser.new_context = new_context  # type: ignore[method-assign]
    yield browser
    browser.close()


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Callable[[Page, str], Path]:
    """Save a full-page screenshot: test-output/screenshots/<test>/<NN>-<name>.png."""
    folder = OUTPUT / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    count = [0]

    def shot(page: Page, name: str) -> Path:
        count[0] += 1
        path = folder / f"{count[0]:02d}-{name}.png"
        for attempt in range(3):
            try:
                page.screenshot(path=str(path), full_page=True)
                break
            except PlaywrightError as err:
                # Chromium under full-suite load sometimes cannot capture a frame in
                # time ("Unable to capture screenshot"): the picture is an artefact to
                # look at, not an assertion, so try again before giving up.
                if "Unable to capture screenshot" not in str(err) or attempt == 2:
                    raise
                page.wait_for_timeout(500)
        return path
    return shot


def fill_surely(page: Page, selector: str, value: str) -> None:
    """Fill a field and make sure the text landed in it. Playwright focuses, then types:
    on a page still loading its material previews the focus can move in between, and
    the text goes nowhere (seen once in a fresh-clone CI run on the window's 补正 form)."""
    field = page.locator(selector)
    for _ in range(5):
        field.fill(value)
        if field.input_value() == value:
            return
    expect(field).to_have_value(value)


def sign_in(page: Page, server: Server, name: str) -> None:
    """Sign in through the login form."""
    page.goto(server.url + "/login")
    page.fill("#name", name)
    page.fill("#password", server.passwords[name])
    page.click("button[type=submit]")
    page.wait_for_load_state()


@pytest.fixture
def contexts(browser: Browser) -> Iterator[Callable[[], BrowserContext]]:
    """New browser contexts on demand (one per person), closed after the test; CSP is
    bypassed so that axe-core can be injected inline."""
    made: list[BrowserContext] = []

    def new() -> BrowserContext:
        made.append(browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900},
                                        bypass_csp=True))
        return made[-1]
    yield new
    for context in made:
        context.close()
