"""The certificate register (证照库): what onewindow issued to one holder."""

from __future__ import annotations

from typing import Any

from runtime.web.api.operation import Call, Listing, Operation
from runtime.web.api.schemas import ANY_OBJECT, list_of


def of_holder(call: Call) -> Any:
    """Every kind's latest certificate issued to a credit code or ID number."""
    rows = call.services.register.of_holder(call.user, call.path("holder"))
    return Listing(rows, len(rows))


ENTRY = dict(ANY_OBJECT, description=(
    "{holder, holder_name, certificate (the kind), name, number, case, case_number, matter, "
    "step, department, issued_at, valid_until (null: 长期有效)}"))

operations = [
    Operation("GET", "/certificates/{holder}", of_holder,
              "Certificates issued to a holder (证照库)",
              "window, department, supervisor, admin", list_of(ENTRY), "cases",
              errors=(400, 401, 403),
              description="`holder` is a unified social credit code or resident ID number "
              "(check digit verified)."),
]
