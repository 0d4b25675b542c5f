"""The daily roll-up of the statistics projection (schema version 8).

A year's statistics would otherwise aggregate every row of ``stat_facts`` decided in
it. ``stat_days`` keeps, per kind, China-time day and key, the count and the sums the
figures are made of; ``stat_histogram`` keeps, per decision kind and key, how many
decisions took each number of working days as shown, per day and per month. A period
reads its days' sums and, for the 90th percentile, its whole months plus the days at
its edges (a year: a few thousand rows, whatever the number of cases).

Both are *derived*: a batch that rewrites a case's rows adds the new rows and takes the
old ones away (`Delta`), applied just before it commits, in key order so concurrent
batches never deadlock on them; a rebuild of the projection makes them again from
``stat_facts`` (`fill`). Sums are numeric, from each float's shortest text, so taking a
case's rows away leaves exactly what was there before.
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg

from runtime.engine.calendar import CHINA_TZ
from runtime.engine.stat_facts import DONE_KINDS, RUNNING_KINDS, FactRow
from runtime.store.index import dumps

DAY_SUMS = ("n", "on_time", "rejected", "days_sum", "days_n", "promised_sum", "serial_sum",
            "serial_n", "saved_sum", "saved_n")

_LOCAL_DAY = "((at AT TIME ZONE 'UTC') + interval '8 hours')::date"

#: Made again from ``stat_facts`` (a rebuild; the migration runs the same statements).
FILL = (
    f"""INSERT INTO stat_days
    SELECT kind, {_LOCAL_DAY}, key, count(*),
           count(*) FILTER (WHERE on_time), count(*) FILTER (WHERE rejected),
           coalesce(sum(days::text::numeric), 0), count(days),
           coalesce(sum(coalesce(promised, 0)::text::numeric), 0),
           coalesce(sum(serial::text::numeric), 0), count(serial),
           coalesce(sum((serial - days)::text::numeric), 0), count(serial - days)
    FROM stat_facts WHERE kind <> ALL(%(running)s)
    GROUP BY 1, 2, 3""",
    f"""INSERT INTO stat_histogram
    SELECT kind, 'd', {_LOCAL_DAY}, key, days2, count(*)
    FROM stat_facts WHERE kind = ANY(%(done)s) AND days2 IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5""",
    """INSERT INTO stat_histogram
    SELECT kind, 'm', day - (extract(day FROM day)::int - 1), key, days2, sum(n)
    FROM stat_histogram WHERE grain = 'd'
    GROUP BY 1, 2, 3, 4, 5""",
)

#: The batch's differences, one statement (one round trip): the day rows, then the
#: histogram's. The main insert reads the day rows' count first (its WHERE), so the days
#: are written before it: every batch locks the rows in the same order, days before
#: histogram, each in key order, and concurrent batches cannot deadlock on them.
APPLY = """
WITH days AS (
    INSERT INTO stat_days AS s (kind, day, key, n, on_time, rejected, days_sum, days_n,
                                promised_sum, serial_sum, serial_n, saved_sum, saved_n)
    SELECT x.k, x.t, x.y, x.n, x.o, x.r, x.d, x.dn, x.p, x.s, x.sn, x.v, x.vn
    FROM jsonb_to_recordset(%s::jsonb)
         AS x(k text, t date, y text, n bigint, o bigint, r bigint, d numeric, dn bigint,
              p numeric, s numeric, sn bigint, v numeric, vn bigint)
    ORDER BY x.k, x.t, x.y
    ON CONFLICT (kind, day, key) DO UPDATE SET
        n = s.n + EXCLUDED.n, on_time = s.on_time + EXCLUDED.on_time,
        rejected = s.rejected + EXCLUDED.rejected, days_sum = s.days_sum + EXCLUDED.days_sum,
        days_n = s.days_n + EXCLUDED.days_n,
        promised_sum = s.promised_sum + EXCLUDED.promised_sum,
        serial_sum = s.serial_sum + EXCLUDED.serial_sum,
        serial_n = s.serial_n + EXCLUDED.serial_n,
        saved_sum = s.saved_sum + EXCLUDED.saved_sum, saved_n = s.saved_n + EXCLUDED.saved_n
    RETURNING 1)
INSERT INTO stat_histogram AS h (kind, grain, day, key, days2, n)
SELECT x.k, x.g::"char", x.t, x.y, x.d, x.n
FROM jsonb_to_recordset(%s::jsonb) AS x(k text, g text, t date, y text, d float8, n bigint)
WHERE (SELECT count(*) FROM days) >= 0
ORDER BY x.k, x.g, x.t, x.y, x.d
ON CONFLICT (kind, grain, day, key, days2) DO UPDATE SET n = h.n + EXCLUDED.n
"""

#: One row per (kind, key): the counts of a period's days and, for the decisions, the
#: sums the means are made of; then the rows counted against "now" (from stat_facts:
#: only running cases have them).
AGGREGATE = """
SELECT kind, key, sum(n)::bigint, sum(on_time)::bigint, sum(days_sum), sum(days_n)::bigint,
       NULL::float8, sum(promised_sum), sum(rejected)::bigint, sum(serial_sum),
       sum(serial_n)::bigint, sum(saved_sum), sum(saved_n)::bigint
FROM stat_days
WHERE kind = ANY(%(kinds)s) AND day >= %(first)s AND day <= %(last)s
GROUP BY kind, key
HAVING sum(n) <> 0
UNION ALL
SELECT kind, key, count(*), 0, NULL, 0, NULL, NULL, 0, NULL, 0, NULL, 0
FROM stat_facts
WHERE kind = %(running)s AND at < %(now)s
GROUP BY kind, key
"""

#: The nearest-rank 90th percentile of the decisions' days per key, as shown: the
#: histogram of the period's whole months and edge days, summed, then the rank's value
#: (the rank as `runtime.engine.stats.p90` computes it, in float).
P90 = """
WITH h AS (SELECT key, days2, sum(n) AS n FROM stat_histogram
           WHERE kind = %(done)s
             AND ((grain = 'm' AND day = ANY(%(months)s)) OR (grain = 'd' AND day = ANY(%(days)s)))
           GROUP BY key, days2 HAVING sum(n) > 0),
     c AS (SELECT key, days2, sum(n) OVER (PARTITION BY key ORDER BY days2) AS upto,
                  sum(n) OVER (PARTITION BY key) AS total FROM h)
SELECT key, min(days2) FROM c WHERE upto >= ceil(0.9::float8 * total::float8) GROUP BY key
"""


def fill(conn: psycopg.Connection) -> None:
    """Make the roll-up again from ``stat_facts`` (inside the caller's transaction)."""
    conn.execute("TRUNCATE stat_days, stat_histogram")
    params = {"running": list(RUNNING_KINDS), "done": list(DONE_KINDS)}
    for statement in FILL:
        conn.execute(statement, params)


def local_day(moment: datetime) -> date:
    """The China-time date of a moment (as ``_LOCAL_DAY`` computes it in SQL)."""
    return moment.astimezone(CHINA_TZ).date()


def _exact(value: float | None) -> Decimal:
    """A float as numeric from its shortest text (as ``float8::text::numeric``)."""
    return Decimal(0) if value is None else Decimal(repr(float(value)))


@dataclass
class Delta:
    """The roll-up's change made by one batch: rows added minus rows taken away."""

    days: dict[tuple[str, date, str], list[Any]] = field(default_factory=dict)
    histogram: dict[tuple[str, str, date, str, float], int] = field(default_factory=dict)

    def change(self, old: Sequence[FactRow], new: Sequence[FactRow]) -> None:
        """A case's rows rewritten: count the old ones out and the new ones in (nothing
        to do when its facts did not change, as on most writes)."""
        before, after = Counter(old), Counter(new)
        if before != after:  # only the rows that differ: most of a case's stay as they were
            self.add((before - after).elements(), -1)
            self.add((after - before).elements(), 1)

    def add(self, rows: Iterable[FactRow], sign: int) -> None:
        """Count ``rows`` in (``sign`` 1) or out (-1)."""
        for r in rows:
            if r.kind in RUNNING_KINDS:
                continue
            day = local_day(r.at)
            sums = self.days.setdefault((r.kind, day, r.key), [0, 0, 0, Decimal(0), 0,
                                                               Decimal(0), Decimal(0), 0,
                                                               Decimal(0), 0])
            saved = None if r.serial is None or r.days is None else r.serial - r.days
            values: tuple[Any, ...] = (
                    1, bool(r.on_time), bool(r.rejected), _exact(r.days), r.days is not None,
                    _exact(r.promised), _exact(r.serial), r.serial is not None,
                    _exact(saved), saved is not None)
            for i, value in enumerate(values):
                sums[i] += sign * value
            if r.kind in DONE_KINDS and r.days is not None:
                shown = round(r.days, 2)
                for grain, start in (("d", day), ("m", day.replace(day=1))):
                    key = (r.kind, grain, start, r.key, shown)
                    self.histogram[key] = self.histogram.get(key, 0) + sign

    def apply(self, conn: psycopg.Connection) -> None:
        """Write the non-zero changes (nothing when the case's rows did not change)."""
        days = [{"k": k, "t": t.isoformat(), "y": y, "n": s[0], "o": s[1], "r": s[2],
                 "d": str(s[3]), "dn": s[4], "p": str(s[5]), "s": str(s[6]), "sn": s[7],
                 "v": str(s[8]), "vn": s[9]}
                for (k, t, y), s in sorted(self.days.items()) if any(s)]
        histogram = [{"k": k, "g": g, "t": t.isoformat(), "y": y, "d": d, "n": n}
                     for (k, g, t, y, d), n in sorted(self.histogram.items()) if n]
        if days or histogram:
            conn.execute(APPLY, (dumps(days), dumps(histogram)))
        self.days.clear()
        self.histogram.clear()


def stored_rows(rows: Sequence[Sequence[Any]]) -> list[FactRow]:
    """Rows as `DELETE … RETURNING kind, key, at, days, promised, on_time, rejected,
    serial` gave them back."""
    return [FactRow(*row) for row in rows]


def spans(first: date, last: date) -> tuple[list[date], list[date]]:
    """``[first, last]`` as the months it covers whole (their first days) and the days
    outside them."""
    months: list[date] = []
    days: list[date] = []
    day = first
    while day <= last:
        month_end = day.replace(day=calendar.monthrange(day.year, day.month)[1])
        if day.day == 1 and month_end <= last:
            months.append(day)
            day = month_end + timedelta(days=1)
        else:
            days.append(day)
            day += timedelta(days=1)
    return months, days


def aggregate(conn: psycopg.Connection, kinds: tuple[str, ...], running: str,
              first: date, last: date, now: datetime,
              done_kind: str) -> list[tuple[Any, ...]]:
    """The period's `AGGREGATE` rows with each decision key's p90 in place (the shape
    `runtime.store.postgres.stat_facts.Aggregates` reads)."""
    months, days = spans(first, last)
    params = {"kinds": list(kinds), "first": first, "last": last, "now": now,
              "running": running, "done": done_kind, "months": months, "days": days}
    rows = conn.execute(AGGREGATE, params).fetchall()
    p90: dict[str, float] = dict(conn.execute(P90, params).fetchall())
    return [(*r[:6], p90.get(r[1]) if r[0] == done_kind else None, *r[7:]) for r in rows]
