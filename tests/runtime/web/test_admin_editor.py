"""The guided editor changes exactly what was edited (issue 11, defect 1), posting the
forms as the browser does: every input of the rendered form, only one value changed."""

from __future__ import annotations

import ast
import difflib
from html.parser import HTMLParser

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
    client, _, _token = admin_app
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


def _post(client: TestClient, matter: str, pairs: list[tuple[str, str]]) -> str:
    response = client.post(f"/admin/matters/{matter}/guided", data={
        k: [v for kk, v in pairs if kk == k] for k in dict(pairs)})
    assert response.status_code == 200, response.text[-2000:]
    return response.text


@pytest.mark.parametrize("matter", MATTERS)
def test_saving_any_item_unchanged_creates_no_draft(
        admin_app: tuple[TestClient, Services, str], matter: str) -> None:  # noqa: F811
    client, services, _ = admin_app
    html = client.get(f"/admin/matters/{matter}/edit").text
    doc = yaml.safe_load((ROOT / "catalog" / "matters" / f"{matter}.yaml").read_text("utf-8"))
    forms = [form_of(html, "update_step", s["id"]) for s in doc["steps"]]
    forms += [form_of(html, "update_material", m["id"]) for m in doc.get("materials", [])]
    forms += [form_of(html, "update_field", name) for name, schema in
              doc["form"]["properties"].items() if schema.get("type") != "object"
              and f'value="update_field"><input type="hidden" name="key" value="{name}"' in html]
    parser = _Forms()
    parser.feed(html)
    forms += [f for f in parser.forms if ("op", "basic") in f]
    for pairs in forms:
        assert "没有改动，未创建草稿" in _post(client, matter, pairs), pairs[:4]
    assert services.admin.admin_store.draft(matter) is None


def test_editing_a_field_keeps_its_length_type_and_default(
        admin_app: tuple[TestClient, Services, str]) -> None:  # noqa: F811
    client, _, _ = admin_app
    matter = "chengdu-domestic-enterprise"
    before = (ROOT / "catalog" / "matters" / f"{matter}.yaml").read_text("utf-8")
    html = client.get(f"/admin/matters/{matter}/edit").text
    pairs = [(k, "印章数量" if k == "title" else v)
             for k, v in form_of(html, "update_field", "seal_count")]
    _post(client, matter, pairs)
    after = client.get(f"/admin/matters/{matter}/export?version=draft").text
    assert _changed_lines(before, after) == ["-      title: 申请刻制印章数量（枚）",
                                             "+      title: 印章数量"]
    field = yaml.safe_load(after)["form"]["properties"]["seal_count"]
    assert field == {"type": "integer", "title": "印章数量", "minimum": 1, "maximum": 10,
                     "default": 3}


def test_a_step_form_edit_keeps_the_reviewer_fields_details(
        admin_app: tuple[TestClient, Services, str]) -> None:  # noqa: F811
    client, _, _ = admin_app
    matter = "chengdu-domestic-enterprise"
    html = client.get(f"/admin/matters/{matter}/edit").text
    pairs = [(k, v.replace("刻制印章准刻证号", "准刻证号") if k == "outputs" else v)
             for k, v in form_of(html, "update_step", "psb")]
    pairs += [("note", "凭准刻证到备案刻章企业刻制。")]
    pairs = [(k, v) for k, v in pairs if not (k == "note" and not v)]
    _post(client, matter, pairs)
    step = next(s for s in yaml.safe_load(client.get(
        f"/admin/matters/{matter}/export?version=draft").text)["steps"] if s["id"] == "psb")
    assert step["form"]["properties"]["seal_permit_no"] == {
        "type": "string", "title": "准刻证号", "maxLength": 50}
    assert step["materials"] == ["seal-application", "legal-rep-id"]
    assert step["note"] == "凭准刻证到备案刻章企业刻制。"


def test_open_edit_discard_and_the_audit_in_words(
        admin_app: tuple[TestClient, Services, str]) -> None:  # noqa: F811
    client, services, token = admin_app
    matter = "enterprise-establishment"
    before = services.admin.admin_store.audit()
    html = client.get(f"/admin/matters/{matter}/edit").text
    assert "尚无草稿" in html and "放弃草稿" not in html
    assert services.admin.admin_store.draft(matter) is None
    assert services.admin.admin_store.audit() == before
    pairs = [(k, "营业执照核发" if k == "name" else v)
             for k, v in form_of(html, "update_step", "license")]
    html = _post(client, matter, pairs)
    assert "已保存草稿" in html and "确认放弃草稿" in html
    refused = client.post(f"/admin/matters/{matter}/discard", data={})
    assert refused.status_code == 403 and services.admin.admin_store.draft(matter) is not None
    done = client.post(f"/admin/matters/{matter}/discard", data={"_csrf": token},
                       follow_redirects=False)
    assert done.status_code == 303 and services.admin.admin_store.draft(matter) is None
    audit = client.get(f"/admin/audit?subject={matter}").text
    assert "在向导中修改草稿" in audit and "放弃草稿" in audit and "管理员" in audit
    assert "draft." not in audit and "admin1" not in audit
    assert "企业开办" in audit  # the matter's name, not only its id


def test_while_the_yaml_has_an_error_the_last_plan_stays_labelled(
        admin_app: tuple[TestClient, Services, str]) -> None:  # noqa: F811
    client, _, token = admin_app
    matter = "enterprise-establishment"
    text = client.get(f"/admin/matters/{matter}/export?version=1").text
    html = client.post(f"/admin/matters/{matter}/yaml", data={
        "yaml": text.replace("department: amr", "department: nope", 1), "_csrf": token}).text
    assert "problem-error" in html and "<svg" in html
    assert "来自最后一次没有错误的状态" in html and "并联方案（最后一次无错误时）" in html


@pytest.mark.parametrize("module", ["editor", "admin"])
def test_the_admin_views_reach_only_the_services(module: str) -> None:
    source = (ROOT / "runtime" / "web" / "views" / f"{module}.py").read_text("utf-8")
    imported = {node.module or "" for node in ast.walk(ast.parse(source))
                if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(ast.parse(source))
                 if isinstance(node, ast.Import) for alias in node.names}
    ours = {m for m in imported if m.startswith(("runtime", "builder"))}
    assert all(m == "runtime.services" or m.startswith(("runtime.web", "runtime.forms",
                                                          "runtime.settings")) for m in ours), ours
