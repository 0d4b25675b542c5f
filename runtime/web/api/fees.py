"""Centralised fees (集中收费): the payment notice, payment, refund, the bank's signed
confirmation and the daily reconciliation."""

from __future__ import annotations

import re
from typing import Any

from starlette.concurrency import run_in_threadpool

from runtime.services.errors import Invalid
from runtime.web.api.operation import Call, Operation
from runtime.web.api.present import case_json
from runtime.web.api.schemas import list_of, obj, ref, text

FEN = {"type": "integer", "minimum": 0, "description": "whole fen (分)"}
ITEM = obj(("name", "amount"), name=text(), amount=FEN)
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
ERRORS = (400, 401, 403, 404, 409, 413)


def _case(call: Call, case: dict[str, Any]) -> dict[str, Any]:
    return case_json(case, call.services.tasks.light)


def issue_fees(call: Call) -> Any:
    """Issue the payment notice (缴款通知书); without items, the catalog's computed fees."""
    return _case(call, call.services.fees.issue(call.user, call.path("case_id"),
                                                call.body.get("items")))


def record_payment(call: Call) -> Any:
    """The cashier records a payment."""
    return _case(call, call.services.fees.paid(call.user, call.path("case_id"),
                                               call.body["reference"],
                                               channel=call.body.get("channel") or "窗口"))


def refund_fees(call: Call) -> Any:
    """Refund a paid notice, with the reason."""
    return _case(call, call.services.fees.refund(call.user, call.path("case_id"),
                                                 call.body["reference"], call.body["reason"]))


async def bank_confirmation(call: Call) -> Any:
    """The collecting bank confirms a payment (signed; a repeat changes nothing)."""
    body = await call.request.body()
    headers = call.request.headers
    return await run_in_threadpool(call.services.fees.bank_confirmation,
                                   headers.get("x-onewindow-timestamp", ""),
                                   headers.get("x-onewindow-signature", ""), body[:65536])


def reconciliation(call: Call) -> Any:
    """Notices issued on a day and what of them is paid, per issuing department."""
    day = call.path("day")
    if not DAY.fullmatch(day):
        raise Invalid("日期格式有误", [{"pointer": "/day", "message": "须为 YYYY-MM-DD"}])
    return call.services.fees.reconciliation(call.user, day)


RECONCILED = list_of(obj(("department", "issued", "issued_fen", "paid", "paid_fen",
                          "refunded_fen"), department=text("department id; empty: the "
                                                           "centre's window"),
                         issued={"type": "integer"}, issued_fen=FEN, paid={"type": "integer"},
                         paid_fen=FEN, refunded_fen=FEN))

operations = [
    Operation("POST", "/cases/{case_id}/fees", issue_fees, "Issue the payment notice (缴款通知书)",
              "window, or a department with a task on the case", ref("Case"), "fees",
              body=obj(items=list_of(ITEM)), errors=ERRORS,
              description="Without `items`, the fees the matter computes from the answers "
              "(exemptions at 0 with their reason). Amounts are whole fen."),
    Operation("POST", "/cases/{case_id}/fees/paid", record_payment, "Record a payment",
              "window (cashier duty)", ref("Case"), "fees", body_required=True,
              body=obj(("reference",), reference=text(), channel=text("e.g. 现金, 刷卡")),
              errors=ERRORS),
    Operation("POST", "/cases/{case_id}/fees/refund", refund_fees, "Refund a payment (退费)",
              "window (cashier duty)", ref("Case"), "fees", body_required=True,
              body=obj(("reference", "reason"), reference=text(), reason=text()),
              errors=ERRORS),
    Operation("POST", "/fees/bank-confirmations", bank_confirmation,
              "The bank confirms a payment", "the collecting bank (signed)",
              obj(("reference", "paid"), reference=text(), paid={"type": "object"}), "fees",
              public=True, errors=(400, 401, 403, 404, 413),
              description="Body `{reference, amount}` (fen). Headers `X-Onewindow-Timestamp` "
              "(Unix seconds, within 5 minutes) and `X-Onewindow-Signature` (hex "
              "HMAC-SHA256 with `ONEWINDOW_BANK_KEY` over `TIMESTAMP.BODY`)."),
    Operation("GET", "/fees/reconciliation/{day}", reconciliation,
              "Daily reconciliation per department (对账)", "cashier, supervisor, admin",
              RECONCILED, "fees", errors=(400, 401, 403)),
]
