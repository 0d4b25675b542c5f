"""Hostile bodies are 400s with a pointer, never 500s, and nothing of them is kept."""

from __future__ import annotations

import json
from typing import Any

from tests.runtime.api.conftest import BASE, Api
from tests.runtime.api.samples import DATA, LICENSE


def _raw(api: Api, who: str, path: str, body: str) -> Any:
    return api.client.post(BASE + path, content=body.encode("utf-8", "surrogatepass"),
                           headers={**api.headers(who), "Content-Type": "application/json"})


def _details(response: Any) -> dict[str, str]:
    assert response.status_code == 400, response.text
    return {d["pointer"]: d["message"] for d in response.json()["details"]}


def _case_body(data: dict[str, Any]) -> str:
    return json.dumps({"matter": "enterprise-establishment", "data": data, "materials": {}})


def test_a_lone_surrogate_anywhere_is_a_400_with_its_pointer(api: Api) -> None:
    body = _case_body({**DATA, "company_name": "PLACEHOLDER"}).replace("PLACEHOLDER", "\\ud800")
    assert _details(_raw(api, "alice", "/cases", body)) == {
        "/data/company_name": "内容含有无效的 Unicode 字符（单独的代理项 U+D800）"}
    key = _case_body({**DATA, "KEY": 1}).replace("KEY", "\\udfff")
    assert _details(_raw(api, "alice", "/cases", key)) == {
        "/data/\ufffd": "名称含有无效的 Unicode 字符（单独的代理项 U+DFFF）"}
    assert api.ok(api.get("alice", "/cases")) == []


def test_data_nested_900_levels_is_a_400_not_a_500(api: Api) -> None:
    deep = '{"x": ' * 900 + "1" + "}" * 900
    body = _case_body({**DATA, "deep": "PLACEHOLDER"}).replace('"PLACEHOLDER"', deep)
    details = _details(_raw(api, "alice", "/cases", body))
    assert details == {"/data/deep" + "/x" * 30: "嵌套超过 32 层"}
    # deeper than the JSON decoder goes is refused as well
    deeper = _case_body({}).replace("{}", "[" * 100_000 + "]" * 100_000)
    assert _details(_raw(api, "alice", "/cases", deeper)) == {"": "嵌套超过 32 层"}


def test_control_characters_in_text_are_refused(api: Api) -> None:
    for text in ("云川\x00公司", "云川\x1b[31m公司", "云川\x7f公司"):
        response = api.post("alice", "/cases", {"matter": "enterprise-establishment",
                                                "data": {**DATA, "company_name": text}})
        assert list(_details(response)) == ["/data/company_name"], text
    line_breaks = {**DATA, "business_scope": "一般项目：技术服务。\n许可项目：\t食品销售。\r\n"}
    created = api.post("alice", "/cases", {"matter": "enterprise-establishment",
                                           "data": line_breaks})
    assert created.status_code != 400 or "/data/business_scope" not in _details(created)


def test_keys_the_form_does_not_define_are_refused(api: Api) -> None:
    data = {**DATA, "is_admin": True,
            "legal_representative": {**DATA["legal_representative"], "note": "x"}}
    response = api.post("alice", "/cases", {"matter": "enterprise-establishment", "data": data})
    fields = {p for p in _details(response) if not p.startswith("/materials/")}
    assert fields == {"/is_admin", "/legal_representative/note"}
    assert api.ok(api.get("alice", "/cases")) == []


def test_task_data_is_held_to_the_same_rules(api: Api) -> None:
    case = api.accepted("alice")
    task = api.task(case, "license")["id"]
    api.ok(api.post("amr1", f"/tasks/{task}/claim"))
    extra = api.post("amr1", f"/tasks/{task}/approve", {"data": {**LICENSE, "admin": 1}})
    assert _details(extra) == {"/admin": "“admin”不是表单中的内容"}
    nul = api.post("amr1", f"/tasks/{task}/approve",
                   {"data": {**LICENSE, "license_no": "9153\x00"}})
    assert set(_details(nul)) == {"/data/license_no"}
    surrogate = _raw(api, "amr1", f"/tasks/{task}/approve",
                     json.dumps({"data": LICENSE, "opinion": "SUR"}).replace("SUR", "\\ud83d"))
    assert set(_details(surrogate)) == {"/opinion"}
    wrong = api.post("amr1", f"/tasks/{task}/approve",
                     {"data": {**LICENSE, "license_no": "91530100MA6K0000AX"}})
    message = _details(wrong)["/license_no"]  # the right last character is Y
    assert message.endswith("”：应为 18 位统一社会信用代码，末位校验码不正确"), message
    api.ok(api.post("amr1", f"/tasks/{task}/approve", {"data": LICENSE}))
