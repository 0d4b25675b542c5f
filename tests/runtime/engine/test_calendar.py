"""The working-day calendar: deadlines, suspensions, lights, provisional years."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.engine.calendar import (
    CHINA_TZ,
    CalendarError,
    Deadline,
    Light,
    WorkCalendar,
    YearOverride,
)

ROOT = Path(__file__).resolve().parents[3]
CAL = WorkCalendar()

# A made-up year (not real data): a three-day holiday Mon-Wed and a make-up Saturday.
FIXTURE_2030 = """
years:
  2030:
    status: published
    source: synthetic test notice
    holidays:
      - {from: 2030-03-04, to: 2030-03-06, name: 测试节}
      - {date: 2030-05-01}
    workdays:
      - {date: 2030-03-09, name: 测试节调休}
"""


def cn(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=CHINA_TZ)


def eod(y: int, m: int, d: int) -> datetime:
    """The last second of a date: how a whole-day deadline is written."""
    return cn(y, m, d, 23, 59, 59)


def as_builder_gives(raw: Any) -> Any:
    """The catalog as JSON values (string keys and ISO dates), as builder.source yields."""
    return json.loads(json.dumps(raw, default=str))


# -- the data the cases below rely on --------------------------------------------
@pytest.mark.parametrize(("day", "working"), [
    (date(2026, 2, 14), True),    # Saturday, 春节调休
    (date(2026, 2, 16), False),   # Monday, 春节
    (date(2026, 2, 28), True),    # Saturday, 春节调休
    (date(2026, 9, 20), True),    # Sunday, 国庆调休
    (date(2026, 10, 1), False),   # Thursday, 国庆节
    (date(2026, 10, 10), True),   # Saturday, 国庆调休
    (date(2026, 11, 28), False),  # ordinary Saturday
    (date(2026, 11, 30), True),   # ordinary Monday
])
def test_is_workday_2026(day: date, working: bool) -> None:
    assert CAL.is_workday(day) is working


def test_is_workday_takes_a_datetime_in_china_time() -> None:
    # 2026-11-29 (Sunday) 20:00 UTC is Monday 04:00 in China.
    assert CAL.is_workday(datetime(2026, 11, 29, 20, tzinfo=UTC))


# -- add ---------------------------------------------------------------------------
@pytest.mark.parametrize(("days", "due"), [
    (0, eod(2026, 11, 30)),
    (0.25, cn(2026, 12, 1, 6)),
    (0.5, cn(2026, 12, 1, 12)),
    (1, eod(2026, 12, 1)),
    (1.5, cn(2026, 12, 2, 12)),
    (2, eod(2026, 12, 2)),
    (5, eod(2026, 12, 7)),        # over the weekend
])
def test_add_does_not_count_the_acceptance_day(days: float, due: datetime) -> None:
    assert CAL.add(cn(2026, 11, 30, 10), days) == Deadline(due, provisional=False)


@pytest.mark.parametrize("start", [cn(2026, 11, 30), cn(2026, 11, 30, 23, 59, 59)])
def test_add_time_of_day_of_start_does_not_matter(start: datetime) -> None:
    assert CAL.add(start, 1).at == eod(2026, 12, 1)


def test_add_skips_the_weekend() -> None:
    assert CAL.add(cn(2026, 11, 27, 16), 1).at == eod(2026, 11, 30)
    assert CAL.add(cn(2026, 11, 27, 16), 0.5).at == cn(2026, 11, 30, 12)


@pytest.mark.parametrize(("days", "due"), [
    (1, eod(2026, 2, 14)),        # the make-up Saturday counts
    (1.5, cn(2026, 2, 24, 12)),
    (2, eod(2026, 2, 24)),        # 15-23 February is the Spring Festival
    (6, eod(2026, 2, 28)),        # the second make-up Saturday
    (7, eod(2026, 3, 2)),
])
def test_add_across_spring_festival_2026(days: float, due: datetime) -> None:
    assert CAL.add(cn(2026, 2, 13, 9), days).at == due


@pytest.mark.parametrize(("start", "days", "due"), [
    (cn(2026, 9, 30, 10), 1, eod(2026, 10, 8)),   # 1-7 October is National Day
    (cn(2026, 9, 30, 10), 3, eod(2026, 10, 10)),  # make-up Saturday
    (cn(2026, 9, 30, 10), 4, eod(2026, 10, 12)),
    (cn(2026, 9, 18, 10), 1, eod(2026, 9, 20)),   # make-up Sunday
    (cn(2026, 9, 24, 10), 1, eod(2026, 9, 28)),   # 25-27 September: Mid-autumn
])
def test_add_across_national_day_2026(start: datetime, days: float, due: datetime) -> None:
    assert CAL.add(start, days).at == due


@pytest.mark.parametrize(("start", "days", "due"), [
    (cn(2026, 10, 1, 10), 0, eod(2026, 10, 1)),
    (cn(2026, 10, 1, 10), 0.5, cn(2026, 10, 8, 12)),
    (cn(2026, 10, 1, 10), 1, eod(2026, 10, 8)),
    (cn(2026, 11, 29, 15), 1, eod(2026, 11, 30)),  # a Sunday: the same as Monday 00:00
    (cn(2026, 11, 28, 15), 0, eod(2026, 11, 28)),
])
def test_add_from_a_non_working_day(start: datetime, days: float, due: datetime) -> None:
    assert CAL.add(start, days).at == due


def test_add_converts_to_china_time() -> None:
    # Monday 20:00 UTC is Tuesday 04:00 in China: Tuesday is the acceptance day.
    due = CAL.add(datetime(2026, 11, 30, 20, tzinfo=UTC), 1).at
    assert due == eod(2026, 12, 2)
    assert due.utcoffset() == timedelta(hours=8)
    assert CAL.add(datetime(2026, 11, 30, 1, tzinfo=UTC), 1).at == eod(2026, 12, 1)


@pytest.mark.parametrize("bad", [-0.5, -1, math.nan, math.inf, "1", True])
def test_add_rejects_bad_days(bad: Any) -> None:
    with pytest.raises(CalendarError):
        CAL.add(cn(2026, 11, 30), bad)


@pytest.mark.parametrize("call", [
    lambda: CAL.add(datetime(2026, 11, 30, 10), 1),
    lambda: CAL.extend(datetime(2026, 11, 30, 10), 1),
    lambda: CAL.elapsed(datetime(2026, 11, 30, 10), cn(2026, 12, 1)),
    lambda: CAL.remaining(cn(2026, 11, 30), datetime(2026, 12, 1)),
    lambda: CAL.light(datetime(2026, 11, 30), cn(2026, 12, 1), 5),
])
def test_naive_datetime_is_an_error(call: Any) -> None:
    with pytest.raises(ValueError, match="naive"):
        call()


# -- elapsed, remaining, extend -------------------------------------------------
def test_elapsed_counts_working_clock_only() -> None:
    assert CAL.elapsed(cn(2026, 11, 30), cn(2026, 11, 30, 12)) == 0.5  # start day counts
    assert CAL.elapsed(cn(2026, 11, 28, 9), cn(2026, 11, 29, 18)) == 0  # weekend
    assert CAL.elapsed(cn(2026, 11, 27, 18), cn(2026, 11, 30, 6)) == 0.5
    assert CAL.elapsed(cn(2026, 9, 30, 12), cn(2026, 10, 8, 12)) == 1.0  # National Day
    assert CAL.elapsed(cn(2026, 12, 1), cn(2026, 11, 30)) == -1.0


def test_elapsed_and_remaining_agree() -> None:
    a, b, c = cn(2026, 2, 10, 9), cn(2026, 2, 25, 15), cn(2026, 10, 9, 8)
    assert CAL.remaining(a, b) == CAL.elapsed(a, b) == -CAL.elapsed(b, a)
    assert CAL.elapsed(a, b) + CAL.elapsed(b, c) == pytest.approx(CAL.elapsed(a, c))
    assert CAL.remaining(c, b) < 0  # overdue


def test_the_last_second_stands_for_the_end_of_the_day() -> None:
    due = CAL.add(cn(2026, 11, 30, 10), 1).at
    assert CAL.remaining(cn(2026, 12, 1), due) == 1.0
    assert CAL.remaining(due, cn(2026, 12, 2)) == 0.0


def test_extend_after_a_suspension() -> None:
    due = CAL.add(cn(2026, 11, 23, 9), 5).at
    assert due == eod(2026, 11, 30)
    # Suspended from Wednesday 14:00 to Monday 14:00: 10h + Thu + Fri + 14h.
    suspended = CAL.elapsed(cn(2026, 11, 25, 14), cn(2026, 11, 30, 14))
    assert suspended == pytest.approx(3.0)
    assert CAL.extend(due, suspended) == Deadline(eod(2026, 12, 3), provisional=False)
    assert CAL.extend(due, 0.5).at == cn(2026, 12, 1, 12)
    assert CAL.extend(due, 0).at == due


def test_extend_across_a_holiday() -> None:
    assert CAL.extend(eod(2026, 9, 30), 1).at == eod(2026, 10, 8)
    assert CAL.extend(cn(2026, 9, 30, 18), 0.25).at == eod(2026, 9, 30)  # a day boundary
    assert CAL.extend(cn(2026, 9, 30, 18), 0.5).at == cn(2026, 10, 8, 6)
    assert CAL.extend(cn(2026, 10, 2, 18), 1).at == eod(2026, 10, 8)


# -- lights ------------------------------------------------------------------------
def test_light_exactly_one_day_left_is_yellow() -> None:
    due = CAL.add(cn(2026, 11, 30, 10), 2).at  # Wednesday end of day
    assert CAL.light(cn(2026, 12, 2), due, 2) is Light.YELLOW
    assert CAL.light(cn(2026, 12, 1, 12), due, 2) is Light.GREEN  # 1.5 left
    assert CAL.light(due, due, 2) is Light.YELLOW
    assert CAL.light(due + timedelta(seconds=1), due, 2) is Light.RED


def test_light_twenty_percent_rule() -> None:
    start = cn(2026, 11, 2, 10)
    due = CAL.add(start, 20).at
    assert CAL.light(CAL.add(start, 16).at, due, 20) is Light.YELLOW  # 4 left = 20%
    assert CAL.light(CAL.add(start, 15.5).at, due, 20) is Light.GREEN  # 4.5 left
    assert CAL.light(CAL.add(start, 15.5).at, due, 20, yellow_fraction=0.25) is Light.YELLOW


def test_light_counts_working_days_not_calendar_days() -> None:
    # Eight calendar days but one working day before the deadline: yellow.
    assert CAL.light(eod(2026, 9, 30), eod(2026, 10, 8), 10) is Light.YELLOW
    assert CAL.light(cn(2026, 10, 9), eod(2026, 10, 8), 10) is Light.RED


def test_light_is_a_string() -> None:
    assert Light.RED == "red" and f"{Light.GREEN}" == "green"


# -- provisional -------------------------------------------------------------------
def test_2027_is_provisional() -> None:
    late = CAL.add(cn(2026, 12, 30, 10), 5)
    # 2027 falls back to Monday-Friday: 1 January 2027 is guessed a working day.
    assert late == Deadline(eod(2027, 1, 6), provisional=True)
    assert CAL.add(cn(2026, 12, 28, 10), 3) == Deadline(eod(2026, 12, 31), provisional=False)
    assert not CAL.is_known(date(2027, 1, 4))
    assert CAL.is_known(date(2026, 12, 31))
    assert not CAL.is_known(date(2003, 6, 2))


def test_extend_into_an_unknown_year_is_provisional() -> None:
    assert CAL.extend(eod(2026, 12, 30), 2).provisional
    assert not CAL.extend(eod(2026, 12, 29), 2).provisional


def test_missing_year_uses_weekends_and_is_provisional() -> None:
    cal = WorkCalendar({2026: YearOverride(2026, "missing")})
    assert cal.is_workday(date(2026, 10, 1)) and not cal.is_known(date(2026, 10, 1))
    assert not cal.is_workday(date(2026, 10, 10))  # the make-up Saturday is unknown too
    assert cal.add(cn(2026, 9, 30, 10), 1) == Deadline(eod(2026, 10, 1), provisional=True)


def test_shipped_catalog_has_2027_missing() -> None:
    raw = yaml.safe_load((ROOT / "catalog" / "calendar.yaml").read_text(encoding="utf-8"))
    cal = WorkCalendar.from_catalog(raw)
    assert raw["years"][2027]["status"] == "missing"
    assert not cal.is_known(date(2027, 6, 1))
    assert cal.add(cn(2027, 6, 1, 10), 1) == Deadline(eod(2027, 6, 2), provisional=True)


@pytest.mark.parametrize("text", [
    (ROOT / "catalog" / "calendar.yaml").read_text(encoding="utf-8"),
    FIXTURE_2030,
])
def test_catalog_passes_the_builder_meta_schema(text: str) -> None:
    schema_file = ROOT / "builder" / "schemas" / "calendar.schema.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(as_builder_gives(yaml.safe_load(text)))


# -- published overrides -----------------------------------------------------------
@pytest.mark.parametrize("shape", ["yaml", "builder"])
def test_published_year_from_catalog(shape: str) -> None:
    raw = yaml.safe_load(FIXTURE_2030)
    cal = WorkCalendar.from_catalog(raw if shape == "yaml" else as_builder_gives(raw))
    assert not cal.is_workday(date(2030, 3, 5))
    assert cal.is_workday(date(2030, 3, 9))
    assert not cal.is_workday(date(2030, 5, 1))
    assert cal.is_known(date(2030, 3, 5))
    assert cal.add(cn(2030, 3, 1, 10), 1) == Deadline(eod(2030, 3, 7), provisional=False)
    assert cal.add(cn(2030, 3, 1, 10), 3).at == eod(2030, 3, 9)
    assert CAL.add(cn(2030, 3, 1, 10), 1) == Deadline(eod(2030, 3, 4), provisional=True)


def test_published_year_replaces_chinesecalendar() -> None:
    cal = WorkCalendar.from_catalog({"years": {"2026": {
        "status": "published", "holidays": [{"date": "2026-12-01", "name": "假设"}]}}})
    assert cal.add(cn(2026, 11, 30, 10), 1).at == eod(2026, 12, 2)
    assert cal.is_workday(date(2026, 10, 1))  # not listed, so a plain Thursday
    assert CAL.add(cn(2026, 11, 30, 10), 1).at == eod(2026, 12, 1)


def test_catalog_errors_are_all_reported() -> None:
    raw = {"yaers": {}, "years": {
        2027: {"status": "pending", "holdays": []},
        2028: {"status": "published",
               "holidays": [{"from": "2028-02-10", "to": "2028-02-01"}, {"date": "2028-13-01"},
                            {"date": "2029-01-01"}]},
        2029: {"status": "missing", "workdays": [{"date": "2029-02-03"}]},
        2031: {"status": "published", "holidays": [{"date": "2031-02-01"}],
               "workdays": [{"date": "2031-02-01"}, {"from": "2031-01-01", "to": "2031-01-02"}]},
        "20x6": {"status": "missing"},
    }}
    with pytest.raises(CalendarError) as caught:
        WorkCalendar.from_catalog(raw)
    message = str(caught.value)
    for expected in ["unknown key 'yaers'", "years.2027.status", "unknown key 'holdays'",
                     "'to' 2028-02-01 is before 'from' 2028-02-10", "'2028-13-01' is not a date",
                     "2029-01-01 is not in 2028", "a missing year cannot list",
                     "years.2031.workdays[1]: expected {date: D, name: N}", "years.20x6"]:
        assert expected in message
    assert WorkCalendar.from_catalog({"years": {}}).is_known(date(2026, 1, 5))


def test_holiday_and_workday_on_the_same_date_is_an_error() -> None:
    with pytest.raises(CalendarError, match="both a holiday and a workday"):
        WorkCalendar.from_catalog({"years": {2031: {
            "status": "published", "holidays": [{"date": "2031-02-03"}],
            "workdays": [{"date": "2031-02-03"}]}}})


def test_override_must_be_filed_under_its_year() -> None:
    with pytest.raises(CalendarError):
        WorkCalendar({2027: YearOverride(2028, "missing")})
    with pytest.raises(CalendarError):
        YearOverride(2027, "draft")


# -- properties --------------------------------------------------------------------
starts = st.datetimes(datetime(2024, 1, 1), datetime(2027, 6, 30),
                      timezones=st.just(CHINA_TZ)).map(lambda t: t.replace(microsecond=0))
halves = st.integers(0, 600).map(lambda n: n / 2)
spans = st.floats(0, 300, allow_nan=False)


def next_midnight(t: datetime) -> datetime:
    return datetime.combine(t.date() + timedelta(days=1), time(), CHINA_TZ)


@settings(deadline=None)
@given(starts, spans)
def test_remaining_from_end_of_start_day_is_days(start: datetime, days: float) -> None:
    due = CAL.add(start, days).at
    assert CAL.remaining(next_midnight(start), due) == pytest.approx(days, abs=1e-5)


@settings(deadline=None)
@given(starts, spans, spans)
def test_add_is_monotonic(start: datetime, a: float, b: float) -> None:
    a, b = sorted((a, b))
    assert CAL.add(start, a).at <= CAL.add(start, b).at


@settings(deadline=None)
@given(starts, halves, halves)
def test_add_then_extend_is_add(start: datetime, a: float, b: float) -> None:
    whole = CAL.add(start, a + b).at
    stepped = CAL.extend(CAL.add(start, a).at, b).at
    assert abs((whole - stepped).total_seconds()) <= 1


@settings(deadline=None)
@given(starts, halves.filter(bool))
def test_deadline_is_on_a_working_day_at_noon_or_end(start: datetime, days: float) -> None:
    due = CAL.add(start, days).at
    assert CAL.is_workday(due.date())
    assert due.time() == (time(23, 59, 59) if days == int(days) else time(12))
