"""The embedded store's reads of notifications (站内通知) and jobs, a mixin of
`IndexedStore`: notifications through the per-recipient index of `MetaTables`, jobs
by scanning the queue (finished jobs are deleted, so it holds only what is to do)."""

from __future__ import annotations

import copy
import heapq
import threading
from collections.abc import Iterable
from typing import Any

from runtime.store.base import Document
from runtime.store.batch import Entry, is_due
from runtime.store.tables import MetaTables


class InboxReads:
    """Notification and job reads over the small tables (committed state only)."""

    _state: threading.RLock
    _tables: MetaTables
    _pending: dict[tuple[str, str], Entry]

    def get_notice(self, notice_id: str) -> Document | None:
        """Return a notification, or None."""
        with self._state:
            return self._tables.get("notices", notice_id)

    def _notices_of(self, user_id: str) -> list[dict[str, Any]]:
        raw = self._tables.raw("notices")
        return [raw[key] for key in self._tables.inbox.get(user_id, ())]

    def list_notices(self, user_id: str, *, limit: int = 50, offset: int = 0) -> list[Document]:
        """Return a person's notifications, newest first."""
        with self._state:
            found = sorted(self._notices_of(user_id), key=lambda n: (n["at"], n["id"]),
                           reverse=True)[offset:offset + limit]
            return copy.deepcopy(found)

    def count_notices(self, user_id: str, *, unread: bool = False) -> int:
        """Count a person's notifications (or only the unread ones)."""
        with self._state:
            return sum(1 for n in self._notices_of(user_id) if not (unread and n["read"]))

    def get_job(self, job_id: str) -> Document | None:
        """Return a job, or None."""
        with self._state:
            return self._tables.get("jobs", job_id)

    def _jobs(self, status: Iterable[str] | None) -> list[dict[str, Any]]:
        wanted = None if status is None else set(status)
        return sorted((job for job in self._tables.raw("jobs").values()
                       if wanted is None or job["status"] in wanted),
                      key=lambda job: (job["run_at"], job["id"]))

    def list_jobs(self, *, status: Iterable[str] | None = None, limit: int = 100,
                  offset: int = 0) -> list[Document]:
        """Return jobs, earliest ``run_at`` first."""
        with self._state:
            return copy.deepcopy(self._jobs(status)[offset:offset + limit])

    def count_jobs(self, *, status: Iterable[str] | None = None) -> int:
        """Count jobs, optionally by status."""
        with self._state:
            return len(self._jobs(status))

    def committed_due_jobs(self, now: str, limit: int | None = None) -> list[Document]:
        """The jobs due at ``now`` as committed or pending in earlier batches (for
        `Batch.claim_jobs`); with ``limit``, only that many of the earliest (copying
        every due job on each claim made draining N due jobs cost N²)."""
        with self._state:
            jobs = {key: job for key, job in self._tables.raw("jobs").items()
                    if is_due(job, now)}
            for (kind, key), entry in self._pending.items():
                if kind == "jobs":
                    jobs.pop(key, None)
                    if entry.value is not None and is_due(entry.value, now):
                        jobs[key] = entry.value
            found = list(jobs.values()) if limit is None else heapq.nsmallest(
                limit, jobs.values(), key=lambda job: (job["run_at"], job["id"]))
            return copy.deepcopy(found)
