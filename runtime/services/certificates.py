"""The certificate register (证照库): every certificate onewindow issues of a kind the
catalog declares, keyed by its holder's unified social credit code or resident ID number.

A decision that issues one writes its register entry in the decision's own batch
(`record`, called with the case's other effects). One store record per holder and kind
(``certificate`` / ``HOLDER/KIND``; the kind id is the record's ``certificate``, as the
store owns ``kind``) holds the latest issued; earlier ones stay in their issuing cases.
A later application by the same holder finds them (`found`): materials declared as that
kind need no upload (免提交), declared fields are filled and locked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from stdnum.cn import ric, uscc

from builder import MatterSpec
from builder.spec import CertificateKind
from runtime.engine.register import holder_number, take, wanted
from runtime.services.accounts import User
from runtime.services.errors import Forbidden, Invalid
from runtime.store import Store, WriteBatch

KIND = "certificate"
SEES_REGISTER = ("window", "department", "supervisor", "admin")
"""Staff, who check the holder's identity in person (or need not): they see every entry."""


def valid_holder(number: str, scheme: str) -> bool:
    """Whether ``number`` is a valid credit code (``uscc``), resident ID (``ric``) or
    either (``any``), check digit included."""
    checks = {"uscc": (uscc,), "ric": (ric,), "any": (uscc, ric)}[scheme]
    return any(module.is_valid(number) for module in checks)


def _until(issued_at: str, years: int | None) -> str | None:
    if years is None:
        return None
    day = datetime.fromisoformat(issued_at).date()
    try:
        end = day.replace(year=day.year + years)
    except ValueError:  # issued on 29 February
        end = day.replace(year=day.year + years, day=28)
    return date.fromordinal(end.toordinal() - 1).isoformat()


class Register:
    """Writes and reads the certificate register."""

    def __init__(self, store: Store, kinds: Callable[[], Mapping[str, CertificateKind]],
                 clock: Callable[[], datetime]) -> None:
        self.store = store
        self.kinds = kinds
        self.clock = clock

    def record(self, tx: WriteBatch, old: Mapping[str, Any] | None,
               new: Mapping[str, Any]) -> None:
        """Enter the certificates ``new`` issued since ``old`` (same batch)."""
        before = len((old or {}).get("certificates") or ())
        for cert in (new.get("certificates") or ())[before:]:
            entry = self._entry(cert, new)
            if entry is not None:
                tx.put_record(KIND, entry["id"], entry)

    def _entry(self, cert: Mapping[str, Any], case: Mapping[str, Any]) -> dict[str, Any] | None:
        kind = self.kinds().get(cert.get("kind") or "")
        holder = cert.get("holder_id") or ""
        # A kind the catalog no longer declares, or a holder number that is no credit code
        # or ID number (a step form without the check): nothing to find it by later.
        if kind is None or not valid_holder(holder, kind.holder):
            return None
        return {"id": f"{holder}/{kind.id}", "holder": holder,
                "holder_name": cert.get("holder") or "", "certificate": kind.id,
                "name": cert["name"],
                "number": cert["number"], "case": case["id"], "case_number": case.get("number"),
                "applicant": case.get("applicant"),
                "matter": case.get("matter"), "step": cert.get("step"),
                "department": cert.get("department"), "issued_at": cert["issued_at"],
                "valid_until": _until(cert["issued_at"], kind.valid_years)}

    def found(self, user: User, matter: MatterSpec, data: Any,
              case: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
        """The holder's certificates valid today, of the kinds ``matter`` may take, that
        ``user`` may take for ``case`` (`theirs`)."""
        holder = holder_number(matter, data)
        if not holder:
            return {}
        today = self.clock().date().isoformat()
        out = {}
        for kind in wanted(matter):
            entry = self.store.get_record(KIND, f"{holder}/{kind}")
            if entry is not None and (entry.get("valid_until") or "9999") >= today and \
                    self.theirs(user, entry, case):
                out[kind] = entry
        return out

    def theirs(self, user: User, entry: Mapping[str, Any],
               case: Mapping[str, Any] | None) -> bool:
        """Whether ``user`` may take ``entry``: staff always; an applicant or agent only
        what was issued to the same person — the holder is the applicant's own ID number or
        credit code (an agent's: its principal's), or the issuing case was the same
        applicant's. Typing someone else's number into a form finds nothing: the register
        would otherwise tell anyone a person's name and permit numbers."""
        if user.role in SEES_REGISTER:
            return True
        principal = ((case or {}).get("on_behalf_of") or {}).get("id_number") or ""
        own = {user.id_number, "".join(str(principal).split()).upper()} - {""}
        if entry.get("holder") in own:
            return True
        owner = (case or {}).get("applicant") or user.id
        issued_to = entry.get("applicant")
        if issued_to is None:  # entered before the register kept it
            issuing = self.store.get_case(str(entry.get("case") or "")) or {}
            issued_to = issuing.get("applicant")
        return bool(issued_to) and issued_to == owner

    def prefill(self, user: User, matter: MatterSpec, data: Any,
                case: Mapping[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        """The answers as the form shows them: locked fields filled from the register;
        and what was taken (``{materials: {id: entry}, fields: {path: {...}}}``, empty when
        nothing). Submission does the same on the server, whatever the form sent."""
        filled, taken = take(matter, data, self.found(user, matter, data, case))
        return filled, taken or {}

    def of_holder(self, user: User, holder: str) -> list[dict[str, Any]]:
        """Every kind's latest certificate of ``holder`` (staff only)."""
        if user.role not in SEES_REGISTER:
            raise Forbidden("只有中心和部门工作人员可以查询证照库")
        number = "".join(holder.split()).upper()
        if not valid_holder(number, "any"):
            raise Invalid("应为 18 位统一社会信用代码或居民身份证号码，末位校验码须正确",
                          [{"pointer": "/holder", "message": "证件号码有误"}])
        found = (self.store.get_record(KIND, f"{number}/{kind}") for kind in self.kinds())
        return [entry for entry in found if entry is not None]
