"""What else crosses between centres about a sent task, besides its claim, opinions and
decision (docs/exchange.md):

- 缴费 (payment): a department of the receiving centre issues a payment notice on its
  mirror case -> the sending case carries that notice (issued by the peer department),
  the applicant pays at the sending centre's fee window (or the bank) -> the mirror case
  records it paid; a refund likewise.
- 补正 (supplement): a material of the sent step accepted as missing (容缺) and supplied
  later at the sending window goes to the peer with its files, attached to the mirror.
- 超时默许 (consent on timeout): when the sender applies the timeout to a sent task, the
  peer closes its mirror task so; a decision arriving afterwards changes nothing.

Writing happens in the case change's batch (an `Outbox.also` hook); applying in the
receiving batch (the `Inbox.more` hook), each message once and in its case's sequence.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from builder import MatterSpec
from runtime import engine
from runtime.engine.actor import Actor
from runtime.engine.errors import EngineError
from runtime.engine.states import Role, TaskStatus
from runtime.engine.timing import CONSENT_NOTE, consent_elsewhere
from runtime.engine.vocabulary import WORKABLE_TASK
from runtime.exchange.envelope import PAYMENT, PROCESS, SUPPLEMENT
from runtime.services.accounts import User
from runtime.services.exchange_base import TASK, Link
from runtime.services.exchange_in import Inbox
from runtime.services.exchange_out import Outbox
from runtime.services.fees import PAY_WORKING_DAYS
from runtime.store import Store, WriteBatch

Document = dict[str, Any]
CONSENT = "consent"
"""The 过程 action telling the peer the sender applied 超时默许 to the sent task."""
ELSEWHERE = frozenset({PAYMENT, SUPPLEMENT, CONSENT})


def mirror_id(acceptance: str) -> str:
    """The mirror case an acceptance made (derived from its id: one case per message)."""
    return "c_" + hashlib.sha256(acceptance.encode()).hexdigest()[:24]


class Sync:
    """Payments, supplements and consent between centres, both directions."""

    def __init__(self, link: Link, store: Store, inbox: Inbox, outbox: Outbox,
                 clock: Callable[[], datetime], user_name: Callable[[str], str]) -> None:
        self.link = link
        self.store = store
        self.inbox = inbox
        self.outbox = outbox
        self.clock = clock
        self.user_name = user_name
        outbox.also.append(self.after)
        inbox.elsewhere = ELSEWHERE
        inbox.more = self.apply

    # -- writing (in the change's batch) ---------------------------------------------

    def after(self, tx: WriteBatch, old: Mapping[str, Any] | None, new: Mapping[str, Any],
              matter: MatterSpec) -> list[Document]:
        """The messages of the change ``old`` -> ``new`` this module adds."""
        if new.get("exchange"):
            return self._notices(tx, old, new)
        return (self._consents(tx, old, new) + self._payments(tx, old, new)
                + self._supplements(tx, old, new, matter))

    def _to_peer(self, tx: WriteBatch, case: Mapping[str, Any], sent: Mapping[str, Any],
                 kind: str, body: Document) -> Document:
        """A message about the sent task ``sent`` (its record) to its peer."""
        return self.outbox.write(tx, sent["peer"], kind, case["id"], sent["id"],
                                 {**body, "acceptance": sent.get("message") or ""},
                                 {"sender": case["id"], "sender_number": case.get("number") or "",
                                  "receiver": sent.get("their_case") or "",
                                  "receiver_number": sent.get("number") or ""})

    def _consents(self, tx: WriteBatch, old: Mapping[str, Any] | None,
                  new: Mapping[str, Any]) -> list[Document]:
        before = {t["id"]: t["status"] for t in (old or {}).get("tasks") or ()}
        out = []
        for task in new.get("tasks") or ():
            if task["department"] not in self.link.remote or \
                    task["status"] != TaskStatus.APPROVED or \
                    before.get(task["id"]) not in WORKABLE_TASK or \
                    not (task.get("decision") or {}).get("by_timeout"):
                continue
            sent = self.store.get_record(TASK, task["id"])
            if sent is not None:
                out.append(self._to_peer(tx, new, sent, PROCESS, {
                    "action": CONSENT, "note": CONSENT_NOTE, "by": ""}))
        return out

    def _payments(self, tx: WriteBatch, old: Mapping[str, Any] | None,
                  new: Mapping[str, Any]) -> list[Document]:
        """A notice the peer issued, paid or refunded here."""
        before = {n["reference"]: n for n in (old or {}).get("fees") or ()}
        out = []
        for notice in new.get("fees") or ():
            far, was = notice.get("peer"), before.get(notice["reference"]) or {}
            if not far:
                continue
            sent = self.store.get_record(TASK, far["task"])
            if sent is None:
                continue
            if notice["paid"] and not was.get("paid"):
                out.append(self._to_peer(tx, new, sent, PAYMENT, {
                    "action": "paid", "reference": far["reference"],
                    "channel": notice["paid"].get("channel") or "", "at": notice["paid"]["at"],
                    "note": f"已缴款（{notice['total'] / 100:.2f} 元）"}))
            if notice["refund"] and not was.get("refund"):
                out.append(self._to_peer(tx, new, sent, PAYMENT, {
                    "action": "refund", "reference": far["reference"],
                    "note": notice["refund"].get("reason") or "退费"}))
        return out

    def _supplements(self, tx: WriteBatch, old: Mapping[str, Any] | None,
                     new: Mapping[str, Any], matter: MatterSpec) -> list[Document]:
        """Materials of a step already sent, supplied here since (容缺补齐): only that
        step's materials, with their files."""
        if old is None:
            return []
        before = {t["id"]: t["status"] for t in old.get("tasks") or ()}
        was, now = old.get("materials") or {}, new.get("materials") or {}
        changed = {m for m, files in now.items() if files and files != was.get(m)}
        out = []
        for task in new.get("tasks") or ():
            if not changed or task["department"] not in self.link.remote or \
                    before.get(task["id"]) in (None, TaskStatus.WAITING, TaskStatus.SKIPPED):
                continue
            mine = [m for m in matter.step(task["step"]).materials if m in changed]
            sent = self.store.get_record(TASK, task["id"]) if mine else None
            if sent is not None:
                out.append(self._to_peer(tx, new, sent, SUPPLEMENT, {
                    "action": "materials", "note": "补齐容缺材料：" + "、".join(
                        matter.material(m).name for m in mine),
                    "materials": [self.outbox.material(new, matter, m) for m in mine]}))
        return out

    def _notices(self, tx: WriteBatch, old: Mapping[str, Any] | None,
                 new: Mapping[str, Any]) -> list[Document]:
        """A payment notice a department issued on a mirror case: to the sending centre."""
        far = new["exchange"]
        known = {n["reference"] for n in (old or {}).get("fees") or ()}
        out = []
        for notice in new.get("fees") or ():
            if notice["reference"] in known or notice.get("peer"):
                continue
            out.append(self.outbox.write(tx, far["peer"], PAYMENT, new["id"], far["task"], {
                "action": "notice", "reference": notice["reference"],
                "items": notice["items"], "total": notice["total"], "due": notice["due"],
                "note": f"缴款通知书 {notice['reference']}",
                "by": self.user_name(notice.get("issued_by") or "")},
                {"sender": new["id"], "sender_number": new.get("number") or "",
                 "receiver": far["case"], "receiver_number": far["number"]}))
        return out

    # -- applying (in the receiving batch) -------------------------------------------

    def apply(self, tx: WriteBatch, message: Document) -> Document:
        """Apply a payment, supplement or consent message; what it touched (with a
        ``note`` when it changed nothing, e.g. the mirror task was decided already)."""
        body = message["body"]
        if message["kind"] == PAYMENT and body.get("action") == "notice":
            return self._notice(tx, message)
        case = tx.get_case(mirror_id(str(body.get("acceptance") or "")))
        if case is None or (case.get("exchange") or {}).get("peer") != message["from"]:
            return {"case": "", "number": "", "note": "no such mirror case"}
        matter = self.inbox.cases.spec(case)
        peer = message["from"]
        window = Actor(id=f"exchange:{peer}", role=Role.WINDOW, name=self.link.peer_name(peer))
        now = self.clock()
        try:
            if body.get("action") == CONSENT:
                new = consent_elsewhere(case, matter, now, self.inbox.calendar,
                                        case["tasks"][0]["id"],
                                        f"{CONSENT_NOTE}（{self.link.peer_name(peer)}已按"
                                        "超时默许办结）")
            elif message["kind"] == PAYMENT and body.get("action") == "paid":
                new = engine.record_payment(case, window, now, str(body.get("reference")),
                                            channel=f"{self.link.peer_name(peer)}"
                                            f"{body.get('channel') or ''}")
            elif message["kind"] == PAYMENT and body.get("action") == "refund":
                new = engine.refund(case, window, now, str(body.get("reference")),
                                    str(body.get("note") or "退费"))
            elif message["kind"] == SUPPLEMENT and body.get("action") == "materials":
                new = self._attach(tx, case, matter, window, message)
            else:
                return {"case": case["id"], "number": case.get("number") or "",
                        "note": "recorded"}
        except (EngineError, ValueError, KeyError, IndexError) as exc:
            return {"case": case["id"], "number": case.get("number") or "",
                    "note": f"not applied: {exc}"}
        self.inbox.cases.put(tx, new, case, matter)
        return {"case": case["id"], "number": case.get("number") or ""}

    def _attach(self, tx: WriteBatch, case: Document, matter: MatterSpec, window: Actor,
                message: Document) -> Document:
        files = self.inbox.files(tx, message["from"], message["body"], self.clock())
        new = case
        for material, ids in files.items():
            new = engine.supply_deferred(new, matter, window, self.clock(), material, ids)
        return new

    def _notice(self, tx: WriteBatch, message: Document) -> Document:
        """The peer's department issued a payment notice: this case carries it, issued
        by that department, under this centre's own reference (its fee window)."""
        peer, body = message["from"], message["body"]
        sent = self.store.get_record(TASK, message.get("task") or "")
        if sent is None or sent["peer"] != peer:
            return {"case": "", "number": "", "note": "no such sent task"}
        case = tx.get_case(sent["case"])
        task = next((t for t in (case or {}).get("tasks") or () if t["id"] == sent["id"]), None)
        if case is None or task is None:
            return {"case": "", "number": "", "note": "no such case"}
        cases = self.inbox.cases
        matter = cases.spec(case)
        name = f"{self.link.peer_name(peer)}·{body.get('by') or ''}".rstrip("·")
        actor = Actor(id=f"exchange:{peer}", role=Role.DEPARTMENT,
                      department=task["department"], name=name)
        now = self.clock()
        reference = f"{case['number']}-{len(case.get('fees') or ()) + 1:02d}"
        due = str(body.get("due") or self.inbox.calendar.add(now, PAY_WORKING_DAYS).at.isoformat())
        try:
            new = engine.issue_fees(case, actor, now, body.get("items") or [],
                                    reference=reference, due=due, payee=cases.centre.payee_code)
        except EngineError as exc:
            return {"case": case["id"], "number": case.get("number") or "",
                    "note": f"not applied: {exc}"}
        new = {**new, "fees": [*new["fees"][:-1], {**new["fees"][-1], "peer": {
            "centre": peer, "reference": str(body.get("reference") or ""),
            "task": sent["id"], "by": name, "department_name": getattr(
                cases.accounts.departments.get(task["department"]), "name",
                task["department"])}}]}
        officer = User(id=actor.id, name=actor.id, role=Role.DEPARTMENT,
                       department=task["department"], display_name=name)
        new = cases.documents.issue(new, matter, "payment", officer, now)
        cases.put(tx, new, case, matter)
        return {"case": case["id"], "number": case.get("number") or ""}
