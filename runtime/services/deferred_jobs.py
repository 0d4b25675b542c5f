"""容缺 reminders and escalation: a material accepted as deferred has a due time; its
applicant (and agent) is reminded a few working days before it, and once it is missed
the applicant is told and the lead department and the supervisors are alerted.

Planned like the lights (`runtime.services.schedule`): jobs written in the batch that
makes the due time known (acceptance, or the decision of the step it follows), ids
``deferred_soon:CASE:MATERIAL@DUE`` and ``deferred_overdue:…``; a handler that finds the
material supplied, the case closed or the due time changed does nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from builder import MatterSpec
from runtime.engine.calendar import WorkCalendar
from runtime.engine.events import iso
from runtime.engine.states import Role
from runtime.engine.vocabulary import CLOSED_CASE
from runtime.services.notice_rules import LEAD, PERSON, ROLE, Audience, Draft, due_text
from runtime.services.problems import Titles
from runtime.services.reading import deferred_due
from runtime.services.schedule import PAST, Planned, yellow_moment

Document = dict[str, Any]
SOON, OVERDUE = "deferred_soon", "deferred_overdue"


def _owed(case: Mapping[str, Any] | None, matter: MatterSpec) -> dict[str, str]:
    """``material@due`` of each unsupplied deferred material whose due time is known."""
    if not case or case.get("status") in CLOSED_CASE:
        return {}
    out = {}
    for entry in case.get("deferred") or ():
        due = None if entry.get("supplied") else deferred_due(matter, dict(case), entry)
        if due is not None:
            out[f"{entry['material']}@{iso(due)}"] = entry["material"]
    return out


def plan_deferred(old: Mapping[str, Any] | None, new: Mapping[str, Any], matter: MatterSpec,
                  calendar: WorkCalendar, remind_days: float,
                  now: datetime | None = None) -> list[Planned]:
    """The reminder and escalation jobs of deferred materials whose due time ``new``
    makes known (and ``old`` did not)."""
    before = _owed(old, matter)
    out = []
    for key, material in _owed(new, matter).items():
        if key in before:
            continue
        due = datetime.fromisoformat(key.split("@", 1)[1])
        about = {"case": new["id"], "material": material, "due": iso(due)}
        name = f"{new['id']}:{key}"
        start = now or datetime.fromisoformat(new.get("updated_at") or iso(due))
        moment = yellow_moment(due, min(start, due), 0.0, calendar, remind_days, 0.0)
        if moment < due:
            out.append(Planned(SOON, f"{SOON}:{name}", iso(moment), about))
        out.append(Planned(OVERDUE, f"{OVERDUE}:{name}", iso(due + PAST), about))
    return out


class DeferredReminders:
    """The worker's handlers of the 容缺 jobs."""

    def __init__(self, store: Any, spec: Callable[[Document], MatterSpec],
                 notices: Any) -> None:
        self.store = store
        self.spec = spec
        self.notices = notices

    def run(self, job: Document, now: datetime) -> None:
        """Remind or escalate, if the material is still owed by that due time."""
        about = job["payload"]
        with self.store.write() as tx:
            case = tx.get_case(about["case"])
            matter = self.spec(case) if case is not None else None
            owed = _owed(case, matter) if matter is not None else {}
            if case is not None and matter is not None \
                    and f"{about['material']}@{about['due']}" in owed:
                tx_drafts = self._drafts(job, case, matter, now)
                self.notices.write(tx, tx_drafts, case)
            tx.delete_job(job["id"])

    def _drafts(self, job: Document, case: Document, matter: MatterSpec,
                now: datetime) -> list[Draft]:
        about = job["payload"]
        values = {"matter": matter.name, "number": case.get("number") or "",
                  "material": Titles(matter).material(about["material"]),
                  "due": due_text(about["due"])}
        seq, at = len(case.get("events") or ()), iso(now)
        people = [p for p in dict.fromkeys((case.get("applicant"), case.get("agent"))) if p]
        kind = "deferred_due_soon" if job["kind"] == SOON else "deferred_overdue"
        drafts = [Draft(job["id"], kind, Audience(PERSON, person), case["id"], seq, at, values,
                        scope=job["id"]) for person in people]
        if job["kind"] == OVERDUE:
            drafts += [Draft(job["id"], "deferred_escalated", audience, case["id"], seq, at,
                             values, scope=f"{job['id']}/{audience.kind}")
                       for audience in (Audience(LEAD, matter.lead),
                                        Audience(ROLE, Role.SUPERVISOR))]
        return drafts
