"""What a case change brings with it, written in the same batch: the notifications it
causes and the timed jobs it starts (超时默许, yellow and red lights, 容缺 reminders)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from builder import MatterSpec
from runtime.engine.calendar import WorkCalendar
from runtime.services.certificates import Register
from runtime.services.deferred_jobs import plan_deferred
from runtime.services.entrusted import track_entrusted
from runtime.services.forwarding import track_forwarding
from runtime.services.jobs import Jobs
from runtime.services.list_index import track_lists
from runtime.services.notices import Notices
from runtime.services.rating_tally import track_tally
from runtime.services.schedule import Planned, plan
from runtime.store import WriteBatch


class Effects:
    """Notifications and jobs of a change, in the change's own batch."""

    def __init__(self, notices: Notices, calendar: WorkCalendar,
                 yellow: tuple[float, float], remind_days: float = 3.0,
                 register: Register | None = None) -> None:
        self.notices = notices
        self.calendar = calendar
        self.yellow = yellow
        self.remind_days = remind_days  # 容缺: reminded this many working days before
        self.register = register
        self.also: list[Callable[[WriteBatch, Mapping[str, Any] | None, Mapping[str, Any],
                                  MatterSpec], None]] = []
        """Further effects written in the change's batch (the exchange's outbox)."""

    def jobs(self, old: Mapping[str, Any] | None, new: Mapping[str, Any],
             matter: MatterSpec, now: datetime | None = None) -> list[Planned]:
        """The timed jobs the change ``old`` → ``new`` starts: lights, 超时默许, 容缺."""
        return [*plan(old, new, matter, self.calendar, self.yellow),
                *plan_deferred(old, new, matter, self.calendar, self.remind_days, now)]

    def after(self, tx: WriteBatch, old: Mapping[str, Any] | None, new: Mapping[str, Any],
              matter: MatterSpec) -> None:
        """Write the notifications and schedule the jobs of the change ``old`` → ``new``."""
        self.notices.record(tx, old, new, matter)
        if self.register is not None:  # certificates issued enter the register (证照库)
            self.register.record(tx, old, new)
        track_forwarding(tx, old, new)
        track_entrusted(tx, old, new)  # the principal's 我的办件 (全程代办)
        track_lists(tx, old, new)  # the lists of ratings, results and scores
        track_tally(tx, old, new, matter.lead)  # the published rating counts
        for job in self.jobs(old, new, matter):
            Jobs.schedule(tx, job.kind, job.id, job.run_at, job.payload)
        for effect in self.also:
            effect(tx, old, new, matter)
