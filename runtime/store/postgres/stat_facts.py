"""The statistics projection on PostgreSQL: rows written with each case, aggregated in SQL.

The rows (`runtime.engine.stat_facts.FactRow`) are made by a *projector* the
application installs (it knows the matter versions and the work calendar; the store
does not): `PostgresBatch.put_case` rewrites a case's rows in the same transaction as
the case. ``stat_meta`` says for which projector (calendar and projection version) the
rows were made; a projection made for another is rebuilt before it is read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any

import psycopg

from runtime.engine.stat_facts import FactRow
from runtime.store.base import Document
from runtime.store.index import dumps
from runtime.store.postgres import stat_rollup

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

DELETE_FACTS = ("DELETE FROM stat_facts WHERE case_id = %s "
                "RETURNING kind, key, at, days, promised, on_time, rejected, serial")

COPY_FACTS = ("COPY stat_facts (case_id, kind, key, at, days, days2, promised, on_time, "
              "rejected, serial) FROM STDIN")

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
        conn.execute("LOCK TABLE stat_facts, stat_days, stat_histogram IN EXCLUSIVE MODE")
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
        stat_rollup.fill(conn)
        conn.execute("INSERT INTO stat_meta (name, value) VALUES ('projector', %s) "
                     "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value", (fingerprint,))
    conn.execute("ANALYZE stat_facts, stat_days, stat_histogram")
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
              first: date, last: date, now: datetime, done_kind: str) -> Aggregates:
    """The aggregates of the rows of ``kinds`` on the days ``[first, last]`` (from the
    daily roll-up) and of ``running`` rows due before ``now``."""
    return Aggregates(stat_rollup.aggregate(conn, kinds, running, first, last, now, done_kind),
                      done_kind)


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
