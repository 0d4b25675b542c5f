"""Statistics at scale: the page and the API by department and by matter, timed against a
trivial page in the same run, on the embedded store or on PostgreSQL.

The cases are those of the web benchmark (bench/webcases.py, bench/pgcases.py): engine-
made, mostly finished copies of one finished case per matter (all decided in March
2026), ``--open`` still running. Each figure is the median of ``--repeat`` requests
through the real application (Starlette TestClient, a supervisor signed in through the
form), after one request not counted; the ratio is against ``GET /login`` measured the
same way. Two periods: the last year (every stored case counted: the worst case) and
the last month (only the running cases' events fall in it).

    python bench/stats.py --cases 20000                  # embedded store
    python bench/stats.py --throwaway --cases 1000000    # PostgreSQL, private cluster
    python bench/stats.py --database postgresql://USER@HOST:PORT/postgres --cases 100000
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[1]))
sys.path.insert(0, str(Path(__file__).parent))

from starlette.testclient import TestClient

from bench.webcases import build_store
from runtime.engine import CHINA_TZ
from runtime.services import LIFECYCLE, Services
from runtime.settings import Settings
from runtime.store import TinyDBStore

ROOT = Path(__file__).parents[1]
NOW = datetime(2026, 12, 4, 10, 0, tzinfo=CHINA_TZ)
PASSWORD = "统计基准-Bench-2026"
PERIODS = {"year": "from=2025-12-05&to=2026-12-04", "month": "from=2026-11-05&to=2026-12-04"}


def csrf_of(html: str) -> str:
    match = re.search(r'name="_csrf" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def timed(client: TestClient, path: str, repeat: int,
          headers: dict[str, str] | None = None) -> tuple[float, float]:
    """(first request, median of the next ``repeat``) in seconds."""
    def once() -> float:
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        took = time.perf_counter() - started
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        return took
    first = once()
    return first, statistics.median(once() for _ in range(repeat))


def measure(services: Services, cases: int, repeat: int, label: str) -> None:
    """Sign a supervisor in and time the baseline, the pages and the API."""
    from runtime.web.app import create_app

    services.accounts.create_user("bench_sup", PASSWORD, "supervisor", display_name="监察")
    bearer = {"Authorization": f"Bearer {services.accounts.create_token('bench_sup')}"}
    app = create_app(services.settings, services)
    with TestClient(app, base_url="https://testserver") as client:
        page = client.get("/login")
        client.post("/login", data={"name": "bench_sup", "password": PASSWORD,
                                    "_csrf": csrf_of(page.text)}, follow_redirects=False)
        first, base = timed(client, "/login", repeat)
        print(f"{label}: {cases:,} cases; baseline GET /login {base * 1e3:.1f} ms")
        for period, query in PERIODS.items():
            for by in ("department", "matter"):
                for what, path in (("page", f"/statistics?by={by}&{query}"),
                                   ("api", f"/api/v1/stats?by={by}&{query}")):
                    first, took = timed(client, path, repeat,
                                        bearer if what == "api" else None)
                    print(f"  {what:4} by {by:10} {period:5}: {took * 1e3:8.1f} ms "
                          f"(first {first * 1e3:.0f} ms), {took / base:6.1f}x baseline",
                          flush=True)


def embedded(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        started = time.perf_counter()
        build_store(data / "store", ROOT / "catalog", args.cases, args.open, department="amr",
                    ready=20, now=NOW, log=lambda _: None)
        print(f"built {args.cases:,} cases in {time.perf_counter() - started:.1f} s")
        settings = Settings.load({"data_dir": str(data), "catalog_dir": str(ROOT / "catalog"),
                                  "tick_seconds": 3600}, environ={})
        store = TinyDBStore(data / "store", lifecycle=LIFECYCLE)
        services = Services.open(settings, store=store, clock=lambda: NOW)
        try:
            measure(services, args.cases, args.repeat, "embedded")
        finally:
            services.close()


#: The finished copies' rows are spread over the year (see `fill_projection`); bumped
#: when that changes, so `--quick` fills them again.
SPREAD = "spread-1"


def projected(url: str) -> bool:
    """Whether the database holds this version of the bench's projection rows."""
    import psycopg

    with psycopg.connect(url) as db:
        marker = db.execute("SELECT to_regclass('bench_projection') IS NOT NULL").fetchone()
        return bool(marker and marker[0] and db.execute(
            "SELECT version FROM bench_projection").fetchone() == (SPREAD,))


def fill_projection(url: str, services: Services) -> int:
    """The projection's rows of the bulk-loaded cases, made as the server made the cases:
    the running ones one by one, the finished copies from their matter's template (all
    copies of one matter carry the same events, so the same rows; three copies are
    checked against their own documents).

    A city's real year does not decide every case on the same few March days in the
    same number of days: each finished copy's rows are moved by whole days (-100 … +254,
    by a hash of its id) and its days scaled by 0.5 … 1.5 (1,000 steps), so decisions
    fall on every day of the year and a department's days take thousands of distinct
    values: the roll-up has as many rows to read as real data would give it. The
    roll-up is then made from these rows as the migration makes it. Returns the rows."""
    import psycopg

    from runtime.store.postgres import stat_rollup
    from runtime.store.postgres.stat_facts import COPY_FACTS, copy_row

    projection = services.stats.projection
    assert projection is not None
    project = projection.projector
    closed = sorted(LIFECYCLE.closed_case)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE stat_facts")
        running = conn.execute("SELECT id, doc FROM cases WHERE status <> ALL(%s)",
                               (closed,)).fetchall()
        with conn.cursor().copy(COPY_FACTS) as copy:
            for case_id, doc in running:
                for r in project(doc):
                    copy.write_row(copy_row(case_id, r))
        conn.execute("CREATE TEMP TABLE tpl_facts (matter text, kind text, key text, "
                     "at timestamptz, days float8, days2 float8, promised float8, "
                     "on_time boolean, rejected boolean, serial float8)")
        templates: dict[str, list[tuple[object, ...]]] = {}
        for (matter,) in conn.execute("SELECT DISTINCT matter FROM cases WHERE status = "
                                      "ANY(%s)", (closed,)).fetchall():
            doc = conn.execute("SELECT doc FROM cases WHERE matter = %s AND status = ANY(%s) "
                               "LIMIT 1", (matter, closed)).fetchone()[0]
            templates[matter] = sorted(copy_row("", r)[1:] for r in project(doc))
            with conn.cursor().copy("COPY tpl_facts FROM STDIN") as copy:
                for r in project(doc):
                    copy.write_row((matter, *copy_row(matter, r)[1:]))
        # A few copies checked against their own documents: they carry their template's rows.
        for case_id, matter, doc in conn.execute(
                "SELECT id, matter, doc FROM cases WHERE status = ANY(%s) ORDER BY id DESC "
                "LIMIT 3", (closed,)).fetchall():
            assert sorted(copy_row("", r)[1:] for r in project(doc)) == templates[matter], \
                case_id
        conn.execute("""
            INSERT INTO stat_facts
            SELECT c.id, t.kind, t.key, t.at + make_interval(days => sh.d), t.days * sh.f,
                   round((t.days * sh.f)::numeric, 2)::float8, t.promised, t.on_time,
                   t.rejected, t.serial
            FROM cases c JOIN tpl_facts t ON t.matter = c.matter
            CROSS JOIN LATERAL (
                SELECT (hashtext(c.id) & 2147483647) %% 355 - 100 AS d,
                       0.5 + ((hashtext(c.id || '/f') & 2147483647) %% 1000) / 1000.0 AS f
            ) AS sh
            WHERE c.status = ANY(%s)""", (closed,))
        conn.execute("VACUUM (ANALYZE) stat_facts")
        with conn.transaction():
            stat_rollup.fill(conn)
        conn.execute("VACUUM (ANALYZE) stat_days")
        conn.execute("VACUUM (ANALYZE) stat_histogram")
        conn.execute("CREATE TABLE IF NOT EXISTS bench_projection (version text)")
        conn.execute("DELETE FROM bench_projection")
        conn.execute("INSERT INTO bench_projection VALUES (%s)", (SPREAD,))
        rows = conn.execute("SELECT count(*) FROM stat_facts").fetchone()
    return int(rows[0]) if rows else 0


#: The period's figures straight from every stat_facts row, as the application read them
#: before the daily roll-up (schema version 8): timed in the same run as the baseline
#: of the roll-up's own queries, and checked to give the same figures.
RAW_AGGREGATE = """
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
RAW_P90 = """
WITH h AS (SELECT key, days2, count(*) AS n FROM stat_facts
           WHERE kind = %(done)s AND at >= %(low)s AND at < %(high)s AND days2 IS NOT NULL
           GROUP BY key, days2),
     c AS (SELECT key, days2, sum(n) OVER (PARTITION BY key ORDER BY days2) AS upto,
                  sum(n) OVER (PARTITION BY key) AS total FROM h)
SELECT key, min(days2) FROM c WHERE upto >= ceil(0.9::float8 * total::float8) GROUP BY key
"""
KINDS = {"department": (("task_received", "task_suspended", "task_done"), "task_running",
                        "task_done"),
         "matter": (("case_accepted", "case_supplement", "case_refused", "case_done"),
                    "case_running", "case_done")}


def raw_year(conn: Any, params: dict[str, Any]) -> Any:
    """`RAW_AGGREGATE` and `RAW_P90` as `Aggregates`."""
    from runtime.store.postgres.stat_facts import Aggregates

    done = params["done"]
    found = conn.execute(RAW_AGGREGATE, params).fetchall()
    p90 = dict(conn.execute(RAW_P90, params).fetchall())
    return Aggregates([(*r[:6], p90.get(r[1]) if r[0] == done else None, *r[7:])
                       for r in found], done)


def in_the_database(url: str, repeat: int) -> None:
    """The year's queries alone, from every row (as before) and from the roll-up."""
    from datetime import date, timedelta

    import psycopg

    from runtime.store.postgres.stat_facts import Aggregates, aggregate, figures

    first, last = date(2025, 12, 5), date(2026, 12, 4)
    low = datetime(2025, 12, 5, tzinfo=CHINA_TZ)
    high = datetime.combine(last + timedelta(days=1), datetime.min.time(), CHINA_TZ)
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT count(*) FROM stat_facts WHERE at >= %s AND at < %s",
                            (low, high)).fetchone()
        rolled = conn.execute("SELECT (SELECT count(*) FROM stat_days), "
                              "(SELECT count(*) FROM stat_histogram)").fetchone()
        print(f"in the database, the year ({rows[0]:,} projection rows; roll-up "
              f"{rolled[0]:,} day rows, {rolled[1]:,} histogram rows):")
        for by, (kinds, running, done) in KINDS.items():
            params = {"kinds": list(kinds), "low": low, "high": high, "now": NOW,
                      "running": running, "done": done}

            queries: dict[str, Callable[[], Aggregates]] = {
                "every row": partial(raw_year, conn, params),
                "roll-up": partial(aggregate, conn, kinds, running, first, last, NOW, done)}
            times = {}
            answers = {}
            for name, query in queries.items():
                answers[name] = query()
                took = []
                for _ in range(repeat):
                    started = time.perf_counter()
                    query()
                    took.append(time.perf_counter() - started)
                times[name] = statistics.median(took)
            a, b = answers["every row"], answers["roll-up"]
            assert a.counts == b.counts, by
            assert {k: figures(v) for k, v in a.done.items()} == \
                {k: figures(v) for k, v in b.done.items()}, by
            print(f"  by {by:10}: every row {times['every row'] * 1e3:8.1f} ms, roll-up "
                  f"{times['roll-up'] * 1e3:6.1f} ms, {times['every row'] / times['roll-up']:.0f}x "
                  f"faster, same figures", flush=True)


def postgres(server_url: str, args: argparse.Namespace) -> None:
    import psycopg
    from pgcases import build_postgres
    from psycopg import sql

    name = f"onewindow_stats_{args.cases}"
    url = server_url.rsplit("/", 1)[0] + "/" + name
    wanted = json.dumps({"size": args.cases, "open": args.open}, sort_keys=True)
    with psycopg.connect(server_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    built = False
    if exists and args.quick:
        with psycopg.connect(url) as db:
            marker = db.execute("SELECT to_regclass('bench_built') IS NOT NULL").fetchone()
            built = bool(marker and marker[0] and db.execute(
                "SELECT facts FROM bench_built").fetchone() == (wanted,))
    if not built:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'")
                         .format(sql.Identifier(name)))
        started = time.perf_counter()
        build_postgres(url, ROOT / "catalog", args.cases, args.open, department="amr",
                       ready=20, now=NOW, log=lambda line: print(line, flush=True))
        print(f"built {args.cases:,} cases in {time.perf_counter() - started:.0f} s",
              flush=True)
        with psycopg.connect(url, autocommit=True) as db:
            db.execute("CREATE TABLE bench_built (facts text)")
            db.execute("INSERT INTO bench_built VALUES (%s)", (wanted,))
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.load({"data_dir": tmp, "catalog_dir": str(ROOT / "catalog"),
                                  "database": url, "tick_seconds": 3600}, environ={})
        if not projected(url):  # filled below, not rebuilt case by case at open
            from builder import load_catalog
            from runtime.services.stat_projection import fingerprint

            mark = fingerprint(load_catalog(ROOT / "catalog").calendar)
            with psycopg.connect(url, autocommit=True) as db:
                db.execute("INSERT INTO stat_meta VALUES ('projector', %s) ON CONFLICT (name) "
                           "DO UPDATE SET value = EXCLUDED.value", (mark,))
        services = Services.open(settings, clock=lambda: NOW)
        try:
            if not projected(url):
                started = time.perf_counter()
                rows = fill_projection(url, services)
                print(f"projection: {rows:,} rows in {time.perf_counter() - started:.0f} s",
                      flush=True)
            in_the_database(url, args.repeat)
            measure(services, args.cases, args.repeat, "PostgreSQL")
        finally:
            services.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--open", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database", metavar="URL",
                        help="PostgreSQL server URL where bench databases may be created")
    parser.add_argument("--throwaway", action="store_true",
                        help="PostgreSQL on a private cluster (tests/pg.py)")
    parser.add_argument("--quick", action="store_true",
                        help="with --database: reuse a database built by an earlier run")
    args = parser.parse_args()
    if args.throwaway:
        from tests.pg import Cluster

        cluster = Cluster(durable=True)
        try:
            postgres(cluster.url, args)
        finally:
            cluster.stop()
    elif args.database:
        postgres(args.database, args)
    else:
        embedded(args)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process {peak:.0f} MB")


if __name__ == "__main__":
    main()
