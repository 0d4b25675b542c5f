"""Posted strings to typed data, and the render -> post -> parse round trip."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.forms import apply_row_action, build_fields, defaults, parse, prune_hidden, row_action
from tests.runtime.forms.dom import dom, macros, matter, posted

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "count": {"type": "integer"},
        "amount": {"type": "number"},
        "agree": {"type": "boolean"},
        "level": {"enum": [1, 2, 3]},
        "person": {"type": "object", "properties": {"name": {"type": "string"}}},
        "rows": {
            "type": "array",
            "minItems": 1,
            "maxItems": 2,
            "items": {"type": "object", "properties": {"x": {"type": "integer"}}},
        },
    },
}


def test_types_nested_objects_and_arrays() -> None:
    data = parse(SCHEMA, [
        ("name", "张三"), ("count", "42"), ("amount", "1.5"), ("agree", "false"),
        ("agree", "true"), ("level", "2"), ("person.name", "李四"),
        ("rows.7.x", "3"), ("rows.2.x", "1"), ("_csrf", "t"), ("_remove", "rows.0"),
        ("material:id-card", "x"), ("unknown", "y"),
    ])
    assert data == {
        "name": "张三", "count": 42, "amount": 1.5, "agree": True, "level": 2,
        "person": {"name": "李四"}, "rows": [{"x": 1}, {"x": 3}],
    }


def test_mapping_input_last_value_wins_and_empty_is_absent() -> None:
    data = parse(SCHEMA, {"agree": ["false", "on"], "name": [""], "count": "  ", "amount": "-0.5"})
    assert data == {"agree": True, "amount": -0.5}
    assert parse(SCHEMA, {"agree": ["false"]}) == {"agree": False}


def test_garbage_stays_a_string_and_never_raises() -> None:
    data = parse(SCHEMA, [
        ("count", "abc"), ("amount", "1e999"), ("agree", "maybe"), ("level", "9"),
        ("rows.x.x", "1"), ("person", "flat"), ("name.deep", "z"), ("amount.0", "q"),
    ])
    assert data["count"] == "abc"
    assert data["amount"] == "1e999"
    assert data["agree"] == "maybe"
    assert data["level"] == 9  # typed as a number; validation reports the enum
    assert parse(SCHEMA, [("count", "7.0"), ("amount", "1_000")]) == {"count": 7, "amount": "1_000"}


def test_prefix_selects_one_form() -> None:
    pairs = [("license.name", "a"), ("name", "b"), ("licensex.name", "c")]
    assert parse(SCHEMA, pairs, prefix="license") == {"name": "a"}


def test_row_actions_add_and_remove_within_limits() -> None:
    data = {"rows": [{"x": 1}, {"x": 2}]}
    assert row_action([("rows.0.x", "1"), ("_remove", "rows.0")]) == ("remove", "rows.0")
    assert apply_row_action(SCHEMA, data, ("remove", "rows.0")) == {"rows": [{"x": 2}]}
    assert apply_row_action(SCHEMA, data, ("add", "rows")) == data  # at maxItems
    one = {"rows": [{"x": 1}]}
    assert apply_row_action(SCHEMA, one, ("remove", "rows.0")) == one  # at minItems
    assert apply_row_action(SCHEMA, one, ("add", "rows")) == {"rows": [{"x": 1}, {}]}
    assert apply_row_action(SCHEMA, one, None) == one
    assert apply_row_action(SCHEMA, one, ("remove", "name.0")) == one


def _render_and_post(schema: dict[str, Any], ui: dict[str, Any] | None,
                     data: dict[str, Any]) -> list[tuple[str, str]]:
    return posted(dom(macros().body(build_fields(schema, ui, data, None))))


def test_enterprise_form_round_trip() -> None:
    m = matter()
    data = defaults(m["form"]) | {
        "company_name": "云川市青禾农业科技有限公司",
        "address": "云川市新城区锦程路18号2栋3单元1205室",
        "registered_capital": 100.5,
        "business_scope": "一般项目：技术服务。\n许可项目：食品销售。",
        "legal_representative": {"name": "王五", "position": "经理",
                                 "id_no": "110101199003071233", "mobile": "13800138000"},
        "shareholders": [
            {"name": "王五", "kind": "自然人", "id_no": "110101199003071233",
             "subscribed_capital": 60, "contribution_method": "货币",
             "contribution_deadline": "2030-01-31"},
            {"name": "<b>甲</b>公司", "kind": "企业法人", "id_no": "91530100MA6K000000",
             "subscribed_capital": 40.5, "contribution_method": "实物",
             "contribution_deadline": "2029-12-31"},
        ],
        "finance_officer": {"name": "赵六"},
        "bank": "中国银行",
    }
    pairs = _render_and_post(m["form"], m["ui"], data)
    assert prune_hidden(m["form"], m["ui"], parse(m["form"], pairs)) == data


_SAFE_TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12
).filter(lambda s: s.strip() != "")


@st.composite
def flat_forms(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    names = draw(st.lists(st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True),
                          min_size=1, max_size=6, unique=True))
    props: dict[str, Any] = {}
    hints: dict[str, Any] = {}
    data: dict[str, Any] = {}
    for name in names:
        kind = draw(st.sampled_from(
            ["text", "textarea", "integer", "number", "checkbox", "yesno", "select", "radio"]))
        value: Any = None
        if kind in ("text", "textarea"):
            props[name] = {"type": "string"}
            if kind == "textarea":
                hints[name] = {"widget": "textarea"}
                value = draw(st.none() | st.text(
                    st.characters(blacklist_categories=("Cs", "Cc"), whitelist_characters="\n"),
                    min_size=1, max_size=12).filter(lambda s: s.strip() != ""))
            else:
                value = draw(st.none() | _SAFE_TEXT)
        elif kind == "integer":
            props[name] = {"type": "integer", "minimum": -5}
            value = draw(st.none() | st.integers(-10**12, 10**12))
        elif kind == "number":
            props[name] = {"type": "number"}
            value = draw(st.none() | st.integers(-10**6, 10**6)
                         | st.floats(allow_nan=False, allow_infinity=False))
        elif kind == "checkbox":
            props[name] = {"type": "boolean"}
            value = draw(st.booleans())  # an unchecked box posts false: never absent
        elif kind == "yesno":
            props[name] = {"type": "boolean"}
            hints[name] = {"widget": "radio"}
            value = draw(st.none() | st.booleans())
        else:
            choices = draw(st.lists(_SAFE_TEXT, min_size=1, max_size=4, unique=True))
            props[name] = {"type": "string", "enum": choices}
            if kind == "radio":
                hints[name] = {"widget": "radio"}
            value = draw(st.none() | st.sampled_from(choices))
        if value is not None:
            data[name] = value
    schema = {"type": "object", "properties": props}
    return schema, {"fields": hints}, data


@settings(max_examples=60, deadline=None)
@given(flat_forms())
def test_render_post_parse_round_trip(form: tuple[dict[str, Any], dict[str, Any],
                                                  dict[str, Any]]) -> None:
    schema, ui, data = form
    assert parse(schema, _render_and_post(schema, ui, data)) == data
