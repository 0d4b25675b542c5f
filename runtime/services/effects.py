"""What a case change brings with it, written in the same batch: the notifications it
causes and the timed jobs it starts (超时默许, yellow and red lights)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from builder import MatterSpec
from runtime.engine.calendar import WorkCalendar
from runtime.services.jobs import Jobs
from runtime.services.notices import Notices
from runtime.services.schedule import plan
from runtime.store import WriteBatch


class Effects:
    """Notifications and jobs of a change, in the change's own batch."""

    def __init__(self, notices: Notices, calendar: WorkCalendar,
                 yellow: tuple[float, float]) -> None:
        self.notices = notices
        self.calendar = calendar
        self.yellow = yellow
        self.also: list[Callable[[WriteBatch, Mapping[str, Any] | None, Mapping[str, Any],
                                  MatterSpec], None]] = []
        """Further effects written in the change's batch (the exchange's outbox)."""

    def after(self, tx: WriteBatch, old: Mapping[str, Any] | None, new: Mapping[str, Any],
              matter: MatterSpec) -> None:
        """Write the notifications and schedule the jobs of the change ``old`` → ``new``."""
        self.notices.record(tx, old, new, matter)
        for job in plan(old, new, matter, self.calendar, self.yellow):
            Jobs.schedule(tx, job.kind, job.id, job.run_at, job.payload)
        for effect in self.also:
            effect(tx, old, new, matter)
