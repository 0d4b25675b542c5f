"""好差评: the applicant rates a decided case once; a 差评 opens a rectification (整改)
for the responsible department, answered, followed up (回访) or appealed.

The rating is kept in the case document and each step is an event of the case
(`runtime.engine.rating`); lists read the slim copies of the rateable cases written in
the case's own batch (`runtime.services.list_index`), counts the tallies kept there
(`runtime.services.rating_tally`), never every case.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from runtime.engine import rating as engine_rating
from runtime.engine.calendar import WorkCalendar
from runtime.engine.errors import EngineError, NotPermitted, TransitionNotAllowed
from runtime.engine.states import Role
from runtime.engine.vocabulary import RATEABLE_CASE
from runtime.services import list_index as lists
from runtime.services import rating_tally
from runtime.services.accounts import User
from runtime.services.cases import Cases, actor_of
from runtime.services.errors import Conflict, Forbidden, Invalid, ServiceError

Document = dict[str, Any]
ACTIONS = {a.value: a for a in engine_rating.RatingAction if a != engine_rating.RatingAction.RATE}
LEVELS = engine_rating.LEVELS
STATUS_LABELS = engine_rating.RECTIFICATION_LABELS


@dataclass(frozen=True)
class RatingRow:
    """A rated case as the lists show it."""

    case_id: str
    number: str
    matter_name: str
    department: str
    department_name: str
    rating: Mapping[str, Any]

    @property
    def level_label(self) -> str:
        """非常满意 … 非常不满意."""
        return LEVELS[self.rating["level"]]

    @property
    def rectification(self) -> Mapping[str, Any] | None:
        """The rectification of a 差评, or None."""
        found: Mapping[str, Any] | None = self.rating.get("rectification")
        return found

    @property
    def status_label(self) -> str:
        """The rectification state in Chinese ("—" without one)."""
        found = self.rectification
        return STATUS_LABELS[found["status"]] if found else "—"

    def to_json(self) -> dict[str, Any]:
        """As the API sends it."""
        return {"case": self.case_id, "number": self.number, "matter_name": self.matter_name,
                "department": self.department, "department_name": self.department_name,
                **{k: v for k, v in self.rating.items() if k != "department"}}


@contextmanager
def _translated() -> Iterator[None]:
    """Engine errors of this module in Chinese."""
    try:
        yield
    except TransitionNotAllowed as exc:
        if "already rated" in exc.reason:
            raise Conflict("该办件已评价，一事一评，不能重复评价") from exc
        if "after the decision" in exc.reason:
            raise Conflict("办件作出决定后才能评价") from exc
        if exc.reason == "no rectification":
            raise Conflict("该评价没有整改事项") from exc
        raise Conflict("整改当前状态不允许此操作") from exc
    except NotPermitted as exc:
        raise Forbidden("无权进行此操作") from exc
    except EngineError as exc:
        details = getattr(exc, "details", [])
        messages = {"/level": "评价等级须为 1–5 的整数（5 非常满意 … 1 非常不满意）",
                    "/comment": f"评价内容不超过 {engine_rating.MAX_TEXT} 字",
                    "/text": f"请填写内容（不超过 {engine_rating.MAX_TEXT} 字）"}
        shown = [{"pointer": d["pointer"], "message": messages.get(
                      d["pointer"], "各项评价须为 1–5 的整数" if d["pointer"].startswith(
                          "/dimensions") else d["message"])}
                 for d in details]
        raise Invalid("；".join(d["message"] for d in shown) or "输入有误", shown) from exc


class Ratings:
    """Ratings, rectifications and their counts."""

    def __init__(self, cases: Cases, calendar: WorkCalendar, departments: Callable[[], Mapping[
            str, str]], clock: Callable[[], datetime], rectify_days: float,
                 default_days: float) -> None:
        self.cases = cases
        self.calendar = calendar
        self.departments = departments
        self.clock = clock
        self.rectify_days = rectify_days
        self.default_days = default_days

    responsible = staticmethod(rating_tally.responsible)

    def rate(self, user: User, case_id: str, level: Any, comment: Any = None, *,
             dimensions: Any = None) -> Document:
        """Rate once after the decision; a 差评 opens a rectification."""
        if user.role != Role.APPLICANT:
            raise Forbidden("只有申请人可以评价自己的办件")
        return dict(self.cases.change(user, case_id, self.rating_of(
            actor_of(user), level, comment, dimensions))["rating"])

    def rating_of(self, actor: Any, level: Any, comment: Any, dimensions: Any, *,
                  device: bool = False) -> Any:
        """The engine step that rates a case (for `Cases.change`)."""
        def act(case: Document, matter: Any, _: Any) -> Document:
            with _translated():
                return engine_rating.rate(
                    case, actor, self.clock(), level, comment,
                    department=self.responsible(case, matter.lead), calendar=self.calendar,
                    rectify_days=self.rectify_days, dimensions=dimensions, device=device)
        return act

    def act(self, user: User, case_id: str, action: str, text: Any) -> Document:
        """Reply or appeal (department), 回访 or rule on the appeal (supervisor)."""
        if action not in ACTIONS:
            raise Invalid("没有这个整改操作", [{"pointer": "/action", "message":
                                         "须为 " + "、".join(ACTIONS) + " 之一"}])

        def step(case: Document, _: Any, __: Any) -> Document:
            with _translated():
                return engine_rating.rectify(case, actor_of(user), self.clock(),
                                             ACTIONS[action], text)
        return dict(self.cases.change(user, case_id, step)["rating"])

    def actions(self, user: User, case: Mapping[str, Any]) -> tuple[str, ...]:
        """What ``user`` may do on the case's rectification now."""
        return tuple(str(a) for a in engine_rating.rectify_actions(case, actor_of(user)))

    @staticmethod
    def levels() -> list[tuple[int, str]]:
        """(level, label) from 非常满意 down to 非常不满意."""
        return sorted(LEVELS.items(), reverse=True)

    def may_rate(self, user: User, case: Mapping[str, Any]) -> bool:
        """Whether the rating form is offered on this case to ``user``."""
        return (user.role == Role.APPLICANT and case.get("applicant") == user.id
                and case.get("status") in RATEABLE_CASE and not case.get("rating"))

    def _rated(self, *, department: str | None = None) -> Iterator[Document]:
        """The rated cases (slim copies), only those charged to ``department`` if given."""
        yield from self.cases.store.list_records(
            lists.rating_kind(department) if department else lists.RATED)

    def listing(self, user: User, *, bad_only: bool = False) -> list[RatingRow]:
        """Rated cases, newest first: a supervisor sees all, a department its own."""
        if user.role not in (Role.SUPERVISOR, Role.ADMIN, Role.DEPARTMENT):
            raise Forbidden("只有电子监察和部门可以查看评价")
        names = self.departments()
        rows = []
        own = user.department if user.role == Role.DEPARTMENT else None
        if user.role == Role.DEPARTMENT and not own:
            return []
        for case in self._rated(department=own):
            rating = case.get("rating")
            if not rating or (bad_only and not rating.get("rectification")):
                continue
            if user.role == Role.DEPARTMENT and rating["department"] != user.department:
                continue
            try:
                matter_name = self.cases.spec(case).name
            except ServiceError:
                matter_name = case["matter"]
            rows.append(RatingRow(case["id"], case.get("number") or "", matter_name,
                                  rating["department"],
                                  names.get(rating["department"], rating["department"]),
                                  rating))
        return sorted(rows, key=lambda r: (r.rating["at"], r.case_id), reverse=True)

    def counts(self) -> list[dict[str, Any]]:
        """Published counts per department (a case unrated in time counts as 基本满意; an
        upheld appeal does not count), by name: from the tallies (`rating_tally`)."""
        names = self.departments()
        rows = []
        for department, levels in rating_tally.counted(
                self.cases.store, self.clock(), self.default_days).items():
            total = sum(n for n, _ in levels.values())
            if not total:
                continue
            bad = sum(levels.get(level, (0, 0))[0] for level in engine_rating.BAD)
            rows.append({"department": department, "name": names.get(department, department),
                         "total": total, "bad": bad,
                         "levels": {n: levels.get(n, (0, 0))[0] for n in LEVELS},
                         "default": sum(d for _, d in levels.values()),
                         "satisfied_rate": round(1 - bad / total, 4)})
        return sorted(rows, key=lambda r: r["name"])
