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
from datetime import datetime
from pathlib import Path

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


def fill_projection(url: str, services: Services) -> int:
    """The projection's rows of the bulk-loaded cases, made as the server made the cases:
    the running ones one by one, the finished copies from their matter's template (all
    copies of one matter carry the same events, so the same rows). Returns the rows."""
    import psycopg

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
        for (matter,) in conn.execute("SELECT DISTINCT matter FROM cases WHERE status = "
                                      "ANY(%s)", (closed,)).fetchall():
            doc = conn.execute("SELECT doc FROM cases WHERE matter = %s AND status = ANY(%s) "
                               "LIMIT 1", (matter, closed)).fetchone()[0]
            with conn.cursor().copy("COPY tpl_facts FROM STDIN") as copy:
                for r in project(doc):
                    copy.write_row((matter, *copy_row(matter, r)[1:]))
        conn.execute("""INSERT INTO stat_facts SELECT c.id, t.kind, t.key, t.at, t.days,
                        t.days2, t.promised, t.on_time, t.rejected, t.serial
                        FROM cases c JOIN tpl_facts t ON t.matter = c.matter
                        WHERE c.status = ANY(%s)""", (closed,))
        # A few copies checked against their own documents.
        for case_id, doc in conn.execute("SELECT id, doc FROM cases WHERE status = ANY(%s) "
                                         "ORDER BY id DESC LIMIT 3", (closed,)).fetchall():
            stored = sorted(tuple(r) for r in conn.execute(
                "SELECT case_id, kind, key, at, days, days2, promised, on_time, rejected, "
                "serial FROM stat_facts WHERE case_id = %s", (case_id,)))
            assert stored == sorted(copy_row(case_id, r) for r in project(doc)), case_id
        conn.execute("VACUUM (ANALYZE) stat_facts")
        rows = conn.execute("SELECT count(*) FROM stat_facts").fetchone()
    return int(rows[0]) if rows else 0


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
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.load({"data_dir": tmp, "catalog_dir": str(ROOT / "catalog"),
                                  "database": url, "tick_seconds": 3600}, environ={})
        if not built:  # the projection is filled below, not rebuilt case by case at open
            from builder import load_catalog
            from runtime.services.stat_projection import fingerprint

            mark = fingerprint(load_catalog(ROOT / "catalog").calendar)
            with psycopg.connect(url, autocommit=True) as db:
                db.execute("INSERT INTO stat_meta VALUES ('projector', %s) ON CONFLICT (name) "
                           "DO UPDATE SET value = EXCLUDED.value", (mark,))
        services = Services.open(settings, clock=lambda: NOW)
        try:
            if not built:
                started = time.perf_counter()
                rows = fill_projection(url, services)
                with psycopg.connect(url, autocommit=True) as db:
                    db.execute("CREATE TABLE IF NOT EXISTS bench_built (facts text)")
                    db.execute("INSERT INTO bench_built VALUES (%s)", (wanted,))
                print(f"projection: {rows:,} rows in {time.perf_counter() - started:.0f} s",
                      flush=True)
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
