"""What every endpoint shares: tokens, the error shape, JSON bodies, query parameters."""

from __future__ import annotations

import pytest

from tests.runtime.api.conftest import BASE, Api

ERROR_KEYS = {"error", "message", "details"}


def _error(response: object, status: int, code: str) -> list[dict[str, str]]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == ERROR_KEYS and body["error"] == code and body["message"]
    assert response.headers["content-type"] == "application/json"  # type: ignore[attr-defined]
    return list(body["details"])


@pytest.mark.parametrize("method, path", [
    ("GET", "/matters"), ("GET", "/matters/enterprise-establishment"), ("POST", "/files"),
    ("POST", "/cases"), ("GET", "/cases"), ("GET", "/cases/c_0123456789ab"),
    ("POST", "/cases/c_0123456789ab/accept"), ("GET", "/tasks"),
    ("POST", "/tasks/t_0123456789ab-1/claim"),
])
def test_no_token_is_401_with_a_bearer_challenge(api: Api, method: str, path: str) -> None:
    response = api.client.request(method, BASE + path)
    _error(response, 401, "not_authenticated")
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("header", ["Bearer ow_not-a-token", "Basic YWxpY2U6eA==", "Bearer ",
                                    "ow_token-without-scheme"])
def test_a_bad_token_is_401(api: Api, header: str) -> None:
    response = api.client.get(BASE + "/cases", headers={"Authorization": header})
    _error(response, 401, "not_authenticated")


def test_a_session_cookie_does_not_sign_in_to_the_api(api: Api) -> None:
    api.client.cookies.set("ow_session", "anything")
    _error(api.client.get(BASE + "/matters"), 401, "not_authenticated")


def test_the_openapi_document_needs_no_token(api: Api) -> None:
    response = api.client.get(BASE + "/openapi.json")
    assert response.status_code == 200 and response.json()["openapi"].startswith("3.1")


def test_malformed_json_is_400_saying_so(api: Api) -> None:
    response = api.post("alice", "/cases", content=b'{"matter": "x",',
                        headers={"content-type": "application/json"})
    _error(response, 400, "invalid")
    assert "JSON" in response.json()["message"]


@pytest.mark.parametrize("raw", [b"[1, 2]", b'"text"', b"42", b"null"])
def test_a_body_that_is_not_an_object_is_400(api: Api, raw: bytes) -> None:
    response = api.post("win", "/cases/c_0123456789ab/refuse", content=raw)
    assert _error(response, 400, "invalid") == [{"pointer": "", "message": "须为对象"}]


@pytest.mark.parametrize("number", [b"NaN", b"Infinity", b"-Infinity", b"1e400", b"9" * 5000])
def test_numbers_json_cannot_carry_back_are_400(api: Api, number: bytes) -> None:
    response = api.post("alice", "/cases", content=b'{"matter": "x", "data": {"a": %s}}' % number)
    _error(response, 400, "invalid")


def test_deeply_nested_json_is_400_not_a_crash(api: Api) -> None:
    response = api.post("alice", "/cases", content=b"[" * 100_000 + b"]" * 100_000)
    _error(response, 400, "invalid")


def test_wrong_types_are_400_with_a_pointer_per_field(api: Api) -> None:
    response = api.post("alice", "/cases", {"matter": 7, "data": [], "materials": {"a": "f"},
                                            "extra": True})
    assert _error(response, 400, "invalid") == [
        {"pointer": "/data", "message": "须为对象"},
        {"pointer": "/extra", "message": "不支持的字段"},
        {"pointer": "/materials/a", "message": "须为数组"},
        {"pointer": "/matter", "message": "须为字符串"},
    ]


def test_missing_required_keys_are_each_reported(api: Api) -> None:
    response = api.post("alice", "/cases", {})
    assert _error(response, 400, "invalid") == [
        {"pointer": "/data", "message": "必填"}, {"pointer": "/matter", "message": "必填"}]


def test_a_required_body_may_not_be_empty(api: Api) -> None:
    response = api.post("win", "/cases/c_0123456789ab/refuse")
    assert _error(response, 400, "invalid")[0]["pointer"] == ""


def test_pointers_escape_slash_and_tilde(api: Api) -> None:
    response = api.post("alice", "/cases", {"matter": "m", "data": {}, "a/b~c": 1})
    assert _error(response, 400, "invalid") == [{"pointer": "/a~1b~0c", "message": "不支持的字段"}]


def test_an_oversize_json_body_is_413(api: Api) -> None:
    body = b'{"reason": "' + b"x" * (1024 * 1024) + b'"}'
    _error(api.post("win", "/cases/c_0123456789ab/refuse", content=body), 413, "too_large")


@pytest.mark.parametrize("query, pointer", [
    ({"limit": "0"}, "/limit"), ({"limit": "201"}, "/limit"), ({"limit": "ten"}, "/limit"),
    ({"offset": "-1"}, "/offset"), ({"offset": "99999999999999999999"}, "/offset"),
    ({"status": "open"}, "/status"), ({"status": "submitted,nope"}, "/status"),
])
def test_bad_query_parameters_are_400(api: Api, query: dict[str, str], pointer: str) -> None:
    details = _error(api.get("win", "/cases", params=query), 400, "invalid")
    assert [d["pointer"] for d in details] == [pointer]


def test_an_unknown_api_path_is_a_json_404(api: Api) -> None:
    _error(api.get("alice", "/nothing-here"), 404, "not_found")


def test_a_wrong_method_is_a_json_405(api: Api) -> None:
    _error(api.get("win", "/cases/c_0123456789ab/accept"), 405, "method_not_allowed")


def test_the_api_needs_no_csrf_token(api: Api) -> None:
    case = api.apply()
    assert api.post("win", f"/cases/{case['id']}/accept").status_code == 200
