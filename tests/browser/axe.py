"""axe-core (the accessibility engine of Deque) run inside a page, for every new page."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from tests.browser.bpmn.node import npm_file

AXE_VERSION = "4.10.3"


def violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (WCAG 2 A/AA rules and best
    practices), each ``{id, impact, help, nodes: [selector...]}``."""
    script = npm_file("axe-core", AXE_VERSION, "axe.min.js")
    page.add_script_tag(content=script.read_text(encoding="utf-8"))
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ["violations"]});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => n.target.join(" "))}));
    }""")
    return list(found)


def summary(found: list[dict[str, Any]]) -> str:
    """Violations, one line each, for an assertion message."""
    return "\n".join(f"{v['id']} ({v['impact']}): {v['help']} — {', '.join(v['nodes'][:3])}"
                     for v in found)


def assert_clean(page: Page) -> None:
    """Fail with axe-core's summary when the page has any violation."""
    found = violations(page)
    assert found == [], summary(found)
