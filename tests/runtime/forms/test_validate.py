"""Chinese messages at the right pointers."""

from __future__ import annotations

import time
from typing import Any

import pytest

from runtime.forms import FieldError, defaults, parse, validate
from runtime.forms.schema import validator_for
from tests.runtime.forms.dom import matter

M = matter()
SCHEMA, UI = M["form"], M["ui"]


def messages(schema: dict[str, Any], data: dict[str, Any], **kw: Any) -> dict[str, str]:
    return {e.pointer: e.message for e in validate(schema, data, **kw)}


def valid_enterprise() -> dict[str, Any]:
    return defaults(SCHEMA) | {
        "company_name": "云川市青禾农业科技有限公司",
        "address": "云川市新城区锦程路18号2栋3单元1205室",
        "registered_capital": 100,
        "business_scope": "一般项目：技术服务。",
        "legal_representative": {"name": "王五", "position": "经理",
                                 "id_no": "110101199003071233", "mobile": "13800138000"},
        "shareholders": [{"name": "王五", "kind": "自然人", "id_no": "110101199003071233",
                          "subscribed_capital": 100, "contribution_method": "货币",
                          "contribution_deadline": "2030-01-31"}],
        "bank": "中国银行",
    }


def test_valid_enterprise_form_has_no_errors() -> None:
    assert validate(SCHEMA, valid_enterprise(), ui=UI) == []


def test_nested_required_is_reported_at_the_missing_field() -> None:
    data = valid_enterprise()
    del data["legal_representative"]["id_no"]
    errors = validate(SCHEMA, data, ui=UI)
    assert errors == [FieldError(
        "/legal_representative/id_no", "f-legal_representative-id_no",
        "「法定代表人 · 居民身份证号码」为必填项")]


def test_array_item_fields_get_row_labels_and_indexed_pointers() -> None:
    data = valid_enterprise()
    data["shareholders"].append({"name": "李四", "subscribed_capital": 0,
                                 "id_no": "123", "contribution_deadline": "2030-02-30"})
    found = messages(SCHEMA, data, ui=UI)
    assert found == {
        "/shareholders/1/kind": "「股东 2 · 股东类型」为必填项",
        "/shareholders/1/id_no": "「股东 2 · 证件号码」不能少于 18 个字符",
        "/shareholders/1/subscribed_capital": "「股东 2 · 认缴出资额（万元）」不能小于 0.01",
        "/shareholders/1/contribution_method": "「股东 2 · 出资方式」为必填项",
        "/shareholders/1/contribution_deadline":
            "「股东 2 · 认缴出资期限」请输入有效的日期（如 2026-01-31）",
    }


def test_garbage_number_is_a_type_error_not_a_crash() -> None:
    data = parse(SCHEMA, [("registered_capital", "abc"), ("seal_count", "2.5"),
                          ("needs_seal", "true")])
    found = messages(SCHEMA, data, ui=UI)
    assert found["/registered_capital"] == "「注册资本（万元）」应为数字"
    assert found["/seal_count"] == "「印章数量（枚）」应为整数"
    assert found["/company_name"] == "「企业名称」为必填项"


KEYWORDS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "age": {"type": "integer", "title": "年龄", "minimum": 0, "maximum": 150},
        "ratio": {"type": "number", "title": "比例", "exclusiveMinimum": 0,
                  "exclusiveMaximum": 1},
        "nick": {"type": "string", "title": "昵称", "minLength": 2, "maxLength": 4},
        "code": {"type": "string", "title": "代码", "pattern": "^[A-Z]+$"},
        "flag": {"type": "boolean", "title": "同意"},
        "agree": {"const": True, "title": "承诺"},
        "color": {"enum": ["红", "绿"], "title": "颜色"},
        "mail": {"type": "string", "format": "email", "title": "电子邮箱"},
        "size": {"type": "string", "title": "尺寸", "oneOf": [
            {"const": "s", "title": "小"}, {"const": "l", "title": "大"}]},
        "odd": {"type": "integer", "title": "奇数", "not": {"multipleOf": 2}},
        "tags": {"type": "array", "title": "标签", "minItems": 1, "maxItems": 2,
                 "items": {"type": "string"}},
    },
}


@pytest.mark.parametrize(("data", "pointer", "message"), [
    ({"age": -1}, "/age", "「年龄」不能小于 0"),
    ({"age": 151}, "/age", "「年龄」不能大于 150"),
    ({"ratio": 0}, "/ratio", "「比例」必须大于 0"),
    ({"ratio": 1}, "/ratio", "「比例」必须小于 1"),
    ({"nick": "a"}, "/nick", "「昵称」不能少于 2 个字符"),
    ({"nick": "abcde"}, "/nick", "「昵称」不能超过 4 个字符"),
    ({"code": "a1"}, "/code", "「代码」格式不正确，应符合规则：^[A-Z]+$"),
    ({"flag": "maybe"}, "/flag", "「同意」应为是或否"),
    ({"nick": 5}, "/nick", "「昵称」应为文字"),
    ({"agree": False}, "/agree", "「承诺」必须选择“是”"),
    ({"color": "蓝"}, "/color", "「颜色」请从以下选项中选择：红、绿"),
    ({"mail": "not-an-email"}, "/mail", "「电子邮箱」请输入有效的电子邮箱"),
    ({"size": "m"}, "/size", "「尺寸」请从以下选项中选择：小、大"),
    ({"odd": 4}, "/odd", "「奇数」填写内容不符合要求"),
    ({"tags": []}, "/tags", "「标签」至少填写 1 项"),
    ({"tags": ["a", "b", "c"]}, "/tags", "「标签」最多 2 项"),
    ({"x<y": 1}, "", "不允许的字段：x<y"),
])
def test_keyword_messages(data: dict[str, Any], pointer: str, message: str) -> None:
    assert messages(KEYWORDS, data) == {pointer: message}


def test_errors_are_sorted_in_form_order_not_schema_order() -> None:
    schema = {"type": "object", "required": ["b", "a", "c"],
              "properties": {"a": {"type": "string"}, "b": {"type": "string"},
                             "c": {"type": "string"}}}
    ui = {"order": ["c", "a"]}
    assert [e.pointer for e in validate(schema, {}, ui=ui)] == ["/c", "/a", "/b"]


def test_prefix_only_changes_field_ids() -> None:
    step = M["steps"][0]["form"]
    errors = validate(step, {"license_no": "x"}, prefix="license")
    assert [(e.pointer, e.field_id) for e in errors] == [
        ("/license_no", "f-license-license_no"), ("/established_on", "f-license-established_on")]


def test_no_remote_ref_is_fetched(monkeypatch: pytest.MonkeyPatch) -> None:
    import urllib.request

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("network access")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    schema = {"type": "object",
              "properties": {"x": {"$ref": "https://example.invalid/schema.json"}}}
    with pytest.raises(Exception) as caught:
        validate(schema, {"x": 1})
    assert not isinstance(caught.value, AssertionError)


def test_validators_are_cached_per_schema_object() -> None:
    assert validator_for(SCHEMA) is validator_for(SCHEMA)
    assert validator_for(dict(SCHEMA)) is not validator_for(SCHEMA)


FORMATTED: dict[str, Any] = {
    "type": "object",
    "properties": {
        "licence": {"type": "string", "title": "统一社会信用代码", "format": "uscc"},
        "id_no": {"type": "string", "title": "居民身份证号码", "format": "cn-ric"},
        "mobile": {"type": "string", "title": "手机号码", "format": "cn-mobile"},
        "org": {"type": "string", "title": "组织机构代码", "format": "cn-orgcode"},
        "permit": {"type": "string", "title": "许可证编号", "pattern": "^乡字第[0-9]{6}号$",
                   "description": "如“乡字第202400号”"},
        "note": {"type": "string", "title": "备注"},
    },
}


@pytest.mark.parametrize(("data", "pointer", "message"), [
    ({"licence": "91530100MA6K0000AX"}, "/licence",
     "「统一社会信用代码」应为 18 位统一社会信用代码，末位校验码不正确"),
    ({"licence": "91530100MA6K0000A"}, "/licence",
     "「统一社会信用代码」应为 18 位统一社会信用代码（现为 17 位）"),
    ({"id_no": "110101199003074515"}, "/id_no",
     "「居民身份证号码」应为 18 位居民身份证号码，末位校验码不正确"),
    ({"id_no": "110101199013074518"}, "/id_no",
     "「居民身份证号码」应为 18 位居民身份证号码，第 7 至 14 位的出生日期无效"),
    ({"mobile": "1381234"}, "/mobile", "「手机号码」应为 11 位中国大陆手机号码，如 13812345678"),
    ({"org": "60003734-2"}, "/org", "「组织机构代码」应为 9 位组织机构代码，末位校验码不正确"),
    ({"permit": "乡字第1号"}, "/permit", "「许可证编号」格式不正确，应为：如“乡字第202400号”"),
    ({"note": "一\x00二"}, "/note", "「备注」内容含有不允许的控制字符（U+0000）；请删除后重新填写"),
])
def test_format_and_pattern_errors_say_what_is_expected(data: dict[str, Any], pointer: str,
                                                        message: str) -> None:
    assert messages(FORMATTED, data) == {pointer: message}


def test_valid_chinese_numbers_pass() -> None:
    assert messages(FORMATTED, {"licence": "91530100MA6K0000AY", "id_no": "110101199003074514",
                                "mobile": "13812345678", "org": "60003734-1",
                                "permit": "乡字第202400号", "note": "第一行\n第二行\t"}) == {}


def test_a_catastrophic_pattern_runs_in_linear_time() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string", "pattern": "^(a+)+$"}}}
    started = time.perf_counter()
    for n in (28, 40, 10_000):
        assert set(messages(schema, {"a": "a" * n + "b"})) == {"/a"}
    assert time.perf_counter() - started < 0.5  # Python's re: 6 s at 28, hours at 40
