"""Formal documents of a case (文书) as PDF attachments."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from runtime.web.api.operation import Call, Operation
from runtime.web.download import attachment


def get_document(call: Call) -> Any:
    """A formal document of the case, as archived when it was issued."""
    name, body = call.services.cases.document(call.user, call.path("case_id"),
                                              call.path("kind"))
    return Response(body, media_type="application/pdf", headers=attachment(name))


operations = [
    Operation("GET", "/cases/{case_id}/documents/{kind}.pdf", get_document,
              "A formal document (文书) as PDF", "whoever may read the case",
              {"type": "string", "format": "binary"}, "cases", media="application/pdf",
              errors=(401, 404),
              description="`kind`: `receipt` 受理通知书, `supplement` 补正材料通知书, `refusal` "
              "不予受理决定书, `decision` 不予许可决定书, `payment` 缴款通知书, `commitment` "
              "容缺受理承诺书, `delivery` 送达回证. 404 when the case has no such document."),
]
