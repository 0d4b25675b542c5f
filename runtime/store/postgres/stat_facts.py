"""The statistics projection on PostgreSQL: rows written with each case, aggregated in SQL.

The rows (`runtime.engine.stat_facts.FactRow`) are made by a *projector* the
application installs (it knows the matter versions and the work calendar; the store
does not): `PostgresBatch.put_case` rewrites a case's rows in the same transaction as
the case. ``stat_meta`` says for which projector (calendar and projection version) the
rows were made; a projection made for another is rebuilt before it is read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

import psycopg

from runtime.engine.stat_facts import FactRow
from runtime.store.base import Document
from runtime.store.index import dumps

#: Case document -> its rows (raises nothing: a case it cannot read has no rows).
Projector = Callable[[Document], list[FactRow]]

INSERT_FACTS = """
INSERT INTO stat_facts (case_id, kind, key, at, days, days2, promised, on_time, rejected,
                        serial)
SELECT %(case)s, x.k, x.y, x.a, x.d, x.d2, x.p, x.o, x.r, x.s
FROM jsonb_to_recordset(%(rows)s::jsonb)
     AS x(k text, y text, a timestamptz, d float8, d2 float8, p float8, o boolean, r boolean,
          s float8)
"""

DELETE_FACTS = "DELETE FROM stat_facts WHERE case_id = %s"

COPY_FACTS = ("COPY stat_facts (case_id, kind, key, at, days, days2, promised, on_time, "
              "rejected, serial) FROM STDIN")

#: One aggregate row per (kind, key): the counts of a period, and for the decisions
#: the sums the means are made of (a hash aggregate: no sort of the rows).
AGGREGATE = """
SELECT kind, key, count(*), count(*) FILTER (WHERE on_time), sum(days), count(days),
       NULL::float8, sum(promised), count(*) FILTER (WHERE rejected), sum(serial),
       count(serial), sum(serial - days), count(serial - days)
FROM stat_facts
WHERE kind = ANY(%(kinds)s) AND at >= %(low)s AND at < %(high)s
GROUP BY kind, key
UNION ALL
SELECT kind, key, count(*), 0, NULL, 0, NULL, NULL, 0, NULL, 0, NULL, 0
FROM stat_facts
WHERE kind = %(running)s AND at < %(now)s
GROUP BY kind, key
"""

#: The nearest-rank 90th percentile of the decisions' days per key, as shown (rounded
#: to 2 decimals): rounding keeps the order, so it is the rank's value in the histogram
#: of rounded days — a hash aggregate and a window over the few distinct values, not a
#: sort of every row. The rank as `runtime.engine.stats.p90` computes it (float).
P90 = """
WITH h AS (SELECT key, days2, count(*) AS n FROM stat_facts
           WHERE kind = %(done)s AND at >= %(low)s AND at < %(high)s AND days2 IS NOT NULL
           GROUP BY key, days2),
     c AS (SELECT key, days2, sum(n) OVER (PARTITION BY key ORDER BY days2) AS upto,
                  sum(n) OVER (PARTITION BY key) AS total FROM h)
SELECT key, min(days2) FROM c WHERE upto >= ceil(0.9::float8 * total::float8) GROUP BY key
"""


def rounded(days: float | None) -> float | None:
    """Days as the statistics show them (Python's ``round``, as `runtime.engine.stats`)."""
    return None if days is None else round(days, 2)


def copy_row(case_id: str, r: FactRow) -> tuple[Any, ...]:
    """One row for `COPY_FACTS`."""
    return (case_id, r.kind, r.key, r.at, r.days, rounded(r.days), r.promised, r.on_time,
            r.rejected, r.serial)


def fact_params(case_id: str, rows: Iterable[FactRow]) -> dict[str, Any] | None:
    """The parameters of `INSERT_FACTS` for one case's rows (None: it has none)."""
    packed = [{"k": r.kind, "y": r.key, "a": r.at.isoformat(), "d": r.days,
               "d2": rounded(r.days), "p": r.promised, "o": r.on_time, "r": r.rejected,
               "s": r.serial} for r in rows]
    return {"case": case_id, "rows": dumps(packed)} if packed else None


def current(conn: psycopg.Connection, fingerprint: str) -> bool:
    """Whether the stored rows were made by a projector of this fingerprint."""
    row = conn.execute("SELECT value FROM stat_meta WHERE name = 'projector'").fetchone()
    return row is not None and row[0] == fingerprint


def rebuild(conn: psycopg.Connection, projector: Projector, fingerprint: str) -> int:
    """Make every case's rows again, in one transaction; return the number of cases.

    The table is locked first (EXCLUSIVE: reads go on), so a case written meanwhile
    waits for the rebuild and then rewrites its own rows: nothing is lost."""
    cases = 0
    with conn.transaction():
        conn.execute("LOCK TABLE stat_facts IN EXCLUSIVE MODE")
        if current(conn, fingerprint):  # rebuilt by another process meanwhile
            return 0
        conn.execute("TRUNCATE stat_facts")
        with conn.cursor(name="stat_facts_cases") as cursor:
            cursor.execute("SELECT id, doc FROM cases")
            while page := cursor.fetchmany(2000):  # one COPY per page: not both at once
                cases += len(page)
                with conn.cursor().copy(COPY_FACTS) as copy:
                    for case_id, doc in page:
                        for r in projector(doc):
                            copy.write_row(copy_row(case_id, r))
        conn.execute("INSERT INTO stat_meta (name, value) VALUES ('projector', %s) "
                     "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value", (fingerprint,))
    conn.execute("ANALYZE stat_facts")
    return cases


class Aggregates:
    """What `AGGREGATE` returned: counts per (kind, key) and decision sums per key."""

    def __init__(self, rows: Iterable[tuple[Any, ...]], done_kind: str) -> None:
        self.counts: dict[str, dict[str, int]] = {}
        self.done: dict[str, tuple[Any, ...]] = {}
        for row in rows:
            kind, key = row[0], row[1]
            if kind == done_kind:
                self.done[key] = row[2:]
            else:
                self.counts.setdefault(key, {})[kind] = int(row[2])


def aggregate(conn: psycopg.Connection, kinds: tuple[str, ...], running: str,
              low: datetime, high: datetime, now: datetime, done_kind: str) -> Aggregates:
    """The aggregates of the rows of ``kinds`` in ``[low, high)`` and of ``running``
    rows due before ``now``."""
    params = {"kinds": list(kinds), "low": low, "high": high, "now": now,
              "running": running, "done": done_kind}
    rows = conn.execute(AGGREGATE, params).fetchall()
    p90: dict[str, float] = dict(conn.execute(P90, params).fetchall())
    return Aggregates([(*r[:6], p90.get(r[1]) if r[0] == done_kind else None, *r[7:])
                       for r in rows], done_kind)


def figures(done: tuple[Any, ...] | None) -> Mapping[str, Any]:
    """The decision figures of one key from its `AGGREGATE` sums (means rounded to 2
    decimals and the rate to 4, as `runtime.engine.stats` rounds them)."""
    if done is None:
        done = (0, 0, None, 0, None, None, 0, None, 0, None, 0)
    (count, on_time, days_sum, days_n, p90, promised_sum, rejected, serial_sum, serial_n,
     saved_sum, saved_n) = done

    def mean(total: Any, n: int) -> float | None:
        return round(float(total) / n, 2) if n else None

    return {
        "done": int(count), "on_time": int(on_time),
        "on_time_rate": round(on_time / count, 4) if count else None,
        "avg_days": mean(days_sum, days_n),
        "p90_days": None if p90 is None else round(float(p90), 2),
        "promised_days": mean(promised_sum, count), "rejected": int(rejected),
        "serial_days": mean(serial_sum, serial_n), "saved_days": mean(saved_sum, saved_n),
        "saved_days_total": round(float(saved_sum), 2) if saved_n else None,
    }
