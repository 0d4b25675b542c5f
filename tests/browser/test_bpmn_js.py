"""The BPMN export of every catalog matter opens in bpmn-js (the bpmn.io viewer) without
an error or a warning. bpmn-js is an npm package installed into a cache outside the repo;
the page and the script are served from a local http.server on 127.0.0.1.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from playwright.sync_api import Browser, Page

from builder import load_catalog
from builder.bpmn import to_bpmn
from builder.spec import MatterSpec
from tests.browser.bpmn.node import PAGE, bpmn_viewer_script
from tests.builder.test_plan_properties import matters

pytestmark = pytest.mark.browser
ROOT = Path(__file__).parents[2]
CATALOG = load_catalog(ROOT / "catalog")
DEPARTMENTS = {d.id: d.name for d in CATALOG.departments.values()}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The viewer page and bpmn-js, served from 127.0.0.1 on a free port."""
    try:
        script = bpmn_viewer_script()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    folder = tmp_path_factory.mktemp("bpmn-site")
    shutil.copy(PAGE, folder / "index.html")
    shutil.copy(script, folder / script.name)
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def page(browser: Browser, site: str) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1600, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(site)
    page.wait_for_function("typeof window.showBpmn === 'function' && typeof BpmnJS === 'function'")
    assert not errors
    yield page
    context.close()


@pytest.mark.parametrize("matter_id", sorted(CATALOG.matters))
def test_catalog_matter_opens_in_bpmn_js(page: Page, shots: Callable[[Page, str], Path],
                                         matter_id: str) -> None:
    xml = to_bpmn(CATALOG.matter(matter_id), DEPARTMENTS)
    result = page.evaluate("xml => window.showBpmn(xml)", xml)
    assert result["error"] is None, result
    assert result["warnings"] == []
    # Every process element and its DI came in: pool, lanes, nodes, flows (and labels).
    assert result["elements"] > xml.count("<bpmn:sequenceFlow")
    assert page.locator(".djs-element.djs-shape[data-element-id^='Task_']").count() \
        == xml.count("<bpmn:userTask ")
    shots(page, matter_id)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(matter=matters(max_steps=12))
def test_random_matters_open_in_bpmn_js(page: Page, matter: MatterSpec) -> None:
    result = page.evaluate("xml => window.showBpmn(xml)", to_bpmn(matter, {}))
    assert result["error"] is None and result["warnings"] == [], result
