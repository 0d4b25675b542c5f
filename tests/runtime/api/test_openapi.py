"""The OpenAPI document: complete (every route, and nothing else) and truthful."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from starlette.routing import Mount, Route

from runtime.web.api import BASE, operations, routes
from tests.runtime.api.conftest import Api

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def doc(api: Api) -> dict[str, Any]:
    return dict(api.client.get(BASE + "/openapi.json").json())


def _registered(app: Any) -> set[tuple[str, str]]:
    """(METHOD, path under /api/v1) of every route the app serves there."""
    found = set()
    for route in app.routes:
        if isinstance(route, Mount) and route.path == BASE:
            for sub in route.routes:
                assert isinstance(sub, Route)
                found |= {(m, sub.path) for m in sub.methods or () if m != "HEAD"}
    return found


def test_every_route_is_documented_and_every_documented_path_is_served(
        doc: dict[str, Any], app: Any) -> None:
    documented = {(m.upper(), path) for path, item in doc["paths"].items()
                  for m in item if m in METHODS}
    assert documented == _registered(app)
    assert len(documented) == len(operations) == 65


def test_the_api_is_one_mount(app: Any) -> None:
    assert [r for r in app.routes if getattr(r, "path", "").startswith(BASE)] == routes


def test_document_basics(doc: dict[str, Any]) -> None:
    assert doc["openapi"] == "3.1.0"
    assert doc["servers"] == [{"url": BASE}]
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": "an API token"}
    assert doc["security"] == [{"bearer": []}]
    assert {"Case", "Task", "Matter", "Plan", "File", "Error"} <= set(
        doc["components"]["schemas"])
    ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))


def test_every_operation_is_described(doc: dict[str, Any]) -> None:
    for path, item in doc["paths"].items():
        names = re.findall(r"{(\w+)}", path)
        for method, op in item.items():
            assert op["summary"] and op["description"].startswith("Who: ")
            params = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
            assert params == names, (method, path)
            ok = [s for s in op["responses"] if s.startswith("2")]
            assert ok == (["201"] if (method, path) in {("post", "/files"), ("post", "/cases"),
                                                          ("post", "/users"),
                                                          ("post", "/cases/{case_id}/rating"),
                                                          ("post", "/cases/{case_id}/originals"),
                                                          ("post", "/complaints"),
                                                          ("post", "/consultations")}
                          else ["200"]), (method, path)
            # the bank's confirmation carries no token but a signature over its raw body
            signed = path == "/fees/bank-confirmations"
            if path == "/openapi.json" or path.startswith("/public/"):
                assert op["security"] == []  # anyone, no token
            else:
                assert "401" in op["responses"] and ("security" not in op or signed)
            if method == "post" and path != "/files" and not signed:
                assert "application/json" in op["requestBody"]["content"]
                assert {"400", "413"} <= set(op["responses"])


def test_every_reference_resolves(doc: dict[str, Any]) -> None:
    refs = set(re.findall(r'"\$ref": "#/components/schemas/(\w+)"', str(doc).replace("'", '"')))
    assert refs and refs <= set(doc["components"]["schemas"])


def _validator(doc: dict[str, Any], name: str) -> Draft202012Validator:
    registry = Registry().with_resource("urn:api", Resource.from_contents(
        {"components": doc["components"]}, default_specification=DRAFT202012))
    return Draft202012Validator({"$ref": f"urn:api#/components/schemas/{name}"},
                                registry=registry)


def _conforms(doc: dict[str, Any], name: str, value: Any) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}"
              for e in _validator(doc, name).iter_errors(value)]
    assert not errors, errors


def test_real_documents_conform_to_their_schemas(doc: dict[str, Any], api: Api) -> None:
    _conforms(doc, "MatterDetail", api.ok(api.get("alice", "/matters/enterprise-establishment")))
    for matter in api.ok(api.get("alice", "/matters")):
        _conforms(doc, "Matter", matter)
    case = api.licensed("alice")
    _conforms(doc, "Case", case)
    for row in api.ok(api.get("psb1", "/tasks")):
        _conforms(doc, "Task", row)
    for listed in api.ok(api.get("win", "/cases")):
        _conforms(doc, "Case", listed)
    meta = api.ok(api.post("alice", "/files", files={"file": ("a.pdf", b"%PDF-1.4\n")}), 201)
    _conforms(doc, "File", meta)
    error = api.client.get(BASE + "/cases")
    _conforms(doc, "Error", error.json())
    validation = api.post("alice", "/cases", {"matter": 1})
    _conforms(doc, "Error", validation.json())


def test_every_endpoint_has_a_curl_example_in_the_docs() -> None:
    text = (Path(__file__).parents[3] / "docs" / "api.md").read_text("utf-8")
    for op in operations:
        if op.public:
            continue
        path = op.path.replace("{case_id}", "c_…").replace("{task_id}", "t_…").replace(
            "{matter_id}", "enterprise-establishment").replace("{user_id}", "u_…").replace(
            "{kind}", "receipt").replace("{day}", "2026-11-30").replace(
            "{notice_id}", "n_…").replace("{complaint_id}", "k_…").replace(
            "{question_id}", "q_…").replace("{holder}", "91530100MA6K2Y7X37").replace(
            "{job_id}", "exchange:…")
        assert re.search(rf"\$API{re.escape(path)}(?![\w/-])", text), op.path
