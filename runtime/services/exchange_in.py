"""The receiving side of the exchange between centres (a service use case behind
``POST /exchange/v1/messages``): check the signature and the timestamp, apply each
message once (the ledger of received ids) and in its case's sequence (a message that
comes early is held until its turn), and answer a receipt (回执).

An acceptance (受理) creates a mirror case in the department's own task list, with the
sender's due date; an officer's action coming back (过程/结果) is applied to the sent
task by the engine, as the peer's officer, exactly as a local officer's would be.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from builder import MatterSpec
from builder.compile import compile_matter
from runtime import engine
from runtime.engine.actor import Actor
from runtime.engine.calendar import WorkCalendar
from runtime.engine.errors import EngineError
from runtime.engine.events import iso
from runtime.engine.states import CaseStatus, Role, TaskStatus
from runtime.exchange.envelope import ACCEPTANCE, PROCESS, RESULT, BadEnvelope, check, receipt
from runtime.exchange.mirror import case_data, deferrals, is_mirror, mirror_matter
from runtime.exchange.signature import fresh, verify
from runtime.services.accounts import User
from runtime.services.cases import NUMBER_DIGITS, Cases, task_ids_for
from runtime.services.errors import Invalid, NotAuthenticated
from runtime.services.exchange_base import HOLD, IN, MATTER, REFUSED, SEQ, TASK, Link
from runtime.store import Store, WriteBatch

log = logging.getLogger("onewindow.exchange")
Document = dict[str, Any]
MAX_BODY = 64 * 1024 * 1024


class Inbox:
    """Receives, checks and applies messages from peers."""

    def __init__(self, link: Link, store: Store, cases: Cases, calendar: WorkCalendar,
                 clock: Callable[[], datetime]) -> None:
        self.link = link
        self.store = store
        self.cases = cases
        self.calendar = calendar
        self.clock = clock
        self.elsewhere: frozenset[str] = frozenset()
        """Kinds and actions `more` applies (payment, supplement, consent)."""
        self.more: Callable[[WriteBatch, Document], Document] = \
            lambda tx, message: {"case": "", "number": "", "note": "recorded"}

    # -- mirror matters ---------------------------------------------------------------

    def mirror(self, matter_id: str, version: int) -> MatterSpec | None:
        """A mirror matter version kept in the store (the `Matters` fallback: another
        process may have received it)."""
        if not is_mirror(matter_id):
            return None
        doc = self.store.get_record(MATTER, f"{matter_id}@{version}")
        return compile_matter(doc["doc"]) if doc is not None else None

    # -- receiving --------------------------------------------------------------------

    def admit(self, centre: str, timestamp: str) -> None:
        """The checks made before the body is read: the sender header names a configured
        peer and the timestamp is fresh (401 at once otherwise, logged)."""
        now = self.clock()
        why = "unknown centre" if centre not in self.link.peers else fresh(timestamp, now)
        if why:
            self.refuse(centre, why, now)
            raise NotAuthenticated(f"报文未通过验证：{_REASONS.get(why, why)}")

    def receive(self, centre: str, timestamp: str, signature: str, body: bytes) -> Document:
        """Check and apply one message; its receipt. 401 for an unknown centre, a bad
        signature or a stale timestamp (logged, nothing applied); 400 for a bad envelope."""
        now = self.clock()
        why = ("unknown centre" if centre not in self.link.peers else
               verify(self.link.keys.get(centre) or (), timestamp, body, signature, now))
        if why:
            self.refuse(centre, why, now)
            raise NotAuthenticated(f"报文未通过验证：{_REASONS.get(why, why)}")
        try:
            message = check(json.loads(body), receiver=self.link.own, sender=centre)
        except (ValueError, BadEnvelope) as exc:
            self.refuse(centre, f"bad envelope: {exc}", now)
            raise Invalid(f"报文格式有误：{exc}") from None
        return self.take(message)

    def refuse(self, centre: str, why: str, now: datetime) -> None:
        """Log and record a refused message or ping (listed on the admin page)."""
        log.warning("exchange message from %r refused: %s", centre[:64], why)
        with self.store.write() as tx:
            tx.put_record(REFUSED, f"{iso(now)}.{uuid.uuid4().hex[:8]}",
                          {"centre": centre[:64], "reason": why, "at": iso(now)})

    def take(self, message: Document) -> Document:
        """Apply a checked message once and in sequence; its receipt."""
        at = iso(self.clock())
        peer = message["from"]
        key = f"{peer}:{message['case']['sender']}"
        with self.store.write() as tx:
            # One apply per case at a time, across processes: on PostgreSQL this
            # counter's row stays locked until the batch ends, so a second process
            # applying the same message (or the same case's next) waits here, then reads
            # the ledger and the sequence as the first one left them.
            tx.next_sequence(f"exchange-apply:{key}")
            done = self.store.get_record(IN, message["id"])
            if done is not None:
                return receipt(message, "duplicate", at, done.get("number") or "") | {
                    "case": done.get("case") or ""}
            expected = int((self.store.get_record(SEQ, key) or {}).get("next") or 1)
            if message["sequence"] < expected:  # applied under its id already
                return receipt(message, "duplicate", at)
            if message["sequence"] > expected:
                tx.put_record(HOLD, f"{key}:{message['sequence']}", {"message": message})
                log.info("message %s held: sequence %d, expecting %d", message["id"],
                         message["sequence"], expected)
                return receipt(message, "buffered", at)
            first = self._apply(tx, message, at)
            following = expected + 1
            while (held := self.store.get_record(HOLD, f"{key}:{following}")) is not None:
                self._apply(tx, held["message"], at)
                tx.put_record(HOLD, f"{key}:{following}", None)
                following += 1
            tx.put_record(SEQ, key, {"next": following})
        return receipt(message, "applied", at, first["number"]) | {"case": first["case"]}

    def _apply(self, tx: WriteBatch, message: Document, at: str) -> Document:
        if message["kind"] == ACCEPTANCE:
            done = self._accept(tx, message)
        elif message["kind"] in self.elsewhere or \
                message["body"].get("action") in self.elsewhere:
            done = self.more(tx, message)
        elif message["kind"] == PROCESS and message["body"].get("acceptance"):
            done = self._withdraw(tx, message)
        elif message["kind"] in (PROCESS, RESULT):
            done = self._act(tx, message)
        else:  # an unknown action: recorded and acknowledged, nothing moves
            done = {"case": "", "number": "", "note": "recorded"}
        tx.put_record(IN, message["id"], {
            "id": message["id"], "peer": message["from"], "message_kind": message["kind"],
            "sequence": message["sequence"], "task": message.get("task") or "",
            "action": message["body"].get("action") or "", "at": at,
            "sent_at": message["at"], **done})
        return done

    # -- acceptance: the mirror case ---------------------------------------------------

    def _accept(self, tx: WriteBatch, message: Document) -> Document:
        peer, body = message["from"], message["body"]
        try:
            doc = mirror_matter(peer, self.link.peer_name(peer), body)
            spec = compile_matter(doc)
        except (KeyError, TypeError, ValueError) as exc:
            raise Invalid(f"受理报文缺少内容：{exc}") from None
        if body["department"] not in self.cases.accounts.departments:
            raise Invalid(f"本中心没有部门“{body['department']}”")
        if self.store.get_record(MATTER, f"{spec.id}@{spec.version}") is None:
            tx.put_record(MATTER, f"{spec.id}@{spec.version}", {"doc": doc})
        self.cases.matters.add_version(spec)
        case_id = "c_" + hashlib.sha256(message["id"].encode()).hexdigest()[:24]
        existing = tx.get_case(case_id)
        if existing is not None:
            return {"case": case_id, "number": existing.get("number") or ""}
        now = self.clock()
        actor = Actor(id=f"exchange:{peer}", role=Role.WINDOW,
                      name=self.link.peer_name(peer))
        materials = self.files(tx, peer, body, now)
        with _as_invalid():
            case = engine.new_case(spec, actor, now, data=case_data(body), materials=materials,
                                   applicant=f"exchange:{peer}", new_id=lambda _: case_id)
            case = engine.submit(case, spec, actor, now)
            key = f"{self.cases.centre.case_prefix}{now.strftime('%Y%m%d')}"
            number = f"{key}{tx.next_sequence(key):0{NUMBER_DIGITS}d}"
            case = engine.accept(case, spec, actor, now, number=number, calendar=self.calendar,
                                 new_id=task_ids_for(case_id), deferred=deferrals(body))
        for task in case["tasks"]:  # the sender's deadline is the one promised
            if body.get("due") and task["status"] == TaskStatus.READY:
                task["due"] = body["due"]
                task["ready_at"] = body.get("ready_at") or task.get("ready_at")
        case["holder"] = str(body.get("holder") or "")
        case["exchange"] = {"peer": peer, "case": message["case"]["sender"],
                            "number": message["case"].get("sender_number") or "",
                            "task": message["task"], "matter": body["matter"]["name"],
                            "department": body.get("department_name") or ""}
        self.cases.put(tx, case, None, spec)
        return {"case": case_id, "number": number}

    def _withdraw(self, tx: WriteBatch, message: Document) -> Document:
        """The sending centre cancelled the task: it withdraws the mirror case, as the
        mirror's applicant (its open task is cancelled; nothing is left to do here)."""
        peer = message["from"]
        case_id = "c_" + hashlib.sha256(message["body"]["acceptance"].encode()).hexdigest()[:24]
        case = tx.get_case(case_id)
        if case is None or (case.get("exchange") or {}).get("peer") != peer:
            return {"case": "", "number": "", "note": "no such mirror case"}
        matter = self.cases.spec(case)
        actor = Actor(id=f"exchange:{peer}", role=Role.APPLICANT, name=self.link.peer_name(peer))
        try:
            new = engine.withdraw(case, matter, actor, self.clock(),
                                  str(message["body"].get("note") or ""))
        except EngineError as exc:  # already decided here: the decision is on its way back
            return {"case": case_id, "number": case.get("number") or "",
                    "note": f"not applied: {exc}"}
        self.cases.put(tx, new, case, matter)
        return {"case": case_id, "number": case.get("number") or ""}

    def files(self, tx: WriteBatch, peer: str, body: Mapping[str, Any],
              now: datetime) -> dict[str, list[str]]:
        """The files a message carries, checked against their SHA-256 and stored."""
        found: dict[str, list[str]] = {}
        for material in body.get("materials") or ():
            for item in material.get("files") or ():
                data = base64.b64decode(item["content"], validate=True)
                sha = hashlib.sha256(data).hexdigest()
                if sha != item.get("sha256"):
                    raise Invalid(f"材料“{material['name']}”的文件校验不符")
                self.store.save_blob(data)
                file_id = f"f_{sha[:16]}"
                tx.put_file({"id": file_id, "sha256": sha, "name": item["name"],
                             "size": len(data), "content_type": item["content_type"],
                             "uploaded_by": f"exchange:{peer}", "uploaded_at": iso(now)})
                found.setdefault(material["id"], []).append(file_id)
        return found

    # -- an officer's action at the peer, on the task we sent -----------------------

    def _act(self, tx: WriteBatch, message: Document) -> Document:
        peer, body = message["from"], message["body"]
        sent = self.store.get_record(TASK, message.get("task") or "")
        if sent is None or sent["peer"] != peer:  # a peer acts only on what it was sent
            raise Invalid("没有发往该中心的这个任务")
        case = tx.get_case(sent["case"])
        if case is None:
            raise Invalid("没有这个办件")
        task = next((t for t in case["tasks"] if t["id"] == sent["id"]), None)
        if task is None:
            raise Invalid("没有这个任务")
        matter = self.cases.spec(case)
        actor = Actor(id=f"exchange:{peer}", role=Role.DEPARTMENT,
                      department=task["department"],
                      name=f"{self.link.peer_name(peer)}·{body.get('by') or ''}".rstrip("·"))
        try:
            new = self._move(case, matter, actor, task, body)
        except EngineError as exc:  # e.g. the case was withdrawn here meanwhile
            log.warning("message %s not applied: %s", message["id"], exc)
            return {"case": case["id"], "number": case.get("number") or "",
                    "note": f"not applied: {exc}"}
        if new["status"] == CaseStatus.REJECTED != case["status"]:
            # 不予许可 is decided in writing, as for a local rejection (Tasks._act)
            officer = User(id=actor.id, name=actor.id, role=Role.DEPARTMENT,
                           department=task["department"], display_name=actor.name)
            new = self.cases.documents.issue(new, matter, "decision", officer, self.clock())
        if new is not case:
            self.cases.put(tx, new, case, matter)
        return {"case": case["id"], "number": case.get("number") or ""}

    def _move(self, case: Document, matter: MatterSpec, actor: Actor,
              task: Mapping[str, Any], body: Mapping[str, Any]) -> Document:
        now, action, note = self.clock(), body.get("action"), str(body.get("note") or "")
        task_id = task["id"]
        holding = task["status"] in (TaskStatus.CLAIMED, TaskStatus.PRELIMINARY)
        if action in ("preliminary", "approve", "reject") and task["status"] == TaskStatus.READY:
            case = engine.claim(case, matter, actor, now, task_id)
        if action == "claim":
            return case if holding else engine.claim(case, matter, actor, now, task_id)
        if action == "unclaim":
            return engine.unclaim(case, matter, actor, now, task_id) if holding else case
        if action == "preliminary":
            return engine.preliminary(case, matter, actor, now, task_id, note,
                                      calendar=self.calendar)
        if action == "suspend":
            return engine.suspend(case, matter, actor, now, task_id, note)
        if action == "resume":
            return engine.resume(case, matter, actor, now, task_id, calendar=self.calendar)
        if action == "approve":
            return engine.approve(case, matter, actor, now, task_id, calendar=self.calendar,
                                  data=body.get("data") or {}, opinion=note,
                                  reply=body.get("reply"))
        if action == "reject":
            return engine.reject(case, matter, actor, now, task_id, note or "不予许可",
                                 reply=body.get("reply"))
        return case  # transfer, cancel: recorded in the ledger, nothing moves here


_REASONS = {"unknown centre": "未知的协同中心", "missing timestamp": "缺少时间戳",
            "stale timestamp": "时间戳已过期", "bad signature": "签名不正确",
            "no key configured for this peer": "未配置该中心的密钥"}


class _as_invalid:
    """Engine errors while building a mirror case: the message is not usable (400)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        if isinstance(exc, EngineError):
            raise Invalid(f"受理报文无法建立办件：{exc}") from exc
