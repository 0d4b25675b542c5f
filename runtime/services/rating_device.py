"""The window's rating device (一次一评): a walk-in applicant rates on a second screen.

After a decision or a delivery at the window, the window officer starts a one-time
rating session bound to the case (`start`); the device (a tablet, a second screen)
opens ``/rate/{token}`` without signing in and shows the five levels and the
optional dimensions; the rating is recorded for that case (`rate`) as if the
applicant had rated online (一事一评: a second is 409), marked ``source: device`` with
the officer who started it. A session is a record of kind ``rating_session`` keyed by
the token's SHA-256 (the token itself is never stored), used once, and lapses after
`SESSION_MINUTES`.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from runtime.engine.actor import Actor
from runtime.engine.rating import DIMENSIONS, LEVELS
from runtime.engine.states import Role
from runtime.engine.vocabulary import RATEABLE_CASE
from runtime.services.accounts import User
from runtime.services.cases import Cases
from runtime.services.errors import Conflict, Forbidden, NotFound
from runtime.services.matters import Matters
from runtime.services.ratings import Ratings
from runtime.store.base import Document

KIND = "rating_session"
SESSION_MINUTES = 30
_GONE = "评价链接已使用或已失效，请窗口工作人员重新发起评价"


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class RatingDevice:
    """One-time rating sessions the window starts for a case."""

    def __init__(self, cases: Cases, ratings: Ratings, matters: Matters,
                 clock: Callable[[], datetime]) -> None:
        self.cases = cases
        self.store = cases.store
        self.ratings = ratings
        self.matters = matters
        self.clock = clock

    @staticmethod
    def levels() -> list[tuple[int, str]]:
        """(level, label) from 非常满意 down to 非常不满意."""
        return sorted(LEVELS.items(), reverse=True)

    @staticmethod
    def dimensions() -> dict[str, str]:
        """The rating dimensions (分项评价) and their names."""
        return dict(DIMENSIONS)

    @staticmethod
    def may_start(user: User, case: Mapping[str, Any]) -> bool:
        """Whether the window's case page offers the device for this case."""
        return (user.role == Role.WINDOW and case.get("status") in RATEABLE_CASE
                and not case.get("rating"))

    def start(self, user: User, case_id: str) -> str:
        """A new session for a decided, unrated case; returns its token (the device's
        address). Only the window starts one."""
        if user.role != Role.WINDOW:
            raise Forbidden("只有窗口工作人员可以发起现场评价")
        case = self.store.get_case(case_id)
        if case is None:
            raise NotFound("没有这个办件")
        if case.get("status") not in RATEABLE_CASE:
            raise Conflict("办件作出决定后才能评价")
        if case.get("rating"):
            raise Conflict("该办件已评价，一事一评，不能重复评价")
        token = secrets.token_urlsafe(24)
        now = self.clock()
        with self.store.write() as tx:
            tx.put_record(KIND, _key(token), {
                "case": case_id, "by": user.id, "by_name": user.display_name,
                "created_at": now.isoformat(),
                "expires_at": (now + timedelta(minutes=SESSION_MINUTES)).isoformat()})
        return token

    def session(self, token: str) -> tuple[Document, Document]:
        """The session and its case, or NotFound (unknown, used or lapsed)."""
        record = self.store.get_record(KIND, _key(token)) if token else None
        if record is None or datetime.fromisoformat(record["expires_at"]) < self.clock():
            raise NotFound(_GONE)
        case = self.store.get_case(record["case"])
        if case is None:
            raise NotFound(_GONE)
        return record, case

    def describe(self, token: str) -> dict[str, Any]:
        """What the device shows: the case's number and matter, never personal data."""
        record, case = self.session(token)
        try:
            matter = self.matters.version(case["matter"], case["matter_version"]).name
        except NotFound:
            matter = case["matter"]
        return {"number": case.get("number") or "", "matter": matter,
                "officer": record.get("by_name") or "", "rated": bool(case.get("rating"))}

    def rate(self, token: str, level: Any, comment: Any = None,
             dimensions: Any = None) -> Document:
        """Record the rating of the session's case; the session is used up."""
        record, case = self.session(token)
        if case.get("rating"):
            raise Conflict("该办件已评价，一事一评，不能重复评价")
        actor = Actor(id=record["by"], role=Role.WINDOW, name=record.get("by_name") or "")
        rated = self.cases.change_as_system(case["id"], self.ratings.rating_of(
            actor, level, comment, dimensions, device=True))
        with self.store.write() as tx:
            tx.put_record(KIND, _key(token), None)
        return dict(rated["rating"])

