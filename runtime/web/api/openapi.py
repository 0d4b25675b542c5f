"""The OpenAPI 3.1 document, built from the same `Operation` list that builds the routes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from runtime.web.api.operation import Operation
from runtime.web.api.schemas import COMPONENTS, ref

Schema = dict[str, Any]
BASE = "/api/v1"
DESCRIPTIONS = {
    400: "the request is malformed or a field is invalid (`details` lists each field)",
    401: "no token, or an unknown one (`WWW-Authenticate: Bearer`)",
    403: "the caller's role may not do this",
    404: "no such thing, or one the caller may not see",
    409: "the current state does not allow this",
    413: "the body or the file is too large",
    415: "the file's real type is not accepted",
    429: "too many attempts: wait before trying again",
}
ID_PATTERNS = {
    "case_id": ("a case id", "^c_[0-9a-f]+$"),
    "task_id": ("a task id", "^t_[0-9a-f]+-[0-9]+$"),
    "matter_id": ("a matter id", "^[a-z0-9][a-z0-9-]*$"),
    "user_id": ("a user id", "^u_[0-9a-f]+$"),
    "kind": ("a kind of formal document", "^[a-z]+$"),
    "day": ("a date, YYYY-MM-DD", "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
    "notice_id": ("a notification id", "^n_[0-9a-f]{16}[0-9]{8}$"),
    "complaint_id": ("a complaint id", "^k_[0-9a-f]+$"),
    "question_id": ("a question id", "^q_[0-9a-f]+$"),
    "job_id": ("a queued exchange message's job id", "^exchange:[A-Za-z0-9_.:-]+$"),
    "number": ("a case number (受理编号)", "^[A-Z]{1,8}[0-9]{14}$"),
    "holder": ("a unified social credit code or resident ID number", "^[0-9A-Za-z]{18}$"),
}


def document(operations: Iterable[Operation]) -> Schema:
    """The whole document."""
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {"title": "onewindow API", "version": "1",
                 "description": "Joint approval (并联审批): matters, files, cases and tasks. "
                 "Authenticate with `Authorization: Bearer TOKEN` (`onewindow token create "
                 "NAME`). Every error is `{error, message, details}`."},
        "servers": [{"url": BASE}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": COMPONENTS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "an API token"}},
        },
    }


def _operation(op: Operation) -> Schema:
    out: Schema = {"operationId": op.operation_id, "summary": op.summary, "tags": [op.tag],
                   "description": f"Who: {op.who}." + (f" {op.description}" if op.description
                                                        else "")}
    if op.public:
        out["security"] = []
    parameters = [_path_param(name) for name in _path_names(op.path)]
    parameters += [{"name": p.name, "in": "query", "required": False,
                    "description": p.description, "schema": p.schema,
                    **({"style": "form", "explode": True} if p.choices else {})}
                   for p in op.query]
    if parameters:
        out["parameters"] = parameters
    if op.body is not None:
        out["requestBody"] = {"required": op.body_required,
                              "content": {"application/json": {"schema": op.body}}}
    if op.multipart is not None:
        out["requestBody"] = {"required": True,
                              "content": {"multipart/form-data": {"schema": op.multipart}}}
    ok: Schema = {"description": "created" if op.status == 201 else "OK",
                  "content": {op.media: {"schema": op.result}}}
    if op.headers:
        ok["headers"] = {name: {"description": "how many items there are without the limit",
                                "schema": schema} for name, schema in op.headers.items()}
    responses: Schema = {str(op.status): ok}
    for status in op.errors:
        responses[str(status)] = {"description": DESCRIPTIONS[status],
                                  "content": {"application/json": {"schema": ref("Error")}}}
    out["responses"] = responses
    return out


def _path_names(path: str) -> list[str]:
    return re.findall(r"\{([a-z_]+)\}", path)


def _path_param(name: str) -> Schema:
    description, pattern = ID_PATTERNS[name]
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "string", "pattern": pattern}}
