"""The web benchmark's cases in PostgreSQL, bulk-loaded: a million in minutes.

The same cases as `webcases.build_store` makes for the embedded store: open cases run
through the real engine (and ``COPY``-ed in with the columns the store computes), and
finished cases that are copies of one engine-made finished case per matter. Those
copies are made by the server itself (``INSERT … SELECT`` over ``generate_series``,
replacing the template's ids and number): sending 20 GB of JSON text through one
client connection would measure the client, not the database.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from webcases import (
    _TEMPLATE_DIGITS,
    FORMAT,
    MIX,
    CaseMaker,
    _number,
    _open_case,
    _open_plan,
    _working_moments,
)

from builder import load_catalog
from runtime.services import LIFECYCLE
from runtime.store.index import case_summary, dumps
from runtime.store.postgres import PostgresStore
from runtime.store.postgres.batch import case_params, task_rows

CASE_COLUMNS = ("id", "rev", "status", "applicant", "number", "matter", "matter_version",
                "updated_at", "summary", "doc")
TASK_COLUMNS = ("case_id", "position", "task_id", "department", "status", "due", "ready_at",
                "open", "decided_at", "task")

#: Finished copies are numbered from this day on, 480 a day (3 minutes apart): years
#: before the open cases' days, so numbers never meet.
FINISHED_FROM = "2015-01-01"


def build_postgres(url: str, catalog_dir: Path, size: int, open_cases: int, *,
                   department: str, ready: int, now: datetime,
                   log: Callable[[str], None] = print) -> dict[str, Any]:
    """Write ``size`` cases (``open_cases`` running) into the empty database ``url``."""
    PostgresStore(url, lifecycle=LIFECYCLE, pool_size=1).close()  # creates the schema
    catalog = load_catalog(catalog_dir)
    maker = CaseMaker(catalog, catalog.centre.case_prefix)
    rng = random.Random(size)
    matters = list(MIX)
    weights = [MIX[m] for m in matters]
    opened = _open_plan(open_cases, ready, rng, matters, weights)
    moments = list(_working_moments(maker.calendar, now, open_cases, rng))
    open_every = size // open_cases
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")
        with conn.transaction():
            _copy_open(conn, maker, opened, moments, open_every, now, rng)
        log(f"  … {open_cases:,} open cases copied in")
        templates = {m: maker.finished(m) for m in matters}
        _templates(conn, templates)
        # Matters by case index: a fixed pattern of 100 in the MIX shares.
        pattern = [k for k, m in enumerate(matters) for _ in range(round(MIX[m] * 100))]
        random.Random(1).shuffle(pattern)
        for start in range(0, size, 100_000):
            end = min(start + 100_000, size)
            with conn.transaction():
                _finished(conn, start, end, open_every, open_cases, pattern,
                          maker.prefix)
            log(f"  … {end:,} cases written")
        conn.execute("VACUUM (ANALYZE) cases")
        conn.execute("VACUUM (ANALYZE) tasks")
    return {"format": FORMAT, "size": size, "open": open_cases, "department": department,
            "ready": ready}


def _copy_open(conn: psycopg.Connection, maker: CaseMaker, opened: list[tuple[str, str]],
               moments: list[datetime], open_every: int, now: datetime,
               rng: random.Random) -> None:
    per_day: dict[str, int] = {}
    cases, tasks = [], []
    for j, plan in enumerate(opened):
        digits = f"{j * open_every:012d}"
        case = _open_case(maker, plan, digits, _number(maker.prefix, moments[j], per_day),
                          moments[j], now, rng)
        case["rev"] = 1
        text = dumps(case)
        params = case_params(case["id"], text, json.loads(text), 0, LIFECYCLE)
        cases.append([params[c] for c in CASE_COLUMNS])
        open_ = case["status"] not in LIFECYCLE.closed_case
        for row in task_rows(case, LIFECYCLE):
            tasks.append([case["id"], row["p"], row["i"], row["d"], row["s"], row["du"],
                          row["r"], open_, row["da"], dumps(row["t"])])
    with conn.cursor().copy(f"COPY cases ({', '.join(CASE_COLUMNS)}) FROM STDIN") as copy:
        for row in cases:
            copy.write_row(row)
    with conn.cursor().copy(f"COPY tasks ({', '.join(TASK_COLUMNS)}) FROM STDIN") as copy:
        for row in tasks:
            copy.write_row(row)


def _templates(conn: psycopg.Connection, templates: dict[str, str]) -> None:
    """The finished template cases and their task rows, in temporary tables."""
    conn.execute("CREATE TEMP TABLE tpl (k int, text text, summary text, matter text, "
                 "version int, status text, applicant text, updated_at text)")
    conn.execute("CREATE TEMP TABLE tpl_tasks (k int, position int, task_id text, "
                 "department text, status text, due text, ready_at text, decided_at text, "
                 "task text)")
    for k, text in enumerate(templates.values()):
        doc = json.loads(text)
        doc["rev"] = 1
        text = dumps(doc)
        conn.execute("INSERT INTO tpl VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", (
            k, text, dumps(case_summary(doc)), doc["matter"], doc["matter_version"],
            doc["status"], doc.get("applicant"), doc["updated_at"]))
        assert doc["status"] in LIFECYCLE.closed_case
        for row in task_rows(doc, LIFECYCLE):
            conn.execute("INSERT INTO tpl_tasks VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)", (
                k, row["p"], row["i"], row["d"], row["s"], row["du"], row["r"], row["da"],
                dumps(row["t"])))


def _finished(conn: psycopg.Connection, start: int, end: int, open_every: int,
              open_cases: int, pattern: list[int], prefix: str) -> None:
    """Copies of the templates for case indexes [start, end) that are not open slots."""
    slots = """
        SELECT i, lpad(i::text, 12, '0') AS digits,
               %(prefix)s || to_char(%(from)s::date + (i / 480), 'YYYYMMDD')
                          || lpad((i %% 480 + 1)::text, 4, '0') AS number,
               (%(pattern)s::int[])[i %% 100 + 1] AS k
        FROM generate_series(%(start)s, %(end)s - 1) AS i
        WHERE NOT (i %% %(every)s = 0 AND i / %(every)s < %(open)s)
    """
    params = {"prefix": prefix, "from": FINISHED_FROM, "pattern": pattern, "start": start,
              "end": end, "every": open_every, "open": open_cases, "t": _TEMPLATE_DIGITS}
    conn.execute(f"""
        INSERT INTO cases (id, rev, status, applicant, number, matter, matter_version,
                           updated_at, summary, doc)
        SELECT 'c_' || s.digits, 1, t.status, t.applicant, s.number, t.matter, t.version,
               t.updated_at,
               replace(replace(t.summary, %(t)s, s.digits), 'NUMBER-TEMPLATE', s.number)::jsonb,
               replace(replace(t.text, %(t)s, s.digits), 'NUMBER-TEMPLATE', s.number)::jsonb
        FROM ({slots}) AS s JOIN tpl t ON t.k = s.k""", params)
    conn.execute(f"""
        INSERT INTO tasks (case_id, position, task_id, department, status, due, ready_at,
                           open, decided_at, task)
        SELECT 'c_' || s.digits, x.position, replace(x.task_id, %(t)s, s.digits),
               x.department, x.status, x.due, x.ready_at, false, x.decided_at,
               replace(x.task, %(t)s, s.digits)::jsonb
        FROM ({slots}) AS s JOIN tpl_tasks x ON x.k = s.k""", params)

