"""The sending side of the exchange between centres: which messages a case change
writes to the outbox (a job in the change's own batch), and the worker's delivery of
each, retried with backoff until the peer's receipt (回执) acknowledges it.

Two kinds of change send: a task of a department that sits in a peer becoming ready
(受理, with only what the step may read), and, in a mirror case this centre received,
every officer's action on the task (过程: claim, opinion, suspend …; 结果: approve or
reject with the form) going back to the centre that sent it.
"""

from __future__ import annotations

import base64
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from builder import MatterSpec
from runtime.engine.events import iso
from runtime.engine.states import TaskStatus
from runtime.engine.vocabulary import WORKABLE_TASK
from runtime.exchange.envelope import (
    ACCEPTANCE,
    PROCESS,
    PROCESS_ACTIONS,
    RESULT,
    RESULT_ACTIONS,
    envelope,
)
from runtime.exchange.signature import sign
from runtime.services.exchange_base import JOB, OUT, TASK, Link
from runtime.services.jobs import Jobs
from runtime.store import JOB_PENDING, Store, WriteBatch

log = logging.getLogger("onewindow.exchange")
Document = dict[str, Any]
PATH = "/exchange/v1/messages"
TIMEOUT = 10.0
SIDE_BY_SIDE = 8
"""Messages of different cases delivered at once (one case's always in sequence)."""
LONGEST_WAIT = 60
"""Retries come after 1, 2, 4 … seconds, at most this many: a peer back from an outage
hears from us within a minute, and nothing is ever given up."""


def retry_after(tries: int) -> timedelta:
    """The wait before the next try of a message (never dead: retried until acknowledged)."""
    return timedelta(seconds=min(2 ** max(tries - 1, 0), LONGEST_WAIT))


class Outbox:
    """Writes the messages a change causes, and delivers them (the worker's handler)."""

    def __init__(self, link: Link, store: Store, clock: Callable[[], datetime],
                 read_file: Callable[[dict[str, Any]], bytes],
                 department_name: Callable[[str], str],
                 user_name: Callable[[str], str]) -> None:
        self.link = link
        self.store = store
        self.clock = clock
        self.read_file = read_file
        self.department_name = department_name
        self.user_name = user_name
        self.pool = ThreadPoolExecutor(SIDE_BY_SIDE, thread_name_prefix="exchange")
        self.also: list[Callable[[WriteBatch, Mapping[str, Any] | None, Mapping[str, Any],
                                  MatterSpec], list[Document]]] = []
        """More messages a change may cause (payments, supplements, consent)."""
        self.fail: Callable[[Document, str], Any] = lambda job, error: None
        """Records an unexpected failure on a job (the worker's `Jobs.fail`)."""

    # -- writing (in the change's batch) ------------------------------------------

    def after(self, tx: WriteBatch, old: Mapping[str, Any] | None, new: Mapping[str, Any],
              matter: MatterSpec) -> None:
        """The messages of the change ``old`` → ``new`` (an `Effects` hook)."""
        if not self.link.active:
            return
        entries: list[Document] = []
        if new.get("exchange"):
            entries += self._back(tx, old, new)
        else:
            entries += self._sent(tx, old, new, matter)
        for more in self.also:  # 缴费, 补正, 超时默许 (runtime/services/exchange_sync.py)
            entries += more(tx, old, new, matter)
        if entries:
            self.link.wake()

    def _sent(self, tx: WriteBatch, old: Mapping[str, Any] | None, new: Mapping[str, Any],
              matter: MatterSpec) -> list[Document]:
        before = {t["id"]: t["status"] for t in (old or {}).get("tasks") or ()}
        out = []
        for task in new.get("tasks") or ():
            where = self.link.remote.get(task["department"])
            if where is not None and task["status"] == TaskStatus.CANCELLED and \
                    before.get(task["id"]) in WORKABLE_TASK:
                out.append(self._cancel(tx, new, task, where[0]))
            if where is None or task["status"] != TaskStatus.READY or \
                    before.get(task["id"]) not in (None, TaskStatus.WAITING):
                continue
            peer, department = where
            body = self._acceptance(new, task, matter, department)
            message = self._write(tx, peer, ACCEPTANCE, new["id"], task["id"], body,
                                  {"sender": new["id"], "sender_number": new.get("number") or "",
                                   "receiver": "", "receiver_number": ""})
            tx.put_record(TASK, task["id"], {
                "id": task["id"], "case": new["id"], "peer": peer, "message": message["id"],
                "sent_at": message["at"], "delivered_at": None, "number": "",
                "their_case": ""})
            out.append(_entry(message, "out", self.link))
        return out

    def _cancel(self, tx: WriteBatch, case: Mapping[str, Any], task: Mapping[str, Any],
                peer: str) -> Document:
        """A sent task cancelled here (the case withdrawn, an upstream rejected): the peer
        withdraws its mirror case."""
        sent = self.store.get_record(TASK, task["id"]) or {}
        note = next((e.get("note") or "" for e in reversed(case.get("events") or ())
                     if e.get("task") == task["id"] and e.get("action") == "cancel"), "")
        message = self._write(tx, peer, PROCESS, case["id"], task["id"],
                              {"action": "cancel", "note": note or "发起中心已撤销该任务",
                               "acceptance": sent.get("message") or ""},
                              {"sender": case["id"], "sender_number": case.get("number") or "",
                               "receiver": sent.get("their_case") or "",
                               "receiver_number": sent.get("number") or ""})
        return _entry(message, "out", self.link)

    def _acceptance(self, case: Mapping[str, Any], task: Mapping[str, Any],
                    matter: MatterSpec, department: str) -> Document:
        """Only what the step may read: its ``reads``, its materials' files, the
        applicant's name — never the whole case."""
        step = matter.step(task["step"])
        steps = {s.id: s for s in matter.steps}
        data, names = [], set()
        for ref in step.reads:
            up, _, name = ref.partition(".")
            key = name if name not in names else f"{up}_{name}"
            names.add(key)
            up_step = steps.get(up)
            title = ((up_step.form or {}).get("properties", {}).get(name, {}).get("title", name)
                     if up_step else name)
            data.append({"key": key, "title": f"{up_step.name if up_step else up}：{title}",
                         "value": (case.get("outputs") or {}).get(up, {}).get(name)})
        awaited = {d["material"]: d.get("due") for d in case.get("deferred") or ()
                   if not d.get("supplied")}
        materials = []
        for material_id in step.materials:
            entry = self.material(case, matter, material_id)
            if material_id in awaited and not entry["files"]:  # 容缺: supplied later (补正)
                entry["deferred"] = awaited[material_id] or ""
            materials.append(entry)
        return {"matter": {"id": matter.id, "name": matter.name, "version": matter.version},
                "step": {"id": step.id, "name": step.name, "days": step.days,
                         "form": step.form or {}, "outputs": list(step.outputs),
                         "reply_options": list(step.reply_options)},
                "department": department, "department_name":
                self.department_name(task["department"]),
                "due": task.get("due"), "ready_at": task.get("ready_at"),
                "limit_days": task.get("limit_days"), "holder": case.get("holder") or "",
                "data": data, "materials": materials}

    def material(self, case: Mapping[str, Any], matter: MatterSpec,
                 material_id: str) -> Document:
        """One material of a case as a message carries it: its files in base64."""
        files = []
        for file_id in (case.get("materials") or {}).get(material_id) or ():
            meta = self.store.get_file(file_id)
            if meta is not None:
                files.append({"name": meta["name"], "content_type": meta["content_type"],
                              "sha256": meta["sha256"], "size": meta["size"],
                              "content": base64.b64encode(self.read_file(meta)).decode()})
        found = matter.material(material_id)
        return {"id": material_id, "name": found.name, "accept": list(found.accept),
                "files": files}

    def _back(self, tx: WriteBatch, old: Mapping[str, Any] | None,
              new: Mapping[str, Any]) -> list[Document]:
        """A mirror case's officer actions, each going back as a message."""
        far = new["exchange"]
        seen = len((old or {}).get("events") or ())
        out = []
        for event in (new.get("events") or ())[seen:]:
            action = event.get("action")
            if event.get("entity") != "task" or action == "cancel" or \
                    action not in PROCESS_ACTIONS | RESULT_ACTIONS:
                continue
            task = next(t for t in new["tasks"] if t["id"] == event["task"])
            body: Document = {"action": action, "note": event.get("note") or "",
                              "by": self.user_name(event.get("actor") or "")}
            kind = PROCESS
            if action in RESULT_ACTIONS:
                kind = RESULT
                decision = task.get("decision") or {}
                body.update(data=decision.get("data") or {}, reply=decision.get("reply"))
            message = self._write(tx, far["peer"], kind, new["id"], far["task"], body,
                                  {"sender": new["id"], "sender_number": new.get("number") or "",
                                   "receiver": far["case"], "receiver_number": far["number"]})
            out.append(_entry(message, "out", self.link))
        return out

    def write(self, tx: WriteBatch, peer: str, kind: str, case_id: str, task_id: str,
              body: Mapping[str, Any], case: Mapping[str, Any]) -> Document:
        """Write one message to the outbox in ``tx``; its audit-trail line."""
        return _entry(self._write(tx, peer, kind, case_id, task_id, body, case), "out",
                      self.link)

    def _write(self, tx: WriteBatch, peer: str, kind: str, case_id: str, task_id: str,
               body: Mapping[str, Any], case: Mapping[str, Any]) -> Document:
        sequence = tx.next_sequence(f"exchange:{peer}:{case_id}")
        at = iso(self.clock())
        message = envelope(message_id=f"{self.link.own}.{case_id}.{sequence}", kind=kind,
                           sender=self.link.own, receiver=peer, sequence=sequence,
                           case=case, task=task_id, at=at, body=body)
        Jobs.schedule(tx, JOB, f"{JOB}:{message['id']}", at,
                      {"peer": peer, "message": message, "created": at})
        tx.put_record(OUT, message["id"], {
            "id": message["id"], "peer": peer, "message_kind": kind, "case": case_id,
            "task": task_id, "sequence": sequence, "created": at, "delivered_at": None,
            "receipt": None})
        return message

    # -- delivering (the worker) ------------------------------------------------------

    def deliver_all(self, jobs: list[Document], now: datetime) -> int:
        """Deliver claimed messages side by side, each case's in its sequence (a case's
        later message waits for its earlier one, and stays for the next round when that
        fails); how many were acknowledged."""
        by_case: dict[tuple[str, str], list[Document]] = {}
        for job in jobs:
            message = job["payload"]["message"]
            by_case.setdefault((message["to"], message["case"]["sender"]), []).append(job)

        def in_turn(group: list[Document]) -> int:
            sent = 0
            for job in sorted(group, key=lambda j: j["payload"]["message"]["sequence"]):
                try:
                    ok = self.deliver(job, now)
                except Exception as exc:  # the store away: on the job, tried again later
                    log.warning("message job %s failed: %s", job["id"], exc)
                    self.fail(job, f"{type(exc).__name__}: {exc}")
                    ok = False
                if not ok:
                    for later in group[group.index(job) + 1:]:
                        self._later(later, now)
                    return sent
                sent += 1
            return sent
        if len(by_case) == 1:
            return in_turn(next(iter(by_case.values())))
        return sum(self.pool.map(in_turn, by_case.values()))

    def _later(self, job: Document, now: datetime) -> None:
        """Give a claimed message back for the next round, untried."""
        with self.store.write() as tx:
            tx.put_job({**job, "status": JOB_PENDING, "lease_until": None,
                        "run_at": iso(now + retry_after(1))})

    def deliver(self, job: Document, now: datetime) -> bool:
        """POST one message to its peer; the receipt ends the job, a failure schedules
        the next try (the job is never given up). Whether it was acknowledged."""
        peer_id, message = job["payload"]["peer"], job["payload"]["message"]
        try:
            receipt = self.post(peer_id, message)
            if receipt.get("status") == "buffered":  # held there until an earlier one
                raise ValueError("held by the peer until an earlier message of the case "
                                 "arrives; sent again until applied")
        except (OSError, ValueError) as exc:  # URLError and HTTPError are OSErrors
            tries = int(job.get("tries") or 0) + 1
            log.warning("message %s to %s: try %d failed: %s", message["id"], peer_id, tries,
                        exc)
            with self.store.write() as tx:
                tx.put_job({**job, "status": JOB_PENDING, "tries": tries,
                            "error": str(exc)[:300], "lease_until": None,
                            "run_at": iso(now + retry_after(tries))})
            return False
        with self.store.write() as tx:
            sent = self.store.get_record(OUT, message["id"]) or {"id": message["id"]}
            tx.put_record(OUT, message["id"], {**sent, "delivered_at": iso(now),
                                               "receipt": receipt})
            if message["kind"] == ACCEPTANCE:
                far = self.store.get_record(TASK, message["task"])
                if far is not None:
                    tx.put_record(TASK, message["task"], {
                        **far, "delivered_at": iso(now), "number": receipt.get("number") or "",
                        "their_case": receipt.get("case") or ""})
            tx.delete_job(job["id"])
        return True

    def post(self, peer_id: str, message: Mapping[str, Any]) -> Document:
        """Send one signed message; its receipt (ValueError for a refusal or bad answer)."""
        peer = self.link.peers.get(peer_id)
        keys = self.link.keys.get(peer_id) or ()
        if peer is None or not keys:
            raise ValueError(f"peer {peer_id} has no url or no key configured")
        body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        stamp = str(int(self.clock().timestamp()))
        request = urllib.request.Request(peer.url + PATH, data=body, method="POST", headers={
            "Content-Type": "application/json", "X-Onewindow-Centre": self.link.own,
            "X-Onewindow-Timestamp": stamp,
            "X-Onewindow-Signature": sign(keys[0].secret, stamp, body)})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                answer = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise ValueError(f"HTTP {exc.code}: {exc.read()[:200]!r}") from None
        if not isinstance(answer, dict) or answer.get("message") != message["id"]:
            raise ValueError("the answer is not this message's receipt")
        return answer


def _entry(message: Mapping[str, Any], direction: str, link: Link) -> Document:
    """One line of a case's exchange audit trail."""
    body = message["body"]
    return {"id": message["id"], "direction": direction, "kind": message["kind"],
            "peer": message["to"] if direction == "out" else message["from"],
            "sequence": message["sequence"], "at": message["at"],
            "action": body.get("action") or "", "note": body.get("note") or ""}
