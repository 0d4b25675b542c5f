"""Reachability between centres (docs/exchange.md, "Red on both boards").

Each centre's worker asks every peer, every ``exchange_probe_seconds``, a signed
``GET /exchange/v1/ping`` (signed like a message, over an empty body). The peer answers
its own view: the messages it has not yet delivered to us and since when. The answer
(or the failure) is recorded per peer, so that each supervision board shows red for

- its own messages unacknowledged past ``exchange_alarm_minutes`` (`Exchange.queued`),
- the peer's messages to it undelivered past the alarm, as the peer last told, and
- a peer unreachable past the alarm while cross-centre tasks with it are open.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from runtime.engine.events import iso
from runtime.engine.states import CaseStatus
from runtime.engine.vocabulary import WORKABLE_TASK
from runtime.exchange.signature import sign, verify
from runtime.services.errors import NotAuthenticated
from runtime.services.exchange import Exchange
from runtime.services.exchange_base import TASK, waited
from runtime.services.jobs import Jobs
from runtime.services.worker import Worker

log = logging.getLogger("onewindow.exchange")
Document = dict[str, Any]
PEER = "exchange-peer"
"""Record kind: what this centre last learnt of a peer (reachable, its undelivered)."""
JOB = "exchange-probe"
"""The job kind (one job, rescheduled by itself) that asks every peer."""
PATH = "/exchange/v1/ping"
TIMEOUT = 5.0


class Probe:
    """Answers the peers' pings, asks them in turn, and says what is red because of them."""

    def __init__(self, exchange: Exchange, worker: Worker, every: float,
                 clock: Callable[[], datetime]) -> None:
        self.exchange = exchange
        self.link = exchange.link
        self.store = exchange.store
        self.every = every
        self.clock = clock
        if self.link.active:
            worker.handlers[JOB] = self.run
            worker.starting.append(self.ensure)
        exchange.far = self.alarms

    # -- answering ------------------------------------------------------------------

    def answer(self, centre: str, timestamp: str, signature: str) -> Document:
        """Our view for ``centre``: the messages to it we have not delivered yet."""
        now = self.clock()
        why = ("unknown centre" if centre not in self.link.peers else
               verify(self.link.keys.get(centre) or (), timestamp, b"", signature, now))
        if why:
            self.exchange.inbox.refuse(centre, why, now)
            raise NotAuthenticated("探测请求未通过验证")
        mine = [{"id": q["id"], "kind": q["kind"], "number": q["number"],
                 "created": q["created"], "tries": q["tries"]}
                for q in self.exchange.queued() if q["peer"] == centre]
        return {"centre": self.link.own, "at": iso(now), "undelivered": mine}

    # -- asking (the worker) ------------------------------------------------------------

    def ensure(self, now: datetime) -> int:
        """At start: the probing job exists (one per store, whichever worker runs it),
        due within ``every`` seconds (a shorter setting takes effect at once)."""
        job = self.store.get_job(JOB)
        if job is not None and datetime.fromisoformat(job["run_at"]) <= \
                now + timedelta(seconds=self.every):
            return 0
        with self.store.write() as tx:
            Jobs.schedule(tx, JOB, JOB, iso(now), {})
        return 1

    def run(self, job: Document, _at: datetime) -> None:
        """Ask every peer, record what each said, and come back in ``every`` seconds
        (of the clock: a worker run for a later moment does not push the probe away)."""
        now = self.clock()
        for peer in self.link.peers:
            self.probe(peer, now)
        with self.store.write() as tx:
            Jobs.schedule(tx, JOB, JOB, iso(now + timedelta(seconds=self.every)), {})

    def probe(self, peer_id: str, now: datetime) -> Document:
        """Ask one peer; the record of what we now know of it."""
        was = self.store.get_record(PEER, peer_id) or {}
        try:
            said = self.ask(peer_id)
            undelivered = [u for u in said.get("undelivered") or () if isinstance(u, dict)]
            record = {"peer": peer_id, "at": iso(now), "ok": True, "last_ok": iso(now),
                      "down_since": None, "error": "", "undelivered": undelivered}
        except (OSError, ValueError) as exc:
            record = {**was, "peer": peer_id, "at": iso(now), "ok": False,
                      "down_since": was.get("down_since") or iso(now), "error": str(exc)[:300]}
        with self.store.write() as tx:
            tx.put_record(PEER, peer_id, record)
        return record

    def ask(self, peer_id: str) -> Document:
        """The signed ping; the peer's answer (OSError or ValueError when it fails)."""
        peer = self.link.peers[peer_id]
        keys = self.link.keys.get(peer_id) or ()
        if not keys:
            raise ValueError(f"peer {peer_id} has no key configured")
        stamp = str(int(self.clock().timestamp()))
        request = urllib.request.Request(peer.url + PATH, headers={
            "X-Onewindow-Centre": self.link.own, "X-Onewindow-Timestamp": stamp,
            "X-Onewindow-Signature": sign(keys[0].secret, stamp, b"")})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                answer = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise ValueError(f"HTTP {exc.code}") from None
        if not isinstance(answer, dict) or answer.get("centre") != peer_id:
            raise ValueError("the answer is not the peer's")
        return answer

    # -- the board ----------------------------------------------------------------------

    def alarms(self) -> Document:
        """What is red because of the peers: their messages to us undelivered past the
        alarm (as they last told), and peers unreachable past the alarm while tasks with
        them are open."""
        now, alarm = self.clock(), self.link.alarm
        theirs, away = [], []
        for record in self.store.list_records(PEER):
            peer = record.get("peer") or ""
            if peer not in self.link.peers:
                continue
            for item in record.get("undelivered") or ():
                created = str(item.get("created") or "")
                if created and now - datetime.fromisoformat(created) > alarm:
                    theirs.append({**item, "peer": peer, "peer_name": self.link.peer_name(peer),
                                   "waited": waited(created, now)})
            down = record.get("down_since")
            if not record.get("ok") and down and now - datetime.fromisoformat(down) > alarm \
                    and self._open_with(peer):
                away.append({"peer": peer, "name": self.link.peer_name(peer),
                             "since": down, "waited": waited(down, now),
                             "error": record.get("error") or ""})
        return {"theirs": theirs, "away": away}

    def _open_with(self, peer: str) -> bool:
        """Whether a cross-centre task with ``peer`` is open (sent or received)."""
        for sent in self.store.list_records(TASK):
            if sent.get("peer") != peer:
                continue
            case = self.store.get_case(sent["case"]) or {}
            if any(t["id"] == sent["id"] and t["status"] in WORKABLE_TASK
                   for t in case.get("tasks") or ()):
                return True
        return any((c.get("exchange") or {}).get("peer") == peer and
                   any(t["status"] in WORKABLE_TASK for t in c.get("tasks") or ())
                   for c in self.store.list_cases(status=[CaseStatus.IN_PROGRESS], limit=100_000))
