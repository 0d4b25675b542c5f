"""Public pages without sign-in: query by number and code (网上查询), results (办件结果公告).

Nothing personal leaves here: the query shows the matter, the state and each step's
department and state; the announcement shows the holder masked (it reads the month's
``result:<YYYY-MM>`` records of `runtime.services.list_index`, not the cases). Wrong codes are
counted per address and per number in the store (every process sees the limit).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from builder import Centre
from runtime.engine.states import CaseAction, CaseStatus, TaskStatus
from runtime.engine.vocabulary import DECIDED_CASE, case_label, task_label
from runtime.services import list_index as lists
from runtime.services.errors import Invalid, NotFound, TooManyAttempts
from runtime.services.limits import Limiter
from runtime.services.matters import Matters
from runtime.store import Store

WRONG_CODES = 10
"""Wrong numbers or codes one address, or one number, may try in `WINDOW` seconds."""
WINDOW = 600.0
RESULT_LABELS = {CaseAction.APPROVE: "准予许可", CaseAction.REJECT: "不予许可"}
ANNOUNCED = frozenset({*DECIDED_CASE, CaseStatus.DELIVERED})


def mask(holder: str) -> str:
    """A holder as the announcement shows it: a person's surname (王**), a company's
    head and tail (云川市青禾**有限公司)."""
    text = holder.strip()
    if not text:
        return "—"
    if len(text) <= 4:
        return text[0] + "*" * (len(text) - 1)
    head, tail = max(1, round(len(text) * 0.4)), max(1, round(len(text) * 0.3))
    return text[:head] + "**" + text[-tail:]


@dataclass(frozen=True)
class ResultRow:
    """One finished case in the announcement."""

    number: str
    matter: str
    matter_name: str
    holder: str
    result: str
    date: str

    def to_json(self) -> dict[str, str]:
        """As the API sends it."""
        return {"number": self.number, "matter": self.matter, "matter_name": self.matter_name,
                "holder": self.holder, "result": self.result, "date": self.date}


class Public:
    """What anyone may see, signed in or not."""

    def __init__(self, store: Store, matters: Matters, limiter: Limiter,
                 centre: Callable[[], Centre], departments: Callable[[], Mapping[str, str]],
                 clock: Callable[[], datetime]) -> None:
        self.store = store
        self.matters = matters
        self.limiter = limiter
        self.centre = centre
        self.departments = departments
        self.clock = clock

    def case(self, number: str, code: str, address: str) -> dict[str, Any]:
        """A case's progress by its number and query code; a wrong pair is a 404."""
        number, code = number.strip()[:40], code.strip().upper()[:40]
        keys = (f"public-query:addr:{address}", f"public-query:number:{number}")
        wait = max(self.limiter.wait(k, WRONG_CODES, WINDOW) for k in keys)
        if wait:
            raise TooManyAttempts(f"查询过于频繁，请 {wait // 60 + 1} 分钟后再试")
        case = self.store.get_case_by_number(number) if number else None
        stored = str(case.get("query_code") or "") if case else ""
        if case is None or not stored or not hmac.compare_digest(stored.encode(), code.encode()):
            for key in keys:
                self.limiter.hit(key)
            raise NotFound("受理编号或查询码不正确")
        spec = self.matters.version(case["matter"], case["matter_version"])
        names = self.departments()
        steps = {s.id: s.name for s in spec.steps}
        return {
            "number": case["number"], "matter": case["matter"], "matter_name": spec.name,
            "status": case["status"], "status_label": case_label(case["status"]),
            "accepted_at": case.get("accepted_at"), "decided_at": case.get("decided_at"),
            "steps": [{"name": steps.get(t["step"], t["step"]),
                       "department": names.get(t["department"], t["department"]),
                       "status": t["status"], "status_label": task_label(t["status"])}
                      for t in case.get("tasks") or () if t["status"] != TaskStatus.SKIPPED],
        }

    def announced(self) -> list[tuple[str, str]]:
        """(matter id, name) of the matters the centre announces, by name."""
        found = []
        for matter_id in self.centre().announce:
            try:
                found.append((matter_id, self.matters.current(matter_id).name))
            except NotFound:
                continue
        return sorted(found, key=lambda m: m[1])

    def results(self, *, matter: str | None = None, month: str | None = None,
                limit: int = 50, offset: int = 0) -> tuple[list[ResultRow], int]:
        """Finished cases of announced matters, newest decision first; and their count."""
        announced = dict(self.announced())
        if matter and matter not in announced:
            names = "、".join(announced.values()) or "无"  # titles: people never see ids
            raise Invalid("该事项不公告办理结果", [{"pointer": "/matter",
                                          "message": "须为公告的事项之一：" + names}])
        if month is not None and not _is_month(month):
            raise Invalid("月份有误",
                          [{"pointer": "/month", "message": "须为 YYYY-MM，如 2026-11"}])
        months = [month] if month else [r["id"] for r in
                                         self.store.list_records(lists.RESULT_MONTHS)]
        rows = [ResultRow(r["number"], r["matter"], announced[r["matter"]], r["holder"],
                          r["result"], r["date"])
                for m in months for r in self.store.list_records(lists.result_kind(m))
                if r["matter"] in announced and (not matter or r["matter"] == matter)]
        rows.sort(key=lambda r: (r.date, r.number), reverse=True)
        return rows[offset:offset + limit], len(rows)


def _is_month(text: str) -> bool:
    try:
        datetime.strptime(text, "%Y-%m")
    except ValueError:
        return False
    return len(text) == 7


def _row(case: Mapping[str, Any], matter_name: str) -> ResultRow | None:
    decision = next((e for e in reversed(case.get("events") or ())
                     if e["entity"] == "case" and e["action"] in RESULT_LABELS), None)
    if decision is None or not case.get("number"):
        return None
    return ResultRow(case["number"], case["matter"], matter_name, mask(case.get("holder") or ""),
                     RESULT_LABELS[decision["action"]], decision["at"][:10])
