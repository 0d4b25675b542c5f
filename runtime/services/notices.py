"""Notifications (通知): written in the same batch as the case change that causes
them, read by their recipient in the in-app list, and each person's channel choices.

`record` is called by the case and task use cases inside their write batch: it derives
the drafts (`runtime.services.notice_rules`, pure), finds the people, renders the
centre's templates (titles, never ids) and puts one row per person. A batch that rolls
back takes its notifications with it; a committed one has them, whatever happens next.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from builder import MatterSpec
from builder.notifications import DEFAULTS, KINDS, Template
from runtime.engine.states import Role
from runtime.services.accounts import Accounts, User
from runtime.services.errors import NotFound
from runtime.services.notice_rules import (
    APPLICANT,
    DEPARTMENT,
    LEAD,
    PERSON,
    ROLE,
    Draft,
    derive,
)
from runtime.store import Store, WriteBatch

Document = dict[str, Any]
CHANNELS = {"email": "电子邮件", "sms": "短信"}
"""Channels besides the in-app list, which every notification reaches."""
SETTING = "notify_channels"


@dataclass(frozen=True)
class NoticeView:
    """One notification as its recipient sees it."""

    id: str
    kind: str
    case: str
    title: str
    body: str
    at: str
    read: bool

    def as_json(self) -> dict[str, Any]:
        """The API's shape: ``{id, kind, case, title, body, at, read}``."""
        return {"id": self.id, "kind": self.kind, "case": self.case, "title": self.title,
                "body": self.body, "at": self.at, "read": self.read}


_KIND_ORDER = {kind: n for n, kind in enumerate(KINDS)}


def notice_id(draft: Draft, recipient: str) -> str:
    """A notification's id: the same for the same (event, kind, person), every time; one
    person's notices of one case sort by event (the list's order within one moment)."""
    scope = draft.scope or draft.case
    who = hashlib.sha256(f"{scope}\x1f{recipient}".encode()).hexdigest()[:16]
    return f"n_{who}{draft.seq:06d}{_KIND_ORDER[draft.kind]:02d}"


class Notices:
    """Writing notifications with the change that causes them, and reading them."""

    def __init__(self, store: Store, accounts: Accounts, templates: Mapping[str, Template],
                 channels: frozenset[str] = frozenset()) -> None:
        self.store = store
        self.accounts = accounts
        self.templates = templates
        self.configured = channels  # the channels this centre has set up (SMTP, SMS)

    # -- writing (inside the caller's batch) ------------------------------------

    def record(self, tx: WriteBatch, old: Mapping[str, Any] | None, new: Mapping[str, Any],
               matter: MatterSpec) -> list[Document]:
        """Derive and put every notification the change from ``old`` to ``new`` causes."""
        return self.write(tx, derive(old, new, matter, self._department_name), new)

    def write(self, tx: WriteBatch, drafts: list[Draft],
              case: Mapping[str, Any] | None = None) -> list[Document]:
        """Put the notifications of ``drafts`` (about ``case``) for every person they reach."""
        if not drafts:
            return []
        people = _People(self.store, case or {})
        written = []
        for draft in drafts:
            for recipient in people.of(draft):
                notice = self.render(draft, recipient)
                tx.put_notice(notice)
                self._deliveries(tx, notice)
                written.append(notice)
        return written

    def _deliveries(self, tx: WriteBatch, notice: Mapping[str, Any]) -> None:
        """One delivery job per channel the person has an address for and wants (a
        legally required notice goes whatever they chose), in the notice's batch."""
        if not self.configured:
            return
        person = self.store.get_user(notice["recipient"]) or {}
        chosen = self.store.get_setting(notice["recipient"], SETTING) or {}
        for channel, field in (("email", "email"), ("sms", "phone")):
            address = str(person.get(field) or "")
            wanted = notice["required"] or chosen.get(channel, True)
            if channel in self.configured and address and wanted:
                tx.put_job({"id": f"deliver:{notice['id']}:{channel}", "kind": "deliver",
                            "status": "pending", "run_at": notice["at"], "lease_until": None,
                            "tries": 0, "error": None,
                            "payload": {"notice": notice["id"], "channel": channel,
                                        "to": address}})

    def render(self, draft: Draft, recipient: str) -> Document:
        """The stored notification of one draft for one person."""
        template = self.templates.get(draft.kind) or DEFAULTS[draft.kind]
        title, body = template.render(draft.values)
        return {"id": notice_id(draft, recipient), "key": draft.key, "kind": draft.kind,
                "recipient": recipient, "case": draft.case, "title": title, "body": body,
                "at": draft.at, "read": False, "required": KINDS[draft.kind].required}

    def department_name(self, department: str) -> str:
        """A department's name (its id if the catalog no longer has it)."""
        return self._department_name(department)

    def _department_name(self, department: str) -> str:
        found = self.accounts.departments.get(department)
        return str(getattr(found, "name", department))

    # -- reading and marking ------------------------------------------------------

    def list(self, user: User, *, limit: int = 50, offset: int = 0) -> list[NoticeView]:
        """The caller's notifications, newest first."""
        return [_view(doc) for doc in self.store.list_notices(user.id, limit=limit,
                                                              offset=offset)]

    def count(self, user: User) -> int:
        """How many notifications the caller has."""
        return self.store.count_notices(user.id)

    def unread(self, user: User) -> int:
        """How many the caller has not read (the bell's number)."""
        return self.store.count_notices(user.id, unread=True)

    def mark_read(self, user: User, notice_id: str) -> NoticeView:
        """Mark one of the caller's notifications read; another's is "not found"."""
        with self.store.write() as tx:
            doc = self.store.get_notice(notice_id)
            if doc is None or doc["recipient"] != user.id:
                raise NotFound("没有这条通知")
            if not doc["read"]:
                doc["read"] = True
                tx.put_notice(doc)
        return _view(doc)

    def mark_all_read(self, user: User) -> int:
        """Mark every unread notification of the caller read; how many."""
        unread = [d for d in self.store.list_notices(user.id, limit=10_000) if not d["read"]]
        with self.store.write() as tx:
            for doc in unread:
                tx.put_notice({**doc, "read": True})
        return len(unread)

    # -- channels -------------------------------------------------------------------

    def channels(self, user: User) -> dict[str, bool]:
        """Which channels the caller receives (every one unless turned off)."""
        chosen = self.store.get_setting(user.id, SETTING) or {}
        return {name: bool(chosen.get(name, True)) for name in CHANNELS}

    def set_channels(self, user: User, chosen: Mapping[str, bool]) -> dict[str, bool]:
        """Turn channels on or off; legally required notices are sent whatever is chosen."""
        value = {name: bool(chosen.get(name, False)) for name in CHANNELS}
        with self.store.write() as tx:
            tx.put_setting(user.id, SETTING, value)
        return value


def _view(doc: Mapping[str, Any]) -> NoticeView:
    return NoticeView(doc["id"], doc["kind"], doc["case"], doc["title"], doc["body"], doc["at"],
                      doc["read"])


class _People:
    """The people a draft reaches, looked up once per change."""

    def __init__(self, store: Store, case: Mapping[str, Any]) -> None:
        self.store = store
        self.case = case
        self._officers: dict[str, list[str]] | None = None

    def _of_department(self, department: str) -> list[str]:
        """A department's active officers (its users only are read)."""
        if self._officers is None:
            self._officers = {}
        if department not in self._officers:
            self._officers[department] = [
                doc["id"] for doc in self.store.list_users(department=department)
                if doc.get("role") == Role.DEPARTMENT and doc.get("active", True)]
        return self._officers[department]

    def of(self, draft: Draft) -> list[str]:
        """Recipients of ``draft``: never the person who caused it."""
        kind, ref = draft.audience.kind, draft.audience.ref
        if kind == APPLICANT:
            found = [p for p in (self.case.get("agent"), self.case.get("applicant")) if p][:1]
        elif kind == PERSON:
            found = [ref]
        elif kind in (DEPARTMENT, LEAD):
            found = list(self._of_department(ref))
        elif kind == ROLE:
            found = [d["id"] for d in self.store.list_users()
                     if d.get("role") == ref and d.get("active", True)]
        else:
            found = []
        return [p for p in found if p != draft.exclude]
