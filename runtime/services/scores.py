"""考核: scores per department and officer for a month or a year, each point traceable
to its event (read from the period's ``score:<YYYY-MM>`` records of
`runtime.services.list_index`, not from every case, and the complaints closed in it from
`runtime.services.complaint_index`); a supervisor annuls a deduction with a reason
(kept as an audited record)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from runtime.engine import scoring as engine
from runtime.engine.events import iso
from runtime.engine.states import Role
from runtime.services import complaint_index
from runtime.services import list_index as lists
from runtime.services.accounts import User
from runtime.services.errors import Conflict, Forbidden, Invalid, NotFound
from runtime.store import Store

KIND = "score_annulment"
PERIOD = re.compile(r"[0-9]{4}(-(0[1-9]|1[0-2]))?")
STAFF_ROLES = (Role.DEPARTMENT, Role.WINDOW)


@dataclass(frozen=True)
class Report:
    """A period's scores."""

    period: str
    departments: list[engine.Score]
    staff: list[engine.Score]
    rules: Mapping[str, Any]


def _item_json(item: engine.Item) -> dict[str, Any]:
    return {"rule": item.rule, "name": item.name, "count": item.count, "points": item.points,
            "events": [{"key": f"{item.rule}:{h.key}", "number": h.number, "at": h.at}
                       for h in item.hits],
            "annulled": [{"key": f"{item.rule}:{h.key}", "number": h.number,
                          "reason": r.get("reason"), "by": r.get("by"), "at": r.get("at")}
                         for h, r in item.annulled]}


class Scores:
    """Scores under the catalog's scoring rules."""

    def __init__(self, store: Store, rules: Callable[[], Mapping[str, Any]],
                 departments: Callable[[], Mapping[str, str]], clock: Callable[[], datetime]
                 ) -> None:
        self.store = store
        self.rules = rules
        self.departments = departments
        self.clock = clock

    @staticmethod
    def check_period(period: str | None, now: datetime) -> str:
        """``YYYY-MM`` or ``YYYY`` (default: this month)."""
        if not period:
            return now.strftime("%Y-%m")
        if not PERIOD.fullmatch(period.strip()):
            raise Invalid("考核期间有误", [{"pointer": "/period",
                                       "message": "须为 YYYY-MM（月度）或 YYYY（年度）"}])
        return period.strip()

    def _cases(self, period: str) -> list[dict[str, Any]]:
        """The slim copies of the cases with a scorable event in the period."""
        return lists.read(self.store, map(lists.score_kind, lists.months_of(period)))

    def _complaints(self, period: str) -> list[dict[str, Any]]:
        """The slim copies of the complaints closed in the period."""
        return complaint_index.read(self.store, map(complaint_index.closed_kind,
                                                    lists.months_of(period)))

    def report(self, user: User, period: str | None = None) -> Report:
        """Scores of the period: supervisors and admins see all; a department sees itself
        and its own officers."""
        if user.role not in (Role.SUPERVISOR, Role.ADMIN, Role.DEPARTMENT):
            raise Forbidden("只有电子监察、中心管理员和部门可以查看考核")
        rules = self.rules()
        if not rules:
            raise NotFound("目录中没有考核办法（catalog/scoring.yaml）")
        now = self.clock()
        chosen = self.check_period(period, now)
        cases = self._cases(chosen)
        users = {u["id"]: u for u in self.store.list_users()}

        def is_staff(user_id: str) -> bool:
            return user_id in users and users[user_id].get("role") in STAFF_ROLES
        hits = engine.collect(cases, self._complaints(chosen), chosen, now)
        people = engine.officers(cases, chosen, is_staff)
        people |= {h.staff for h in hits if h.staff and is_staff(h.staff)}
        names = {u: users[u].get("display_name") or users[u]["name"] for u in people}
        annulled = {r["id"]: r for r in self.store.list_records(KIND)}
        departments, staff = engine.score(hits, rules, departments=self.departments(),
                                          staff=names, annulled=annulled)
        if user.role == Role.DEPARTMENT:
            departments = [s for s in departments if s.subject == user.department]
            staff = [s for s in staff if users[s.subject].get("department") == user.department]
        return Report(chosen, departments, staff, rules)

    @staticmethod
    def to_json(report: Report) -> dict[str, Any]:
        """As the API sends it."""
        return {
            "period": report.period,
            "departments": [{"department": s.subject, "name": s.name, "score": s.score,
                             "band_points": s.band_points, "grade": s.grade,
                             "items": [_item_json(i) for i in s.items]}
                            for s in report.departments],
            "staff": [{"user": s.subject, "name": s.name, "score": s.score, "grade": s.grade,
                       "items": [_item_json(i) for i in s.items]} for s in report.staff],
        }

    def annul(self, user: User, key: str, reason: str) -> dict[str, Any]:
        """Annul one deduction (``rule:case:seq``) with a reason; kept, with who and when."""
        if user.role != Role.SUPERVISOR:
            raise Forbidden("只有电子监察可以撤销扣分")
        rules = {r["id"]: r for r in self.rules().get("rules", ())}
        rule = key.split(":", 1)[0]
        if rule not in rules or key.count(":") < 2:
            raise Invalid("没有这项扣分",
                          [{"pointer": "/key", "message": "须为考核明细中的事件编号"}])
        if float(rules[rule]["points"]) >= 0:
            raise Invalid("只能撤销扣分", [{"pointer": "/key", "message": "这是一项加分"}])
        if not isinstance(reason, str) or not reason.strip() or len(reason) > 1000:
            raise Invalid("请填写撤销理由",
                          [{"pointer": "/reason", "message": "请填写撤销理由（不超过 1000 字）"}])
        record = {"reason": reason.strip(), "by": user.id, "by_name": user.display_name,
                  "at": iso(self.clock()), "rule": rule}
        with self.store.write() as tx:
            if self.store.get_record(KIND, key) is not None:
                raise Conflict("这项扣分已撤销")
            tx.put_record(KIND, key, record)
        return {**record, "key": key}
