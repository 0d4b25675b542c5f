"""Schemathesis against the served OpenAPI document: no server errors, and every answer
(status, content type, headers, body) is one the document describes.

Bounded (a few examples per operation) so it runs in seconds; callers rotate through an
applicant, the window, a department and a supervisor, and half of the generated ids are
swapped for a real case and task so real documents are checked as well as 404s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from runtime.web.api import operations
from runtime.web.api.openapi import document
from tests.runtime.api.conftest import BASE, Api

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


@dataclass
class World:
    tokens: list[str]
    case: str
    task: str


@pytest.fixture
def world(api: Api) -> World:
    case = api.licensed("alice")
    task = api.task(case, "seal")["id"]
    api.apply("alice")  # a submitted case too, for the window's lists
    tokens = [api.headers(who)["Authorization"] for who in ("alice", "win", "psb1", "sup")]
    return World(tokens, case["id"], task)


#: The document the app serves (checked equal below), loaded once for parametrising.
schema = schemathesis.openapi.from_dict(document(operations))


def test_the_served_document_is_the_one_tested(api: Api) -> None:
    assert api.client.get(f"{BASE}/openapi.json").json() == document(operations)


@schema.parametrize()
@settings(max_examples=6, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_answers_match_the_document(case: Any, app: Any,
                                                         world: World) -> None:
    params = case.path_parameters or {}
    for name, real in (("case_id", world.case), ("task_id", world.task)):
        if name in params and len(params[name]) % 2 == 0:
            params[name] = real
    seed = sum(map(len, params.values())) + len(repr(case.body)) + len(repr(case.query))
    token = world.tokens[seed % len(world.tokens)]
    case.call_and_validate(session=asgi.ASGIClient(app), base_url=f"http://testserver{BASE}",
                           headers={"Authorization": token}, checks=CHECKS)
