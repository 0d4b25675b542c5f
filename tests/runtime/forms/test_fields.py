"""Rendering every field type through build_fields + forms/_fields.html."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.forms import (
    FieldError,
    build_fields,
    build_row,
    condition_fields,
    defaults,
    validate,
)
from tests.runtime.forms.dom import Element, dom, macros, matter

M = matter()
SCHEMA, UI = M["form"], M["ui"]


def render(data: dict[str, Any] | None = None, errors: list[FieldError] | None = None,
           **kw: Any) -> Element:
    fields = build_fields(SCHEMA, UI, defaults(SCHEMA) if data is None else data, errors)
    return dom(macros().body(fields, **kw))


def wrapper(root: Element, path: str) -> Element:
    return root.find("div", data_name=path)


def has_req(element: Element) -> bool:
    marks = element.find_all("span", class_="req")
    hidden = [s for s in element.find_all("span", class_="visually-hidden") if s.text() == "必填"]
    return bool(marks) and marks[0].text() == "*" and bool(hidden)


def test_every_control_has_a_label_tied_to_its_id() -> None:
    root = render()
    controls = [
        e for e in root.iter()
        if e.tag in ("input", "select", "textarea") and e.get("type") != "hidden"
    ]
    assert len(controls) > 30
    ids = [c.get("id") for c in controls]
    assert len(ids) == len(set(ids))
    for control in controls:
        labels = root.find_all("label", for_=control.get("id") or "?")
        assert len(labels) == 1, control.attrs
        assert labels[0].text().strip()
    assert root.by_id("f-legal_representative-id_no").get("name") == "legal_representative.id_no"


def test_required_markers_only_on_required_fields() -> None:
    root = render()
    assert has_req(root.find("label", for_="f-company_name"))
    assert has_req(root.find("label", for_="f-shareholders-0-name"))
    assert not has_req(root.find("label", for_="f-finance_officer-name"))
    assert not has_req(root.find("label", for_="f-employees"))
    # required only through if/then, and that condition holds by default (needs_seal: true)
    assert has_req(root.find("label", for_="f-seal_count"))


def test_number_inputs_carry_min_max_step() -> None:
    root = render()
    capital = root.by_id("f-registered_capital")
    assert (capital.get("type"), capital.get("min"), capital.get("max"), capital.get("step")) == (
        "number", "0.01", "10000000", "any")
    seals = root.by_id("f-seal_count")
    assert (seals.get("min"), seals.get("max"), seals.get("step"), seals.get("value")) == (
        "1", "10", "1", "5")


def test_enum_select_and_radio() -> None:
    root = render()
    select = root.by_id("f-company_type")
    assert select.tag == "select"
    values = [o.get("value") for o in select.find_all("option")]
    assert values == ["", *SCHEMA["properties"]["company_type"]["enum"]]
    assert [o.get("value") for o in select.find_all("option") if o.has("selected")] == [
        "有限责任公司（自然人投资或控股）"]
    radios = root.find_all("input", name="applicant_role")
    assert [r.get("type") for r in radios] == ["radio", "radio"]
    assert [r.get("value") for r in radios] == ["法定代表人本人", "委托代理人"]
    assert radios[0].get("id") == "f-applicant_role" and radios[0].has("checked")
    for radio in radios:
        label = root.find("label", for_=radio.get("id") or "?")
        assert label.text() == radio.get("value")
    group = root.by_id("f-applicant_role-group")
    assert group.tag == "fieldset" and has_req(group.find("legend"))
    booleans = root.find_all("input", name="needs_seal")
    assert [(b.get("value"), b.has("checked")) for b in booleans] == [
        ("true", True), ("false", False)]


def test_textarea_text_date_and_placeholder() -> None:
    data = defaults(SCHEMA) | {"business_scope": "技术服务\n技术开发"}
    root = render(data)
    area = root.by_id("f-business_scope")
    assert area.tag == "textarea" and area.get("maxlength") == "2000"
    assert area.text().removeprefix("\n") == "技术服务\n技术开发"
    assert root.by_id("f-shareholders-0-contribution_deadline").get("type") == "date"
    assert root.by_id("f-company_name").get("placeholder") == "云川市青禾农业科技有限公司"


def test_nested_object_is_a_fieldset_with_legend() -> None:
    root = render()
    fieldset = root.by_id("f-legal_representative")
    assert fieldset.tag == "fieldset"
    assert fieldset.find("legend").text().startswith("法定代表人")
    names = [e.get("name") for e in fieldset.find_all("input")]
    assert "legal_representative.name" in names and "legal_representative.mobile" in names
    help_ = root.by_id("f-legal_representative-mobile-help")
    assert root.by_id("f-legal_representative-mobile").get("aria-describedby") == help_.get("id")


def shareholders(n: int) -> list[dict[str, Any]]:
    return [{"name": f"股东{i}", "kind": "自然人"} for i in range(n)]


def test_array_rows_have_indexed_names_and_add_button() -> None:
    root = render(defaults(SCHEMA) | {"shareholders": shareholders(2)}, add_row_url="/rows")
    rows = root.by_id("f-shareholders-rows").find_all("fieldset", class_="row")
    assert [r.get("id") for r in rows] == ["f-shareholders-0", "f-shareholders-1"]
    assert rows[1].find("legend").text() == "股东 2"
    assert root.by_id("f-shareholders-1-name").get("name") == "shareholders.1.name"
    assert root.by_id("f-shareholders-1-name").get("value") == "股东1"
    add = root.find("button", name="_add")
    assert add.get("value") == "shareholders" and add.get("type") == "submit"
    assert (add.get("hx-post"), add.get("hx-target"), add.get("hx-swap")) == (
        "/rows", "#f-shareholders-rows", "beforeend")
    removes = root.find_all("button", name="_remove")
    assert [b.get("value") for b in removes] == ["shareholders.0", "shareholders.1"]
    assert all(b.get("type") == "submit" and b.has("formnovalidate") for b in removes)


def test_array_respects_min_and_max_items() -> None:
    at_min = render(defaults(SCHEMA) | {"shareholders": shareholders(1)})
    assert at_min.find_all("button", name="_remove") == []
    assert at_min.find_all("button", name="_add")
    at_max = render(defaults(SCHEMA) | {"shareholders": shareholders(50)})
    assert at_max.find_all("button", name="_add") == []
    assert len(at_max.find_all("button", name="_remove")) == 50
    empty = render(defaults(SCHEMA) | {"shareholders": []})  # padded to minItems
    assert len(empty.by_id("f-shareholders-rows").find_all("fieldset", class_="row")) == 1


def test_build_row_renders_one_fragment_for_index() -> None:
    row = build_row(SCHEMA, UI, "shareholders", 3, defaults(SCHEMA))
    root = dom(macros().row(row, live_url="/live"))
    assert [e.tag for e in root.children] == ["fieldset"]
    assert root.by_id("f-shareholders-3-kind").get("name") == "shareholders.3.kind"
    method = root.by_id("f-shareholders-3-contribution_method")
    assert [o.get("value") for o in method.find_all("option") if o.has("selected")] == ["货币"]
    remove = root.find("button", name="_remove")
    assert remove.get("value") == "shareholders.3" and remove.get("hx-post") is None
    with pytest.raises(KeyError):
        build_row(SCHEMA, UI, "company_name", 0)


def test_checkbox_has_hidden_false_companion_first() -> None:
    schema = {"type": "object", "properties": {"agree": {"type": "boolean", "title": "同意"}}}
    for value, checked in ((True, True), (False, False), (None, False)):
        data = {} if value is None else {"agree": value}
        root = dom(macros().body(build_fields(schema, None, data, None)))
        inputs = root.find_all("input", name="agree")
        assert [(i.get("type"), i.get("value")) for i in inputs] == [
            ("hidden", "false"), ("checkbox", "true")]
        assert inputs[1].has("checked") is checked
        assert root.find("label", for_="f-agree").text() == "同意"


def test_only_fields_that_conditions_read_post_live() -> None:
    live = condition_fields(SCHEMA, UI)
    assert "needs_seal" in live and "company_name" not in live
    fields = build_fields(SCHEMA, UI, defaults(SCHEMA), None, live=live)
    root = dom(macros().body(fields, live_url="/live"))
    assert "hx-post" not in root.find("div", class_="form-body").attrs
    for radio in root.find_all("input", name="needs_seal"):
        assert (radio.get("hx-post"), radio.get("hx-trigger"), radio.get("hx-swap"),
                radio.get("hx-include")) == ("/live", "change", "none", "closest form")
    assert root.by_id("f-company_name").get("hx-post") is None
    assert root.by_id("f-seal_count-wrap").get("data-field") == "seal_count"
    assert "hx-post" not in str(render())


def test_errors_are_tied_to_controls_and_summarised() -> None:
    data = defaults(SCHEMA) | {"registered_capital": "abc"}
    errors = validate(SCHEMA, data, ui=UI)
    root = render(data, errors)
    capital = root.by_id("f-registered_capital")
    assert capital.get("aria-invalid") == "true"
    described = (capital.get("aria-describedby") or "").split()
    assert described == ["f-registered_capital-help", "f-registered_capital-error"]
    message = root.by_id("f-registered_capital-error")
    assert message.tag == "p" and "field-error" in (message.get("class") or "")
    assert message.text() == "「注册资本（万元）」应为数字"
    assert root.by_id("f-company_name").get("aria-invalid") == "true"
    assert root.by_id("f-employees").get("aria-invalid") is None
    summary = dom(macros().error_summary(errors)).find("div", class_="error-summary")
    assert summary.get("role") == "alert" and summary.get("tabindex") == "-1"
    assert f"请修改以下 {len(errors)} 处错误" in summary.text()
    links = [a.get("href") for a in summary.find_all("a")]
    assert links[:3] == ["#f-company_name", "#f-address", "#f-registered_capital"]
    for href in links:
        root.by_id((href or "#")[1:])  # every link lands on exactly one element
    assert dom(macros().error_summary([])).find_all("div") == []


def test_conditionally_hidden_fields_have_the_hidden_attribute() -> None:
    root = render()
    assert wrapper(root, "pre_approval_name").has("hidden")
    assert wrapper(root, "agent").has("hidden")
    assert not wrapper(root, "seal_count").has("hidden")
    shown = render(defaults(SCHEMA) | {"has_pre_approval": True, "needs_seal": False})
    assert not wrapper(shown, "pre_approval_name").has("hidden")
    assert wrapper(shown, "seal_count").has("hidden")
    assert wrapper(shown, "pre_approval_name").get("data-field") == "pre_approval_name"


def test_prefix_namespaces_names_and_ids() -> None:
    step = M["steps"][0]["form"]
    fields = build_fields(step, None, {}, None, prefix="license")
    root = dom(macros().body(fields))
    assert root.by_id("f-license-license_no").get("name") == "license.license_no"
    assert root.by_id("f-license-established_on").get("type") == "date"
