"""Records kept with a case that do not move it: formal documents (文书) and fee notices
(缴款通知书), their payment and refund. Each returns a NEW case with one event."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from builder.spec import MatterSpec
from runtime.engine.actions import case_guard
from runtime.engine.actor import Actor
from runtime.engine.errors import NotPermitted, ValidationFailed
from runtime.engine.events import Document, Writer, iso
from runtime.engine.moves import check_case, move_case, spec_of
from runtime.engine.states import CaseAction, Role, TaskStatus
from runtime.engine.validation import Detail, problem, require_text

MAX_FEE_ITEMS = 50
MAX_FEN = 10**12
"""One item at most ten billion yuan, in fen (分): money is never a float."""


def record_document(case: Document, actor: Actor, now: datetime, kind: str,
                    sha256: str) -> Document:
    """Archive a formal document of ``kind`` (its text kept by ``sha256``); the case keeps
    the latest of each kind, the events every one."""
    check_case(case, CaseAction.ISSUE_DOCUMENT, actor)
    w = Writer(case, iso(now))
    move_case(w, CaseAction.ISSUE_DOCUMENT, actor, kind)
    entry = {"kind": kind, "sha256": sha256, "at": w.at, "by": actor.id}
    if "documents" in case:
        w.set(["documents", kind], entry)
    else:
        w.set(["documents"], {kind: entry})
    return w.result()


def issue_fees(case: Document, actor: Actor, now: datetime, items: Sequence[Mapping[str, Any]],
               *, reference: str, due: str, payee: str) -> Document:
    """Issue a payment notice (缴款通知书): items of ``{name, amount}`` in fen, a payment
    reference, the payee code and the date by which to pay."""
    check_case(case, CaseAction.ISSUE_FEES, actor)
    if actor.role == Role.DEPARTMENT and not any(
            t["department"] == actor.department and t["status"] != TaskStatus.SKIPPED
            for t in case.get("tasks") or ()):
        raise NotPermitted(CaseAction.ISSUE_FEES, "the department has no task on the case")
    case_guard(case, CaseAction.ISSUE_FEES)
    clean = fee_items(items)
    w = Writer(case, iso(now))
    move_case(w, CaseAction.ISSUE_FEES, actor, reference)
    notice = {"reference": reference, "items": clean, "total": sum(i["amount"] for i in clean),
              "issued_at": w.at, "issued_by": actor.id, "department": actor.department,
              "payee": payee, "due": due, "paid": None, "refund": None}
    if "fees" in case:
        w.append(["fees"], notice)
    else:
        w.set(["fees"], [notice])
    return w.result()


def record_payment(case: Document, actor: Actor, now: datetime, reference: str, *,
                   channel: str) -> Document:
    """Record that the notice with ``reference`` is paid (by the cashier or the bank)."""
    check_case(case, CaseAction.RECORD_PAYMENT, actor)
    case_guard(case, CaseAction.RECORD_PAYMENT)
    index = _notice(case, reference)
    if case["fees"][index]["paid"]:
        raise ValidationFailed([problem("/reference", f"{reference} is already paid", "paid")])
    w = Writer(case, iso(now))
    move_case(w, CaseAction.RECORD_PAYMENT, actor, reference)
    w.set(["fees", index, "paid"], {"at": w.at, "by": actor.id, "channel": channel})
    return w.result()


def refund(case: Document, actor: Actor, now: datetime, reference: str,
           reason: str) -> Document:
    """Refund a paid notice (退费), with the reason."""
    check_case(case, CaseAction.REFUND, actor)
    case_guard(case, CaseAction.REFUND)
    require_text("reason", reason)
    index = _notice(case, reference)
    notice = case["fees"][index]
    if not notice["paid"] or notice["refund"]:
        raise ValidationFailed([problem("/reference", f"{reference} is not paid or already "
                                        "refunded", "refund")])
    w = Writer(case, iso(now))
    move_case(w, CaseAction.REFUND, actor, reason)
    w.set(["fees", index, "refund"], {"at": w.at, "by": actor.id, "reason": reason})
    return w.result()


def verify_original(case: Document, matter: MatterSpec, actor: Actor, now: datetime,
                    material: str) -> Document:
    """Record that the window saw the original of a material (原件核验: who, when)."""
    check_case(case, CaseAction.VERIFY_ORIGINAL, actor)
    spec = spec_of(case, matter)
    found = spec.materials.get(material)
    if found is None or not found.original:
        raise ValidationFailed([problem("/material", f"{material!r} is not a material whose "
                                        "original is checked", "original")])
    if not (case.get("materials") or {}).get(material):
        raise ValidationFailed([problem("/material", f"{found.name} is not supplied",
                                        "not_supplied")])
    if material in (case.get("originals") or {}):
        raise ValidationFailed([problem("/material", f"{found.name} is already checked",
                                        "checked")])
    w = Writer(case, iso(now))
    move_case(w, CaseAction.VERIFY_ORIGINAL, actor, found.name)
    entry = {"by": actor.id, "at": w.at}
    if "originals" in case:
        w.set(["originals", material], entry)
    else:
        w.set(["originals"], {material: entry})
    return w.result()


def fee_items(items: Any) -> list[Document]:
    """Fee items checked: a non-empty list of ``{name, amount}``, amounts whole fen."""
    if not isinstance(items, Sequence) or isinstance(items, str) or not items:
        raise ValidationFailed([problem("/items", "list at least one item", "minItems")])
    if len(items) > MAX_FEE_ITEMS:
        raise ValidationFailed([problem("/items", f"at most {MAX_FEE_ITEMS} items",
                                        "maxItems", {"limit": MAX_FEE_ITEMS})])
    details: list[Detail] = []
    out: list[Document] = []
    for n, item in enumerate(items):
        here = f"/items/{n}"
        if not isinstance(item, Mapping):
            details.append(problem(here, "an item is {name, amount}", "type"))
            continue
        name, amount = item.get("name"), item.get("amount")
        if not isinstance(name, str) or not name.strip():
            details.append(problem(f"{here}/name", "name is required", "required"))
        if isinstance(amount, bool) or not isinstance(amount, int) or \
                not 0 <= amount <= MAX_FEN:
            details.append(problem(f"{here}/amount", "amount is whole fen (分), 0 or more",
                                   "fen"))
        extra = {k: item[k] for k in ("basis", "exempt") if isinstance(item.get(k), str)}
        out.append({"name": name, "amount": amount, **extra})
    if details:
        raise ValidationFailed(details)
    return out


def _notice(case: Mapping[str, Any], reference: str) -> int:
    for index, notice in enumerate(case.get("fees") or ()):
        if notice["reference"] == reference:
            return index
    raise ValidationFailed([problem("/reference", f"no fee notice {reference!r}", "enum")])
