"""Centralised fees (集中收费): what a case owes under its matter's fees, the payment
notice (缴款通知书), payment at the cashier's window or by the bank's signed callback,
refunds, and the daily reconciliation per department.

Money is whole fen (分) everywhere; the catalog's yuan become fen once, when compiled.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from builder import Centre, MatterSpec
from builder.spec import holds
from runtime import engine
from runtime.engine.calendar import WorkCalendar
from runtime.engine.states import Role
from runtime.services.accounts import User
from runtime.services.cases import Cases, actor_of
from runtime.services.errors import Forbidden, Invalid, NotAuthenticated, NotFound
from runtime.store import WriteBatch

Document = dict[str, Any]
CASHIER = "cashier"
"""The duty of window staff who take payments (收费窗口)."""
PAY_WORKING_DAYS = 5
"""How long the applicant has to pay, from the notice (working days)."""
CALLBACK_SKEW_SECONDS = 300
"""A bank confirmation older or newer than this is refused (replay protection)."""


@dataclass(frozen=True)
class Owed:
    """One line of what a case owes: name, fen, the basis, and an exemption's reason."""

    name: str
    amount: int
    basis: str = ""
    exempt: str = ""

    def item(self) -> Document:
        """As a notice item."""
        out: Document = {"name": self.name, "amount": self.amount}
        if self.basis:
            out["basis"] = self.basis
        if self.exempt:
            out["exempt"] = self.exempt
        return out


def owed(matter: MatterSpec, data: Mapping[str, Any]) -> list[Owed]:
    """The fees that apply to these answers, computed in fen (no eval: conditions are JSON
    Schema); free items are left out, waived ones kept at 0 with their reason."""
    out = []
    for fee in matter.fees:
        if not holds(fee.when, data):
            continue
        amount = fee.fen
        if fee.per_field:
            value = data.get(fee.per_field)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise Invalid(f"收费项目“{fee.name}”按申请表中的数值计费，但该项未填写",
                              [{"pointer": f"/data/{fee.per_field}", "message": "须为数字"}])
            amount = int((Decimal(str(value)) * fee.fen).quantize(Decimal(1),
                                                                  rounding=ROUND_HALF_UP))
        waived = next((e.reason for e in fee.exemptions if holds(e.when, data)), "")
        if waived:
            out.append(Owed(fee.name, 0, fee.basis, waived))
        elif amount > 0:
            out.append(Owed(fee.name, amount, fee.basis))
    return out


def signature(key: str, timestamp: str, body: bytes) -> str:
    """The bank's signature of a confirmation: hex HMAC-SHA256 over ``timestamp.body``."""
    return hmac.new(key.encode("utf-8"), timestamp.encode("ascii") + b"." + body,
                    hashlib.sha256).hexdigest()


class Fees:
    """Issue, pay and refund payment notices; the bank's callback; reconciliation."""

    def __init__(self, cases: Cases, centre: Centre, calendar: WorkCalendar,
                 clock: Callable[[], datetime], bank_key: str = "") -> None:
        self.cases = cases
        self.centre = centre
        self.calendar = calendar
        self.clock = clock
        self.bank_key = bank_key

    def owed(self, user: User, case_id: str) -> list[Owed]:
        """What the case owes under its matter's fees (for the issuing form)."""
        case = self.cases.get(user, case_id)
        return owed(self.cases.spec(case), case["data"])

    def issue(self, user: User, case_id: str,
              items: Sequence[Mapping[str, Any]] | None = None) -> Document:
        """Issue a payment notice; without ``items``, the fees the catalog computes."""
        if user.role not in (Role.WINDOW, Role.DEPARTMENT):
            raise Forbidden("只有综合窗口或办理部门可以开具缴款通知书")

        def act(case: Document, matter: MatterSpec, _: WriteBatch) -> Document:
            given = [o.item() for o in owed(matter, case["data"])] if items is None else items
            if not given:
                raise Invalid("本案没有应缴费用", [{"pointer": "/items",
                                              "message": "请列出收费项目"}])
            now = self.clock()
            reference = f"{case['number']}-{len(case.get('fees') or ()) + 1:02d}"
            due = self.calendar.add(now, PAY_WORKING_DAYS).at.isoformat()
            new = engine.issue_fees(case, actor_of(user), now, given, reference=reference,
                                    due=due, payee=self.centre.payee_code)
            return self.cases.documents.issue(new, matter, "payment", user, now)
        return self.cases.change(user, case_id, act)

    def paid(self, user: User, case_id: str, reference: str, *,
             channel: str = "窗口") -> Document:
        """The cashier records a payment (收费窗口)."""
        if user.role != Role.WINDOW or CASHIER not in user.duties:
            raise Forbidden("只有收费窗口人员可以确认缴款")
        return self.cases.change(user, case_id, lambda case, matter, _: engine.record_payment(
            case, actor_of(user), self.clock(), reference, channel=channel))

    def refund(self, user: User, case_id: str, reference: str, reason: str) -> Document:
        """Refund a paid notice, with the reason (退费)."""
        if user.role != Role.WINDOW or CASHIER not in user.duties:
            raise Forbidden("只有收费窗口人员可以办理退费")
        return self.cases.change(user, case_id, lambda case, matter, _: engine.refund(
            case, actor_of(user), self.clock(), reference, reason))

    def bank_confirmation(self, timestamp: str, sig: str, body: bytes) -> Document:
        """The bank confirms a payment: signed, fresh, and idempotent (a repeat of a paid
        reference answers as the first did and changes nothing)."""
        if not self.bank_key:
            raise Forbidden("未配置银行回调密钥（ONEWINDOW_BANK_KEY）")
        if not timestamp.isdigit() or abs(int(timestamp) - int(self.clock().timestamp())) \
                > CALLBACK_SKEW_SECONDS:
            raise NotAuthenticated("银行回调时间戳缺失或已过期")
        if not hmac.compare_digest(signature(self.bank_key, timestamp, body), sig or ""):
            raise NotAuthenticated("银行回调签名不正确")
        try:
            message = json.loads(body)
        except ValueError:
            raise Invalid("银行回调不是有效的 JSON", []) from None
        reference = message.get("reference") if isinstance(message, dict) else None
        amount = message.get("amount") if isinstance(message, dict) else None
        if not isinstance(reference, str) or "-" not in reference:
            raise Invalid("缺少缴款识别码", [{"pointer": "/reference", "message": "必填"}])
        bank = User(id="bank", name="bank", role=Role.SYSTEM, department=None,
                    display_name="代收银行")
        case = self.cases.store.get_case_by_number(reference.rsplit("-", 1)[0])
        notice = next((n for n in (case or {}).get("fees") or ()
                       if n["reference"] == reference), None)
        if case is None or notice is None:
            raise NotFound("没有这个缴款识别码")
        if amount != notice["total"]:
            raise Invalid("缴款金额与通知书不符", [{"pointer": "/amount", "message":
                                             f"应为 {notice['total']} 分"}])
        if notice["paid"]:
            return {"reference": reference, "paid": notice["paid"]}

        def act(fresh: Document, _m: MatterSpec, __: WriteBatch) -> Document:
            return engine.record_payment(fresh, actor_of(bank), self.clock(), reference,
                                         channel="银行")
        done = self.cases.change_as_system(case["id"], act)
        return {"reference": reference,
                "paid": next(n for n in done["fees"] if n["reference"] == reference)["paid"]}

    def reconciliation(self, user: User, day: str) -> list[Document]:
        """Per department (the issuer; the centre for the window): notices issued that day
        and what of them is paid, in fen (对账)."""
        if user.role not in (Role.WINDOW, Role.SUPERVISOR, Role.ADMIN) or (
                user.role == Role.WINDOW and CASHIER not in user.duties):
            raise Forbidden("只有收费窗口、监察和管理员可以查看对账")
        rows: dict[str, Document] = {}
        offset = 0
        while True:
            page = self.cases.store.list_cases(limit=500, offset=offset)
            for case in page:
                for n in case.get("fees") or ():
                    if not n["issued_at"].startswith(day):
                        continue
                    key = n.get("department") or ""
                    row = rows.setdefault(key, {"department": key, "issued": 0,
                                                "issued_fen": 0, "paid": 0, "paid_fen": 0,
                                                "refunded_fen": 0})
                    row["issued"] += 1
                    row["issued_fen"] += n["total"]
                    if n["paid"]:
                        row["paid"] += 1
                        row["paid_fen"] += n["total"]
                    if n["refund"]:
                        row["refunded_fen"] += n["total"]
            if len(page) < 500:
                return sorted(rows.values(), key=lambda r: r["department"])
            offset += len(page)
