"""JSON Schemas of what the API sends (OpenAPI components) and helpers for request shapes."""

from __future__ import annotations

from typing import Any

from runtime.services import labels

Schema = dict[str, Any]
CASE_STATUSES = tuple(labels.CASE_LABELS)
TASK_STATUSES = tuple(labels.TASK_LABELS)


def ref(name: str) -> Schema:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: tuple[str, ...] = (), *, closed: bool = True, **properties: Schema) -> Schema:
    """An object schema; ``closed`` refuses keys not listed (typos are errors, not ignored)."""
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    if closed:
        schema["additionalProperties"] = False
    return schema


def text(description: str = "") -> Schema:
    """A string."""
    return {"type": "string", "description": description} if description else {"type": "string"}


def maybe(kind: str, **extra: Any) -> Schema:
    """A value of ``kind`` or null."""
    return {"type": [kind, "null"], **extra}


def list_of(items: Schema) -> Schema:
    """An array."""
    return {"type": "array", "items": items}


TIME = maybe("string", format="date-time")
ANY_OBJECT: Schema = {"type": "object"}
FILE_IDS = list_of(text("an uploaded file's id"))
MATERIALS = {"type": "object", "additionalProperties": FILE_IDS,
             "description": "material id → ids of uploaded files"}

ERROR = obj(
    ("error", "message", "details"),
    error=text("machine-readable code: invalid, not_authenticated, forbidden, not_found, "
               "conflict, too_large, unsupported_type, …"),
    message=text("what went wrong, in Chinese"),
    details=list_of(obj(("pointer", "message"), closed=False,
                        pointer=text("JSON pointer into the body (or the query parameter)"),
                        message=text())))

MATTER = obj(("id", "name", "version"), closed=False, id=text(), name=text(),
             version={"type": "integer"}, category=text())

PLAN = obj(
    ("matter", "version", "stages", "critical_path", "parallel_days", "serial_days", "steps"),
    closed=False,
    matter=text(), version={"type": "integer"},
    stages=list_of(list_of(text())), critical_path=list_of(text()),
    parallel_days={"type": "number"}, serial_days={"type": "number"},
    saving_days={"type": "number"}, saving_percent={"type": "number"},
    steps={"type": "object", "additionalProperties": obj(
        ("start", "finish", "slack", "stage"), closed=False,
        start={"type": "number"}, finish={"type": "number"}, slack={"type": "number"},
        stage={"type": "integer"})})

MATTER_DETAIL = obj(
    ("id", "name", "version", "definition", "plan"), closed=False,
    id=text(), name=text(), version={"type": "integer"}, category=text(),
    definition={"type": "object", "description": "the catalog's matter document (form, "
                "materials, steps, …), as published"},
    plan=ref("Plan"))

FILE = obj(("id", "sha256", "name", "size", "content_type"), closed=False,
           id=text(), sha256=text(), name=text(), size={"type": "integer"},
           content_type=text(), uploaded_at=TIME)

CASE_SUMMARY = obj(("id", "number", "matter", "status"), closed=False,
                   id=text(), number=maybe("string"), matter=text(),
                   matter_version={"type": "integer"}, status={"enum": list(CASE_STATUSES)},
                   holder=maybe("string"), updated_at=TIME)

TASK = obj(
    ("id", "case", "step", "department", "status", "ready_at", "due", "light"), closed=False,
    id=text(), case=text("the case id"), step=text(), department=text(),
    status={"enum": list(TASK_STATUSES)},
    ready_at=TIME, due=TIME,
    light={"enum": ["green", "yellow", "red", None],
           "description": "deadline light; null when the task is not running"},
    claimed_by=maybe("string"), provisional={"type": "boolean"},
    limit_days=maybe("number"), previous=maybe("string"),
    preliminary=maybe("object"), decision=maybe("object"),
    suspensions=list_of(ANY_OBJECT), urges=list_of(ANY_OBJECT),
    case_summary=ref("CaseSummary"))

EVENT = obj(("seq", "at", "actor", "action"), closed=False,
            seq={"type": "integer"}, at={"type": "string", "format": "date-time"},
            actor=text(), role=text(), action=text(), entity=text(),
            task=maybe("string"), step=maybe("string"), note=maybe("string"),
            changes=list_of({"type": "array"}))

CERTIFICATE = obj(("name", "number"), closed=False, name=text(), number=text(),
                  holder=maybe("string"), department=text(), step=text(), issued_at=TIME,
                  kind=text("the certificate kind it entered the register (证照库) as"),
                  holder_id=text("the holder's credit code or ID number in the register"))

CASE = obj(
    ("id", "number", "matter", "matter_version", "status", "data", "outputs", "tasks"),
    closed=False,
    id=text(), number=maybe("string", description="受理编号, given at acceptance"),
    matter=text(), matter_version={"type": "integer"}, status={"enum": list(CASE_STATUSES)},
    applicant=text("the applicant's user id"), holder=maybe("string"),
    data=ANY_OBJECT, materials=MATERIALS,
    outputs={"type": "object", "additionalProperties": ANY_OBJECT,
             "description": "step id → the outputs its approval published"},
    certificates=list_of(ref("Certificate")),
    supplement=maybe("object"), deferred=list_of(ANY_OBJECT), notes=list_of(ANY_OBJECT),
    register=maybe("object", description=(
        "免提交: what the certificate register gave this case, {holder, materials: "
        "{material: {kind, name, number, case, case_number, valid_until, ...}}, fields: "
        "{field path: {kind, attribute, case, case_number}}}; the fields are locked")),
    tasks=list_of(ref("Task")), events=list_of(ref("Event")),
    created_at=TIME, submitted_at=TIME, accepted_at=TIME, decided_at=TIME, closed_at=TIME,
    updated_at=TIME)

COMPONENTS: dict[str, Schema] = {
    "Error": ERROR, "Matter": MATTER, "MatterDetail": MATTER_DETAIL, "Plan": PLAN,
    "File": FILE, "Case": CASE, "CaseSummary": CASE_SUMMARY, "Task": TASK, "Event": EVENT,
    "Certificate": CERTIFICATE,
}
