"""Working-day calendar: deadlines on the Chinese official calendar (no I/O).

A *working clock* counts working days: within a working date it advances linearly
over the 24 hours (12:00 is half a day) and it stands still over non-working dates.
Deadlines, suspended time and the remaining time behind the red/yellow/green lights
are all differences on that clock. See docs/calendar.md.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from typing import Any

import chinese_calendar

CHINA_TZ = timezone(timedelta(hours=8))
"""The centre's zone: China time, fixed UTC+08:00 (China has no DST)."""

PUBLISHED = "published"
MISSING = "missing"
_STATUSES = (PUBLISHED, MISSING)
_DAY = 86400  # seconds
_LAST_SECOND = time(23, 59, 59)


class CalendarError(ValueError):
    """Bad input to the calendar: naive datetime, negative days, invalid catalog data."""


class Light(StrEnum):
    """The deadline light a task or case shows on the supervision board."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


@dataclass(frozen=True)
class Deadline:
    """A due instant (China time); ``provisional`` when it depends on an unknown date."""

    at: datetime
    provisional: bool


@dataclass(frozen=True)
class YearOverride:
    """One year's official arrangement from catalog/calendar.yaml.

    ``published``: the year is Monday-Friday minus ``holidays`` plus ``workdays`` (调休).
    ``missing``: the notice is not out yet; weekends only and every date is provisional.
    """

    year: int
    status: str
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    source: str = ""

    def __post_init__(self) -> None:
        if self.status not in _STATUSES:
            raise CalendarError(f"status must be one of {', '.join(_STATUSES)}, "
                                f"not {self.status!r}")
        if self.status == MISSING and (self.holidays or self.workdays):
            raise CalendarError(f"{self.year}: a missing year cannot list holidays or workdays")
        outside = sorted(d for d in self.holidays | self.workdays if d.year != self.year)
        if outside:
            raise CalendarError(f"{self.year}: {outside[0]} is not in that year")
        both = sorted(self.holidays & self.workdays)
        if both:
            raise CalendarError(f"{self.year}: {both[0]} is both a holiday and a workday")


@dataclass(frozen=True)
class _Year:
    workdays: tuple[int, ...]  # sorted ordinals of the working dates
    members: frozenset[int]
    known: bool


class WorkCalendar:
    """Working days from catalog overrides, then chinesecalendar, then Monday-Friday."""

    def __init__(self, overrides: Mapping[int, YearOverride] | None = None) -> None:
        self._overrides = dict(overrides or {})
        for year, override in self._overrides.items():
            if year != override.year:
                raise CalendarError(f"override for {override.year} filed under {year}")
        self._years: dict[int, _Year] = {}  # built lazily, one year at a time

    @classmethod
    def from_catalog(cls, raw: Mapping[str, Any]) -> WorkCalendar:
        """Build from the parsed calendar.yaml; every problem is reported in one error."""
        problems: list[str] = []
        overrides = _parse_catalog(raw, problems)
        if problems:
            raise CalendarError("invalid calendar:\n  " + "\n  ".join(problems))
        return cls(overrides)

    def adopt(self, other: WorkCalendar) -> None:
        """Take ``other``'s arrangements: the centre's one calendar object, shared by
        every service, follows a newly published calendar."""
        years: dict[int, _Year] = {}
        self._overrides, self._years = dict(other._overrides), years

    # -- dates -------------------------------------------------------------
    def is_workday(self, d: date) -> bool:
        """Whether ``d`` is a working day (a datetime is first taken to China time)."""
        d = _china_date(d)
        return d.toordinal() in self._year(d.year).members

    def is_known(self, d: date) -> bool:
        """False when ``d`` is only guessed as Monday-Friday (no official data yet)."""
        return self._year(_china_date(d).year).known

    # -- deadlines ---------------------------------------------------------
    def add(self, start: datetime, days: float) -> Deadline:
        """Deadline ``days`` working days after the end of the acceptance date."""
        (day, _), delta = self._point(start), _seconds(days)
        if delta == 0:
            at = datetime.combine(day, _LAST_SECOND, CHINA_TZ)
        else:
            at = self._locate(day, _DAY * self._work(day) + delta)
        return Deadline(at, self._provisional(day, at.date()))

    def extend(self, at: datetime, days: float) -> Deadline:
        """Shift a deadline later by ``days`` of working clock (after a suspension)."""
        (day, seconds), delta = self._point(at), _seconds(days)
        due = at.astimezone(CHINA_TZ)
        if delta:
            due = self._locate(day, round(seconds + delta))
        return Deadline(due, self._provisional(day, due.date()))

    def elapsed(self, start: datetime, end: datetime) -> float:
        """Working days of clock time from ``start`` to ``end`` (negative if reversed)."""
        (a, a_seconds), (b, b_seconds) = self._point(start), self._point(end)
        return self._count(a, b) + (b_seconds - a_seconds) / _DAY

    def remaining(self, now: datetime, due: datetime) -> float:
        """Working days left until ``due``; negative when overdue."""
        return self.elapsed(now, due)

    def light(self, now: datetime, due: datetime, limit_days: float,
              yellow_days: float = 1.0, yellow_fraction: float = 0.2) -> Light:
        """Red past due; yellow within ``yellow_days`` or ``yellow_fraction`` of the limit."""
        if limit_days < 0 or yellow_days < 0 or yellow_fraction < 0:
            raise CalendarError("limit_days, yellow_days and yellow_fraction must be >= 0")
        if _china(now) > _china(due):
            return Light.RED
        left = self.remaining(now, due)
        if left <= yellow_days or left <= yellow_fraction * limit_days:
            return Light.YELLOW
        return Light.GREEN

    # -- internals ---------------------------------------------------------
    def _point(self, t: datetime) -> tuple[date, float]:
        """The China date of ``t`` and the working-clock seconds elapsed within it."""
        local = _china(t)
        seconds = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
        # The last second stands for the end of the day, so a deadline printed as
        # 23:59:59 round-trips exactly through remaining() and extend().
        seconds = _DAY if seconds >= _DAY - 1 else seconds
        return local.date(), seconds * self._work(local.date())

    def _work(self, d: date) -> int:
        return 1 if d.toordinal() in self._year(d.year).members else 0

    def _count(self, a: date, b: date) -> int:
        """Working dates in [a, b); negative when b < a."""
        if b < a:
            return -self._count(b, a)
        total, lo = 0, a.toordinal()
        for year in range(a.year, b.year + 1):
            days = self._year(year).workdays
            hi = bisect_left(days, b.toordinal()) if year == b.year else len(days)
            total += hi - bisect_left(days, lo)
        return total

    def _locate(self, anchor: date, offset: int) -> datetime:
        """The instant ``offset`` (> 0) clock seconds after the start of ``anchor``."""
        whole, rest = divmod(offset, _DAY)
        nth = whole if rest == 0 else whole + 1  # 1-based, counted from ``anchor``
        year, ordinal = anchor.year, anchor.toordinal()
        while True:
            days = self._year(year).workdays
            i = bisect_left(days, ordinal)
            if nth <= len(days) - i:
                found = date.fromordinal(days[i + nth - 1])
                break
            nth -= len(days) - i
            year += 1
        if rest == 0:
            return datetime.combine(found, _LAST_SECOND, CHINA_TZ)
        return datetime.combine(found, time(), CHINA_TZ) + timedelta(seconds=rest)

    def _provisional(self, first: date, last: date) -> bool:
        return not all(self._year(y).known for y in range(first.year, last.year + 1))

    def _year(self, year: int) -> _Year:
        cached = self._years.get(year)
        if cached is not None:
            return cached
        if not 1 <= year <= 9999:
            raise CalendarError(f"year {year} is out of range")
        override = self._overrides.get(year)
        rule: Callable[[date], bool] = _weekday
        known = False
        if override is not None and override.status == PUBLISHED:
            known = True
            def rule(d: date) -> bool:
                return d in override.workdays or (_weekday(d) and d not in override.holidays)
        elif override is None:
            try:
                chinese_calendar.is_workday(date(year, 1, 1))
                rule, known = chinese_calendar.is_workday, True
            except NotImplementedError:  # chinesecalendar has no data for that year
                pass
        first = date(year, 1, 1).toordinal()
        span = range(first, date(year, 12, 31).toordinal() + 1)
        days = tuple(o for o in span if rule(date.fromordinal(o)))
        built = self._years[year] = _Year(days, frozenset(days), known)
        return built


def _weekday(d: date) -> bool:
    return d.weekday() < 5


def _china(t: datetime) -> datetime:
    if not isinstance(t, datetime):
        raise CalendarError(f"expected a datetime, got {type(t).__name__}")
    if t.tzinfo is None or t.utcoffset() is None:
        raise CalendarError(f"naive datetime {t.isoformat()}: give a timezone")
    return t.astimezone(CHINA_TZ)


def _china_date(d: date) -> date:
    return _china(d).date() if isinstance(d, datetime) else d


def _seconds(days: float) -> int:
    if isinstance(days, bool) or not isinstance(days, int | float) or not math.isfinite(days):
        raise CalendarError(f"days must be a finite number, not {days!r}")
    if days < 0:
        raise CalendarError(f"days must not be negative, got {days}")
    return round(days * _DAY)


# -- catalog parsing ---------------------------------------------------------
_YEAR_KEYS = ("status", "source", "holidays", "workdays")


def _parse_catalog(raw: Mapping[str, Any], problems: list[str]) -> dict[int, YearOverride]:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("years", {}), Mapping):
        problems.append("expected a mapping {years: {YEAR: {status: ..., ...}}}")
        return {}
    problems.extend(f"unknown key {k!r} (expected 'years')" for k in raw if k != "years")
    out: dict[int, YearOverride] = {}
    for key, body in (raw.get("years") or {}).items():
        year = int(key) if str(key).isdigit() and not isinstance(key, bool) else 0
        where, before = f"years.{key}", len(problems)
        if not 1900 <= year <= 2199:
            problems.append(f"{where}: not a year (expected e.g. 2027)")
        elif not isinstance(body, Mapping):
            problems.append(f"{where}: expected a mapping with a 'status'")
        else:
            problems.extend(f"{where}: unknown key {k!r} (expected one of "
                            f"{', '.join(_YEAR_KEYS)})" for k in body if k not in _YEAR_KEYS)
            status, source = body.get("status"), body.get("source", "")
            if status not in _STATUSES:
                problems.append(f"{where}.status: must be published or missing, not {status!r}")
            if not isinstance(source, str):
                problems.append(f"{where}.source: must be a string")
            holidays = _parse_days(f"{where}.holidays", body.get("holidays"), year, problems,
                                   spans=True)
            workdays = _parse_days(f"{where}.workdays", body.get("workdays"), year, problems)
            if len(problems) == before:
                try:
                    out[year] = YearOverride(year, str(status), frozenset(holidays),
                                             frozenset(workdays), str(source))
                except CalendarError as exc:
                    problems.append(f"{where}: {exc}")
    return out


def _parse_days(where: str, items: Any, year: int, problems: list[str],
                spans: bool = False) -> set[date]:
    """Dates listed as {date: D, name: N} or, when ``spans``, {from: D, to: D, name: N}."""
    out: set[date] = set()
    if not isinstance(items, list | None):
        problems.append(f"{where}: must be a list")
    for i, item in enumerate(items if isinstance(items, list) else []):
        here = f"{where}[{i}]"
        keys = set(item) if isinstance(item, Mapping) else {"?"}
        if keys - {"name"} == {"date"}:
            first = last = _parse_date(f"{here}.date", item["date"], problems)
        elif spans and keys - {"name"} == {"from", "to"}:
            first = _parse_date(f"{here}.from", item["from"], problems)
            last = _parse_date(f"{here}.to", item["to"], problems)
        else:
            shape = "{date: D, name: N}" + (" or {from: D, to: D, name: N}" if spans else "")
            problems.append(f"{here}: expected {shape}")
            continue
        if not isinstance(item.get("name", ""), str):
            problems.append(f"{here}.name: must be a string")
        if first is not None and last is not None:
            if last < first:
                problems.append(f"{here}: 'to' {last} is before 'from' {first}")
            if first.year != year or last.year != year:
                problems.append(f"{here}: {first if first.year != year else last} "
                                f"is not in {year}")
            out.update(first + timedelta(days=n) for n in range((last - first).days + 1))
    return out


def _parse_date(where: str, value: Any, problems: list[str]) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value  # yaml.safe_load already made it a date
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    problems.append(f"{where}: {value!r} is not a date (expected YYYY-MM-DD)")
    return None
