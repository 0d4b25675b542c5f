"""Statistics (统计分析) per department and per matter, with charts and exports.

The figures come from the event history: from the statistics projection
(`runtime.services.stat_projection`, rows written with each case) when there is one,
else from `runtime.engine.stats` over every case. This module authorises (supervisor
and admin see every row, a department its own), and renders the same table as SVG
charts, CSV and XLSX.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from runtime.engine import stats as engine_stats
from runtime.engine.calendar import WorkCalendar
from runtime.engine.states import Role
from runtime.services.accounts import Accounts, User
from runtime.services.charts import Series, bar_chart
from runtime.services.errors import Forbidden, Invalid, NotFound
from runtime.services.matters import Matters
from runtime.services.stat_projection import Projection
from runtime.store import Store

BY = ("department", "matter")
PAGE = 500
MAX_DAYS = 3660
COLUMNS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "department": (
        ("name", "部门"), ("tasks_received", "收件（环节）"), ("tasks_done", "办结（环节）"),
        ("on_time", "按期办结"), ("overdue", "超期办结"), ("on_time_rate", "按期率"),
        ("avg_days", "平均用时（工作日）"), ("p90_days", "90% 用时（工作日）"),
        ("promised_days", "承诺时限（工作日）"), ("rejected", "不予许可"),
        ("suspended", "特别程序（次）"), ("overdue_now", "当前超期"),
    ),
    "matter": (
        ("name", "事项"), ("cases_accepted", "受理"), ("cases_finished", "办结"),
        ("on_time_rate", "按期率"), ("avg_days", "平均用时（工作日）"),
        ("p90_days", "90% 用时（工作日）"), ("promised_days", "承诺时限（工作日）"),
        ("serial_days", "串联用时（工作日）"), ("saved_days", "并联节省（工作日/件）"),
        ("supplements", "补正"), ("refused", "不予受理"), ("rejected", "不予许可"),
        ("overdue_now", "当前超期"),
    ),
}
"""The columns of each table, in order, with their Chinese headings."""


@dataclass(frozen=True)
class Table:
    """The statistics of one period, one row per department or matter."""

    by: str
    start: date
    end: date
    rows: list[dict[str, Any]]

    @property
    def columns(self) -> tuple[tuple[str, str], ...]:
        """``(key, heading)`` pairs."""
        return COLUMNS[self.by]

    def cells(self) -> Iterator[list[Any]]:
        """Each row's values in column order, rates as percentages."""
        for row in self.rows:
            yield [_cell(key, row.get(key)) for key, _ in self.columns]


def _cell(key: str, value: Any) -> Any:
    if value is None:
        return ""
    if key == "on_time_rate":
        return f"{value:.1%}"
    return value


def parse_period(start: str | None, end: str | None, today: date) -> tuple[date, date]:
    """``from``/``to`` as ISO dates (default: this month so far); Invalid names the field."""
    details = []
    parsed: dict[str, date] = {}
    for name, text, fallback in (("from", start, today.replace(day=1)), ("to", end, today)):
        if not text:
            parsed[name] = fallback
            continue
        try:
            parsed[name] = date.fromisoformat(text.strip()[:10])
        except ValueError:
            details.append({"pointer": f"/{name}", "message": "须为日期，如 2026-11-30"})
    if details:
        raise Invalid("统计期间有误", details)
    if parsed["from"] > parsed["to"]:
        raise Invalid("统计期间有误", [{"pointer": "/from", "message": "开始日期不能晚于结束日期"}])
    if parsed["to"] - parsed["from"] > timedelta(days=MAX_DAYS):
        raise Invalid("统计期间有误", [{"pointer": "/to", "message": "期间不超过 10 年"}])
    return parsed["from"], parsed["to"]


class Stats:
    """Statistics for supervisors, admins and each department."""

    def __init__(self, store: Store, matters: Matters, calendar: WorkCalendar,
                 accounts: Accounts, clock: Callable[[], datetime],
                 projection: Projection | None = None) -> None:
        self.store = store
        self.projection = projection  # None: read every case (`facts`)
        self.matters = matters
        self.calendar = calendar
        self.accounts = accounts
        self.clock = clock

    def _spec(self, matter: str, version: int) -> Any:
        try:
            return self.matters.version(matter, version)
        except NotFound:
            return None

    def facts(self) -> list[engine_stats.CaseFact]:
        """The facts of every case (read page by page)."""
        found: list[engine_stats.CaseFact] = []
        now = self.clock()
        offset = 0
        while True:
            page = self.store.list_cases(limit=PAGE, offset=offset)
            found += engine_stats.facts_of(page, self._spec,
                                           self.calendar, now)
            if len(page) < PAGE:
                return found
            offset += len(page)

    def table(self, user: User, by: str, start: str | None = None,
              end: str | None = None) -> Table:
        """One period's rows; a department sees only its own row."""
        if user.role not in (Role.SUPERVISOR, Role.ADMIN, Role.DEPARTMENT):
            raise Forbidden("只有电子监察、中心管理员和部门可以查看统计")
        if by not in BY:
            raise Invalid("统计口径有误",
                          [{"pointer": "/by", "message": "须为 department 或 matter"}])
        if user.role == Role.DEPARTMENT and by != "department":
            raise Forbidden("部门只能查看本部门的统计")
        first, last = parse_period(start, end, self.clock().date())
        period = engine_stats.Period(first, last)
        if by == "department":
            names = {d.id: d.name for d in self.accounts.departments.values()}
        else:
            names = {m.id: m.name for m in self.matters.published()}
        rows = self.rows(by, period, names)
        if user.role == Role.DEPARTMENT:
            rows = [r for r in rows if r["key"] == user.department]
        return Table(by, first, last, rows)

    def rows(self, by: str, period: engine_stats.Period,
             names: Mapping[str, str]) -> list[dict[str, Any]]:
        """The rows of a period: from the projection, else from every case's events."""
        if self.projection is not None and self.projection.active:
            return self.projection.rows(by, period, self.clock(), names)
        facts = self.facts()
        if by == "department":
            return engine_stats.department_rows(facts, period, names)
        return engine_stats.matter_rows(facts, period, names)

    # -- renderings --------------------------------------------------------------

    @staticmethod
    def charts(table: Table) -> list[str]:
        """The table's SVG charts; none when no row has a figure to draw (a period in
        which nothing was finished yet: bars of "—" only would say nothing)."""
        if not any(r.get(key) is not None for r in table.rows
                   for key in ("on_time_rate", "avg_days", "serial_days")):
            return []
        labels = [r["name"] for r in table.rows]
        if table.by == "department":
            return [
                bar_chart("各部门按期办结率", labels,
                          [Series("按期率", [r["on_time_rate"] for r in table.rows])],
                          unit="%", maximum=1.0),
                bar_chart("各部门环节平均用时与承诺时限（工作日）", labels,
                          [Series("平均用时", [r["avg_days"] for r in table.rows]),
                           Series("承诺时限", [r["promised_days"] for r in table.rows])]),
            ]
        return [
            bar_chart("各事项平均用时与承诺时限（工作日）", labels,
                      [Series("平均用时", [r["avg_days"] for r in table.rows]),
                       Series("承诺时限", [r["promised_days"] for r in table.rows])]),
            bar_chart("并联办理：串联用时与实际用时（工作日/件）", labels,
                      [Series("串联用时", [r["serial_days"] for r in table.rows]),
                       Series("实际用时", [r["avg_days"] for r in table.rows])]),
        ]

    @staticmethod
    def csv(table: Table) -> bytes:
        """CSV with a byte-order mark (so spreadsheet programs read the Chinese right)."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([h for _, h in table.columns])
        for cells in table.cells():
            writer.writerow([_safe(c) for c in cells])
        return ("\ufeff" + out.getvalue()).encode("utf-8")

    @staticmethod
    def xlsx(table: Table) -> bytes:
        """An XLSX workbook with one sheet."""
        from openpyxl import Workbook  # imported on use: only exports need it

        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = "部门统计" if table.by == "department" else "事项统计"
        sheet.append([f"统计期间 {table.start.isoformat()} 至 {table.end.isoformat()}"])
        sheet.append([h for _, h in table.columns])
        for row in table.rows:
            sheet.append([_safe(row.get(k)) if k != "on_time_rate" else row.get(k)
                          for k, _ in table.columns])
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()


def _safe(value: Any) -> Any:
    """A cell that a spreadsheet will not run as a formula (names come from the catalog)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
