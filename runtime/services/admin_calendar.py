"""The working calendar (工作日历) as the administrator edits it: per year, its status
(已发布 / 未发布), the notice it comes from, the holidays and the make-up working days.

Every change rewrites ``CATALOG/calendar.yaml`` atomically (its header comments kept),
is audited, reaches the running services at once (the shared `WorkCalendar` adopts
it), and publishes a calendar version whose job moves the stored deadlines
(`runtime.services.recalendar`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import chinese_calendar
import yaml

from builder.metaschema import check_document
from builder.source import load_source
from runtime.engine.calendar import CalendarError, WorkCalendar
from runtime.services.accounts import User
from runtime.services.admin_base import AdminBase
from runtime.services.catalog_files import read_text, write_text
from runtime.services.errors import Conflict, Invalid, NotFound
from runtime.services.publishing import details
from runtime.store import WriteBatch

PUBLISHED, MISSING = "published", "missing"
STATUS_LABELS = {PUBLISHED: "已发布（按通知）", MISSING: "通知未发布（期限暂定）"}
DAY_KINDS = {"holidays": "节假日", "workdays": "调休上班日"}
Years = dict[int, dict[str, Any]]
Publish = Callable[[WriteBatch, dict[str, Any], str], int]


@dataclass(frozen=True)
class Day:
    """One listed date and its name."""

    date: str
    name: str


@dataclass(frozen=True)
class CalendarYear:
    """One year of ``calendar.yaml`` as the editor shows it."""

    year: int
    status: str
    status_label: str
    source: str
    holidays: tuple[Day, ...]
    workdays: tuple[Day, ...]

    @property
    def published(self) -> bool:
        """Whether days may be listed (the notice is out)."""
        return self.status == PUBLISHED

    @property
    def choices(self) -> list[tuple[str, str, bool]]:
        """The status radio buttons: (value, label, chosen)."""
        return [(key, label, key == self.status) for key, label in STATUS_LABELS.items()]


def calendar_file(root: Path) -> Path:
    """The catalog's ``calendar.yaml``."""
    return root / "calendar.yaml"


class CalendarAdmin(AdminBase):
    """Calendar use cases of ``Admin``."""

    # Set by the services: publishing a calendar version (its job moves the deadlines),
    # and the calendar object every service shares.
    on_calendar: Publish | None = None
    shared_calendar: WorkCalendar | None = None

    def calendar_years(self, user: User) -> list[CalendarYear]:
        """Every year the catalog lists, in order, with its days one by one."""
        self._authorise(user)
        return [_view(year, entry) for year, entry in sorted(self._calendar_years().items())]

    def add_year(self, user: User, year: Any) -> CalendarYear:
        """List a year: copied from chinesecalendar when it knows the year, else 未发布."""
        self._authorise(user)
        number = _year_number(year)
        with self._lock:
            years = self._calendar_years()
            if number in years:
                raise Conflict(f"{number} 年已在工作日历中")
            years[number] = _from_chinese_calendar(number)
            self._save_calendar(years, user, "calendar.add_year", number)
        return _view(number, years[number])

    def set_year(self, user: User, year: Any, status: str, source: str) -> CalendarYear:
        """Change a year's status and the notice it follows."""
        self._authorise(user)
        number = _year_number(year)
        if status not in STATUS_LABELS:
            raise _invalid("/status", "请选择“已发布”或“未发布”")
        source = source.strip()
        if len(source) > 200 or "\n" in source:
            raise _invalid("/source", "通知名称须为不超过 200 个字符的一行文字")
        with self._lock:
            years = self._calendar_years()
            entry = self._year_entry(years, number)
            if status == MISSING and (entry["holidays"] or entry["workdays"]):
                raise _invalid("/status", "该年已列出节假日或调休日，请先删除后再设为未发布")
            years[number] = {**entry, "status": status, "source": source}
            self._save_calendar(years, user, "calendar.set_year", number, {"status": status})
        return _view(number, years[number])

    def remove_year(self, user: User, year: Any) -> None:
        """Stop listing a year (chinesecalendar, else Monday–Friday, decides it again)."""
        self._authorise(user)
        number = _year_number(year)
        with self._lock:
            years = self._calendar_years()
            self._year_entry(years, number)
            del years[number]
            self._save_calendar(years, user, "calendar.remove_year", number)

    def add_day(self, user: User, year: Any, kind: str, when: Any, name: str) -> CalendarYear:
        """Add a holiday or a make-up working day to a published year."""
        self._authorise(user)
        number, field = _year_number(year), _kind(kind)
        day = _date(when, number)
        name = name.strip()
        if len(name) > 50 or "\n" in name:
            raise _invalid("/name", "名称须为不超过 50 个字符的一行文字")
        with self._lock:
            years = self._calendar_years()
            entry = self._year_entry(years, number)
            if entry["status"] != PUBLISHED:
                raise _invalid("/date", "该年通知未发布：请先将状态设为“已发布”再添加日期")
            listed = {d.date for d in _days(entry.get("holidays"))} | \
                {d.date for d in _days(entry.get("workdays"))}
            if day.isoformat() in listed:
                raise Conflict(f"{day.isoformat()} 已列为节假日或调休上班日")
            days = [*_days(entry.get(field)), Day(day.isoformat(), name)]
            years[number] = {**entry, field: _spans(days)}
            self._save_calendar(years, user, "calendar.add_day", number,
                       {"kind": field, "date": day.isoformat()})
        return _view(number, years[number])

    def remove_day(self, user: User, year: Any, kind: str, when: Any) -> CalendarYear:
        """Remove one listed date (a span loses that date only)."""
        self._authorise(user)
        number, field = _year_number(year), _kind(kind)
        day = _date(when, number).isoformat()
        with self._lock:
            years = self._calendar_years()
            entry = self._year_entry(years, number)
            days = list(_days(entry.get(field)))
            if day not in {d.date for d in days}:
                raise NotFound(f"{day} 不在该年的{DAY_KINDS[field]}中")
            years[number] = {**entry, field: _spans([d for d in days if d.date != day])}
            self._save_calendar(years, user, "calendar.remove_day", number,
                                {"kind": field, "date": day})
        return _view(number, years[number])

    # -- reading and writing the file ------------------------------------------------

    def _calendar_years(self) -> Years:
        """The running catalog's years (the file is what it was loaded from)."""
        raw = (self.catalog.calendar or {}).get("years") or {}
        return {int(k): dict(v) for k, v in raw.items()}

    @staticmethod
    def _year_entry(years: Years, number: int) -> dict[str, Any]:
        entry = years.get(number)
        if entry is None:
            raise NotFound(f"工作日历中没有 {number} 年")
        return {"holidays": [], "workdays": [], "source": "", **entry}

    def _save_calendar(self, years: Years, user: User, action: str, year: int,
              detail: dict[str, str] | None = None) -> None:
        path = calendar_file(self.root)
        old = read_text(path) if path.is_file() else ""
        src, problems = load_source(old or "years: {}\n", str(path))
        on_disk = src.value if src is not None and isinstance(src.value, dict) else None
        if problems or (on_disk or {}).get("years", {}) != \
                (self.catalog.calendar or {}).get("years", {}):
            raise Conflict("calendar.yaml 在服务运行期间被手工修改过；"
                           "请先重启服务载入修改，再在此编辑")
        raw = {"years": {y: _plain(years[y]) for y in sorted(years)}}
        text = _header(old) + yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)
        src, problems = load_source(text, str(path))
        if src is not None:
            problems.extend(check_document(src, "calendar"))
        if problems:
            raise Invalid("工作日历不能这样修改", details(problems))
        try:
            new = WorkCalendar.from_catalog(raw)
        except CalendarError as exc:
            raise _invalid("/date", f"工作日历有误：{exc}") from exc
        write_text(path, text)
        parsed = src.value if src is not None else raw
        self.admin_store.append_audit(self._entry(user.name, action, "calendar",
                                                  {"year": str(year), **(detail or {})}))
        if self.on_calendar is not None:
            with self.store.write() as tx:
                self.on_calendar(tx, parsed, user.name)
        if self.shared_calendar is not None:
            self.shared_calendar.adopt(new)
        self._swap(calendar=parsed)


def _header(text: str) -> str:
    """The comment lines before ``years:`` (the file's instructions), kept as written."""
    lines = []
    for line in text.splitlines(keepends=True):
        if line.startswith("years:"):
            break
        lines.append(line)
    return "".join(lines)


def _plain(entry: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"status": entry["status"]}
    if entry.get("source"):
        out["source"] = entry["source"]
    out["holidays"] = [_span_doc(s) for s in _spans(list(_days(entry.get("holidays"))))]
    out["workdays"] = [{"date": date.fromisoformat(d.date), **({"name": d.name} if d.name
                                                               else {})}
                       for d in _days(entry.get("workdays"))]
    return out


def _span_doc(span: dict[str, Any]) -> dict[str, Any]:
    first, last = date.fromisoformat(span["from"]), date.fromisoformat(span["to"])
    named = {"name": span["name"]} if span.get("name") else {}
    return {"date": first, **named} if first == last else {"from": first, "to": last, **named}


def _days(items: Any) -> Iterator[Day]:
    """Each listed date once, spans opened up, in date order."""
    found: dict[str, str] = {}
    for item in items or ():
        if "date" in item and "from" not in item:
            found[str(item["date"])] = str(item.get("name") or "")
        else:
            first = date.fromisoformat(str(item["from"]))
            last = date.fromisoformat(str(item.get("to") or item["from"]))
            while first <= last:
                found[first.isoformat()] = str(item.get("name") or "")
                first += timedelta(days=1)
    for when in sorted(found):
        yield Day(when, found[when])


def _spans(days: list[Day]) -> list[dict[str, Any]]:
    """Consecutive dates of one name as one span ``{from, to, name}``."""
    spans: list[dict[str, Any]] = []
    for day in sorted(days, key=lambda d: d.date):
        last = spans[-1] if spans else None
        if last is not None and last["name"] == day.name and \
                date.fromisoformat(last["to"]) + timedelta(days=1) == date.fromisoformat(day.date):
            last["to"] = day.date
        else:
            spans.append({"from": day.date, "to": day.date, "name": day.name})
    return spans


def _view(year: int, entry: dict[str, Any]) -> CalendarYear:
    status = str(entry.get("status") or MISSING)
    return CalendarYear(year, status, STATUS_LABELS.get(status, status),
                        str(entry.get("source") or ""), tuple(_days(entry.get("holidays"))),
                        tuple(_days(entry.get("workdays"))))


def _from_chinese_calendar(year: int) -> dict[str, Any]:
    """A year as chinesecalendar knows it (published), or 未发布 if it does not."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return {"status": MISSING, "source": "", "holidays": [], "workdays": []}
    holidays, workdays = [], []
    day = date(year, 1, 1)
    while day.year == year:
        on, name = chinese_calendar.get_holiday_detail(day)
        weekday = day.weekday() < 5
        if weekday and on:
            holidays.append(Day(day.isoformat(), _holiday_name(name)))
        elif not weekday and not on:
            workdays.append(Day(day.isoformat(), f"{_holiday_name(name)}调休"))
        day += timedelta(days=1)
    source = f"内置日历（chinesecalendar {chinese_calendar.__version__}）所载安排"
    return {"status": PUBLISHED, "source": source,
            "holidays": _spans(holidays), "workdays": _spans(workdays)}


_NAMES = {"New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
          "Labour Day": "劳动节", "Dragon Boat Festival": "端午节",
          "Mid-autumn Festival": "中秋节", "National Day": "国庆节",
          "Anti-Fascist 70th Day": "抗战胜利70周年纪念日"}


def _holiday_name(name: str | None) -> str:
    return _NAMES.get(name or "", name or "")


def _year_number(value: Any) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise _invalid("/year", "年份须为四位数字，如 2027") from None
    if not 2000 <= number <= 2100:
        raise _invalid("/year", "年份须在 2000–2100 之间")
    return number


def _kind(kind: str) -> str:
    if kind not in DAY_KINDS:
        raise _invalid("/kind", "请选择“节假日”或“调休上班日”")
    return kind


def _date(value: Any, year: int) -> date:
    try:
        day = date.fromisoformat(str(value).strip())
    except ValueError:
        raise _invalid("/date", "日期格式须为 YYYY-MM-DD，如 2027-01-01") from None
    if day.year != year:
        raise _invalid("/date", f"日期须在 {year} 年内")
    return day


def _invalid(pointer: str, message: str) -> Invalid:
    return Invalid(message, [{"pointer": pointer, "message": message}])


