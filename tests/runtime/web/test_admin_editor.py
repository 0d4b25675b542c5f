"""The guided editor changes exactly what was edited (issue 11, defect 1), posting the
forms as the browser does: every input of the rendered form, only one value changed."""

from __future__ import annotations

import difflib
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from starlette.testclient import TestClient

from runtime.services.container import Services
from tests.runtime.web.conftest import ROOT
from tests.runtime.web.test_admin import admin_app  # noqa: F401  (the fixture)

MATTERS = sorted(p.stem for p in (ROOT / "catalog" / "matters").glob("*.yaml"))


class _Forms(HTMLParser):
    """Every <form> of a page as the list of (name, value) pairs a browser would post."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[list[tuple[str, str]]] = []
        self._form: list[tuple[str, str]] | None = None
        self._select: str | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = []
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and "name" in a:
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            if a.get("type") != "file":
                self._form.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self._form.append((self._select, a.get("value", "")))
        elif tag == "textarea":
            self._textarea, self._text = a.get("name"), ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._form is not None and self._textarea:
            text = self._text[1:] if self._text.startswith("\n") else self._text
            self._form.append((self._textarea, text))
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._form = None


def form_of(html: str, op: str, key: str) -> list[tuple[str, str]]:
    """The posted pairs of the guided form for ``op`` on ``key``."""
    parser = _Forms()
    parser.feed(html)
    for form in parser.forms:
        if ("op", op) in form and ("key", key) in form:
            return form
    raise AssertionError(f"no {op} form for {key}")


def _changed_lines(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(),
                                                  lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


@pytest.mark.parametrize("matter", MATTERS)
def test_changing_only_a_steps_days_changes_only_that_line(
        admin_app: tuple[TestClient, Services, str], matter: str) -> None:  # noqa: F811
    client, _, token = admin_app
    before = (ROOT / "catalog" / "matters" / f"{matter}.yaml").read_text(encoding="utf-8")
    doc = yaml.safe_load(before)
    for step in doc["steps"]:
        html = client.get(f"/admin/matters/{matter}/edit").text
        pairs = [(k, "7" if k == "days" else v) for k, v in
                 form_of(html, "update_step", step["id"])]
        response = client.post(f"/admin/matters/{matter}/guided", data={
            k: [v for kk, v in pairs if kk == k] for k in dict(pairs)})
        assert response.status_code == 200, response.text[-2000:]
        after = client.get(f"/admin/matters/{matter}/export?version=draft").text
        changed = _changed_lines(before, after)
        if step["days"] == 7:
            assert changed == []
        else:
            assert len(changed) == 2, "\n".join(changed)
            assert changed[0].lstrip("-").strip().startswith("days:")
            assert changed[1] == changed[0].replace(f"days: {step['days']}", "days: 7", 1)\
                .replace("-", "+", 1)
        expected = yaml.safe_load(before)
        for s in expected["steps"]:
            if s["id"] == step["id"]:
                s["days"] = 7
        assert yaml.safe_load(after) == expected
        before = after
        doc = yaml.safe_load(before)
