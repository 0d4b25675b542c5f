"""API bodies are capped by header first, then while reading; empty query values are errors."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.web.api.operation import MAX_JSON_BYTES
from runtime.web.bodies import ANONYMOUS_BYTES
from tests.runtime.api.conftest import BASE, Api
from tests.runtime.web.raw import KB, MB, call, endless, sized

REFUSE = f"{BASE}/cases/c_0123456789ab/refuse"


def _json_error(answer: Any, status: int, code: str) -> None:
    import json

    assert answer.status == status, answer.text
    assert json.loads(answer.body)["error"] == code


@pytest.mark.parametrize("value", ["", ",", "submitted,", " "])
def test_an_empty_status_filter_is_400_with_a_pointer(api: Api, value: str) -> None:
    response = api.get("win", "/cases", params={"status": value})
    assert response.status_code == 400, response.text
    assert response.json()["details"] == [{"pointer": "/status",
                                           "message": response.json()["details"][0]["message"]}]
    assert "不能为空" in response.json()["details"][0]["message"]
    assert api.get("win", "/cases", params={"status": "submitted"}).status_code == 200
    assert api.get("win", "/cases").status_code == 200  # no filter at all is still fine


def test_a_json_body_is_refused_by_its_length_before_it_is_read(app, api: Api) -> None:  # type: ignore[no-untyped-def]
    headers = {**api.headers("win"), "content-type": "application/json",
               "content-length": str(MAX_JSON_BYTES + 1)}
    answer = call(app, "POST", REFUSE, headers, sized(MAX_JSON_BYTES + 1))
    _json_error(answer, 413, "too_large")
    assert answer.read == 0


def test_a_json_body_without_a_length_is_cut_off_while_reading(app, api: Api) -> None:  # type: ignore[no-untyped-def]
    headers = {**api.headers("win"), "content-type": "application/json",
               "transfer-encoding": "chunked"}
    answer = call(app, "POST", REFUSE, headers, endless(64 * KB))
    _json_error(answer, 413, "too_large")
    assert MAX_JSON_BYTES < answer.read <= MAX_JSON_BYTES + 64 * KB
    assert answer.headers["connection"] == "close"


def test_an_upload_without_a_token_is_refused_before_it_is_read(app) -> None:  # type: ignore[no-untyped-def]
    headers = {"content-type": "multipart/form-data; boundary=x", "content-length": str(30 * MB)}
    answer = call(app, "POST", f"{BASE}/files", headers, sized(30 * MB))
    _json_error(answer, 401, "not_authenticated")
    assert answer.read == 0 and answer.headers["www-authenticate"] == "Bearer"


def test_an_upload_with_a_token_is_capped_by_the_file_limit(app, api: Api) -> None:  # type: ignore[no-untyped-def]
    headers = {**api.headers("alice"), "content-type": "multipart/form-data; boundary=x",
               "content-length": str(21 * MB)}  # one file of at most 20 MB, plus the framing
    answer = call(app, "POST", f"{BASE}/files", headers, sized(21 * MB))
    _json_error(answer, 413, "too_large")
    assert answer.read == 0


def test_an_anonymous_api_body_is_small_and_never_read(app) -> None:  # type: ignore[no-untyped-def]
    chunked = {"content-type": "application/json", "transfer-encoding": "chunked"}
    answer = call(app, "POST", f"{BASE}/cases", chunked, endless(16 * KB))
    _json_error(answer, 401, "not_authenticated")
    assert answer.read == 0
    declared = {"content-type": "application/json", "content-length": str(ANONYMOUS_BYTES + 1)}
    answer = call(app, "POST", f"{BASE}/cases", declared, sized(ANONYMOUS_BYTES + 1))
    _json_error(answer, 413, "too_large")
    assert answer.read == 0


def test_multipart_is_refused_on_api_routes_that_take_json(app, api: Api) -> None:  # type: ignore[no-untyped-def]
    headers = {**api.headers("win"), "content-type": "multipart/form-data; boundary=x",
               "content-length": "100"}
    answer = call(app, "POST", REFUSE, headers, sized(100))
    _json_error(answer, 400, "invalid")
    assert answer.read == 0
