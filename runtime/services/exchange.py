"""The exchange between centres as the web layer and the CLI see it: the inbox (the
receiving use case), the outbox (written by case changes, delivered by the worker),
and the read models of who is waiting on whom (status, supervision, audit trail)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from runtime.engine.events import iso
from runtime.engine.states import Role
from runtime.engine.vocabulary import sent_label
from runtime.exchange.envelope import KIND_LABELS
from runtime.exchange.signature import env_name
from runtime.services.accounts import User
from runtime.services.errors import Conflict, Forbidden, NotFound
from runtime.services.exchange_base import IN, JOB, OUT, REFUSED, TASK, Link, waited
from runtime.services.exchange_in import Inbox
from runtime.services.exchange_out import Outbox
from runtime.store import JOB_PENDING, JOB_RUNNING, Store

Document = dict[str, Any]
ACTION_LABELS = {"claim": "签收", "unclaim": "退回待办", "transfer": "转办",
                 "preliminary": "初审意见", "suspend": "挂起", "resume": "恢复",
                 "approve": "审批通过", "reject": "不予许可", "cancel": "撤销",
                 "consent": "超时默许", "notice": "缴款通知", "paid": "已缴款", "refund": "退费",
                 "materials": "补齐材料"}


@dataclass(frozen=True)
class PeerState:
    """One peer as the status page shows it."""

    id: str
    name: str
    url: str
    key_env: str
    key_count: int
    reachable: bool | None
    queued: int
    failed: int
    problem: str = ""
    """Why the signed ping failed (e.g. ``HTTP 401``: it answers, but not to our key)."""


class Exchange:
    """Everything of the exchange the edges call."""

    def __init__(self, link: Link, store: Store, inbox: Inbox, outbox: Outbox,
                 clock: Callable[[], datetime]) -> None:
        self.link = link
        self.store = store
        self.inbox = inbox
        self.outbox = outbox
        self.clock = clock
        self.far: Callable[[], Document] = dict
        """The peers' side of the alarm (`exchange_probe.Probe.alarms`)."""
        self.probe: Any = None
        """The reachability probe (`exchange_probe.Probe`), answering the peers' pings."""

    # -- status (the CLI and the admin page) ---------------------------------------

    def queued(self) -> list[Document]:
        """Messages not yet acknowledged, oldest first, with their tries and last error."""
        now = self.clock()
        rows = []
        for job in self.store.list_jobs(status=[JOB_PENDING, JOB_RUNNING], limit=100_000):
            if job["kind"] != JOB:
                continue
            message = job["payload"]["message"]
            created = job["payload"].get("created") or message["at"]
            late = now - datetime.fromisoformat(created) > self.link.alarm
            rows.append({"job": job["id"], "id": message["id"], "peer": message["to"],
                         "peer_name": self.link.peer_name(message["to"]),
                         "kind": KIND_LABELS[message["kind"]],
                         "number": message["case"].get("sender_number") or "",
                         "created": created, "waited": waited(created, now),
                         "tries": int(job.get("tries") or 0), "error": job.get("error") or "",
                         "light": "red" if late else "yellow" if job.get("tries") else "green"})
        return sorted(rows, key=lambda r: r["created"])

    def peers(self, *, probe: bool = True) -> list[PeerState]:
        """Every peer: its key, whether it answers, its queued and failing messages."""
        queued = self.queued()
        out = []
        for p in self.link.peers.values():
            seen = self._ping(p.id) if probe and self.probe is not None else None
            out.append(PeerState(
                p.id, p.name, p.url, env_name(p.id), len(self.link.keys.get(p.id) or ()),
                None if seen is None else not seen, sum(1 for q in queued if q["peer"] == p.id),
                sum(1 for q in queued if q["peer"] == p.id and q["tries"]), seen or ""))
        return out

    def _ping(self, peer_id: str) -> str:
        """The signed ping (`exchange_probe.Probe.ask`), recording nothing (a status read
        writes nothing; the worker's probe job keeps the record): why it failed, or ""
        when the peer answered — and so also took our key."""
        try:
            self.probe.ask(peer_id)
        except (OSError, ValueError) as exc:
            return str(exc)[:300] or type(exc).__name__
        return ""

    def refused(self) -> list[Document]:
        """Messages refused (bad signature, stale timestamp, bad envelope), newest first."""
        return sorted(self.store.list_records(REFUSED), key=lambda r: r["at"], reverse=True)

    def retry(self, user: User, job_id: str) -> None:
        """Try a queued message again now."""
        if user.role != Role.ADMIN:
            raise Forbidden("只有中心管理员可以重发报文")
        job = self.store.get_job(job_id)
        if job is None or job["kind"] != JOB:
            raise NotFound("没有这条待发报文（可能已经送达）")
        if job["status"] == JOB_RUNNING:
            raise Conflict("该报文正在发送，请稍后再试")
        with self.store.write() as tx:
            tx.put_job({**job, "run_at": iso(self.clock()), "lease_until": None})
        self.link.wake()

    def report(self, user: User, *, probe: bool = True) -> Document:
        """The status as JSON (``onewindow exchange status``, ``GET /exchange/status``)."""
        if user.role not in (Role.ADMIN, Role.SUPERVISOR):
            raise Forbidden("只有中心管理员和电子监察人员可以查看跨中心协同状态")
        return {"centre": self.link.own, "name": self.link.own_name,
                "peers": [vars(p) for p in self.peers(probe=probe)],
                "queued": self.queued(), "refusals": self.refused()[:20],
                "alarm": self.alarm()}

    # -- supervision and the audit trail ------------------------------------------------

    def alarm(self) -> Document:
        """For the supervision board: whether there are peers, how many cross-centre
        messages wait, and what is red: ours past the alarm (``mine``), the peers' to us
        past the alarm (``theirs``), peers unreachable past it with open tasks (``away``)."""
        if not self.link.active:
            return {"active": False, "queued": 0, "red": 0, "theirs": [], "away": []}
        queued = self.queued()
        mine = sum(1 for q in queued if q["light"] == "red")
        far = self.far()  # runtime/services/exchange_probe.py: what the peers told
        theirs, away = far.get("theirs") or [], far.get("away") or []
        return {"active": True, "queued": len(queued), "mine": mine,
                "red": mine + len(theirs) + len(away), "theirs": theirs, "away": away,
                "minutes": round(self.link.alarm.total_seconds() / 60, 2)}

    def tasks(self) -> list[Document]:
        """Every cross-centre task, sent or received, with where it is and how long it
        has waited; red when its acceptance is unacknowledged past the alarm."""
        now = self.clock()
        queued = {q["id"]: q for q in self.queued()}
        rows = []
        for sent in self.store.list_records(TASK):
            case = self.store.get_case(sent["case"])
            task = next((t for t in (case or {}).get("tasks") or () if t["id"] == sent["id"]),
                        None)
            if case is None or task is None:
                continue
            pending = queued.get(sent["message"])
            rows.append({"direction": "sent", "peer": self.link.peer_name(sent["peer"]),
                         "case": case, "task": task, "number": case.get("number") or "",
                         "their_number": sent.get("number") or "",
                         "delivered": sent.get("delivered_at") is not None,
                         "waited": waited(sent["sent_at"], now),
                         "light": pending["light"] if pending else None})
        for case in self.store.list_cases(limit=100_000):
            far = case.get("exchange")
            if not far:
                continue
            for task in case["tasks"]:
                rows.append({"direction": "received", "peer": self.link.peer_name(far["peer"]),
                             "case": case, "task": task, "number": case.get("number") or "",
                             "their_number": far["number"], "delivered": True,
                             "waited": waited(task.get("ready_at") or case["created_at"], now),
                             "light": None})
        return [{**r, **self._names(r["case"], r["task"])} for r in rows]

    def _names(self, case: Mapping[str, Any], task: Mapping[str, Any]) -> Document:
        cases = self.inbox.cases
        try:
            step = cases.spec(case).step(task["step"]).name
        except (KeyError, NotFound):
            step = task["step"]
        department = cases.accounts.departments.get(task["department"])
        return {"step_name": step,
                "department_name": getattr(department, "name", task["department"])}

    def case_trail(self, user: User, case_id: str) -> tuple[Document, list[Document]]:
        """A case and every message about it, for a supervisor or an administrator."""
        if user.role not in (Role.ADMIN, Role.SUPERVISOR):
            raise Forbidden("只有电子监察人员和中心管理员可以查看报文记录")
        case = self.store.get_case(case_id)
        if case is None:
            raise NotFound("没有这个办件")
        return case, self.trail(case_id)

    def trail(self, case_id: str) -> list[Document]:
        """Every message sent and received about a case, in time order (its audit trail)."""
        rows = []
        for record in self.store.list_records(OUT):
            if record.get("case") == case_id:
                rows.append({**_line(record, "发出", self.link), "at": record["created"],
                             "state": "已确认" if record.get("delivered_at") else "待确认"})
        for record in self.store.list_records(IN):
            if record.get("case") == case_id:
                unchanged = str(record.get("note") or "").startswith("not applied")
                rows.append({**_line(record, "收到", self.link), "at": record["at"],
                             "state": "已记录，未改变办件" if unchanged else "已处理"})
        return sorted(rows, key=lambda r: (r["at"], r["id"]))

    def remote_label(self, department: str) -> str:
        """"sent to PEER" for a department in a peer centre, else empty."""
        where = self.link.remote.get(department)
        return sent_label(self.link.peer_name(where[0])) if where else ""


def _line(record: Mapping[str, Any], direction: str, link: Link) -> Document:
    kind = record.get("message_kind") or ""
    action = record.get("action") or ""
    return {"id": record["id"], "direction": direction, "peer": link.peer_name(record["peer"]),
            "kind": KIND_LABELS.get(kind, kind), "action": ACTION_LABELS.get(action, action),
            "sequence": record.get("sequence")}

