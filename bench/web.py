"""Benchmark the department task list (GET /tasks) over HTTP against a bare Starlette page.

    .venv/bin/python bench/web.py             # build the 100k-case store afresh, then load
    .venv/bin/python bench/web.py --quick     # reuse the store cached in bench/out/
    .venv/bin/python bench/web.py --quick --profile 200   # also cProfile 200 requests
    .venv/bin/python bench/web.py --database postgresql://USER@HOST:PORT/postgres \
        --size 1000000 [--quick]      # PostgreSQL, 2 processes; --throwaway: a private cluster

The app is served exactly as ``onewindow serve`` serves it (``runtime.cli``: create_app,
uvicorn, one worker, log level warning) in a subprocess on a free loopback port; a
department reviewer signs in through the real login form and ``wrk`` (Debian package
``wrk``) loads that department's list (50 rows) from a second process. The same load
then hits a bare Starlette + Jinja2 app rendering a 50-row table of in-memory dicts in
a base layout of the same size: the ratio of the two is what the app's own work costs.
Each server's CPU time per request is printed too: on a shared machine it varies far
less than throughput. ``--profile N`` then cProfiles N requests in process (through
httpx2's ASGITransport, worker threads included). See docs/performance.md.

With ``--database`` (a server where databases may be created; ``--quick`` reuses the
``onewindow_bench_SIZE`` database of an earlier run) the cases are bulk-loaded into
PostgreSQL (bench/pgcases.py), the app runs as ``serve --workers 2`` and the bare page
on two uvicorn processes too; the list is also measured at ``--small`` cases (growth),
and the start-up time and each server process's memory are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

OUT = ROOT / "bench" / "out"
CATALOG = ROOT / "catalog"
DEPARTMENT = "amr"  # the licence step's department: its ready count is set exactly
ROWS = 50
ROW = re.compile(r"<tr data-task=")
WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "status_errors": %d, '
    .. '"socket_errors": %d, "p50": %d, "p90": %d, "p99": %d, "p999": %d, "max": %d}\\n',
    summary.requests, summary.duration, summary.bytes, e.status,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end
"""


# -- the store ------------------------------------------------------------------


def catalog_digest() -> str:
    """A digest of the catalog's files: a cached store built from another catalog is
    rebuilt (serving it would stop at start-up on the published versions' conflict)."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(CATALOG.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(CATALOG)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def data_dir(size: int) -> Path:
    """The cached data directory (store, secret key) for ``size`` cases."""
    return OUT / f"web-{size // 1000}k"


def ensure_store(size: int, open_cases: int, quick: bool) -> dict[str, Any]:
    """Build the store unless ``quick`` and a matching one is cached; return its facts."""
    from webcases import FORMAT, build_store

    path = data_dir(size)
    marker = path / "BUILT"
    wanted = {"format": FORMAT, "size": size, "open": open_cases, "department": DEPARTMENT,
              "ready": ROWS, "catalog": catalog_digest()}
    if quick and marker.exists():
        built = json.loads(marker.read_text())
        if {k: built.get(k) for k in wanted} == wanted:
            return dict(built)
    shutil.rmtree(path, ignore_errors=True)
    print(f"building {size:,} cases ({open_cases:,} open) in {path} …", flush=True)
    started = time.perf_counter()
    from runtime.engine import CHINA_TZ

    now = datetime.now(CHINA_TZ).replace(microsecond=0)
    built = build_store(path / "store", CATALOG, size, open_cases, department=DEPARTMENT,
                        ready=ROWS, now=now)
    built["built_at"] = now.isoformat()
    marker.write_text(json.dumps(built))
    print(f"built in {time.perf_counter() - started:.0f} s", flush=True)
    return built


def _settings(path: Path) -> Any:
    from runtime.settings import Settings

    return Settings.load({"data_dir": str(path), "catalog_dir": str(CATALOG)}, environ={})


def make_reviewer(path: Path) -> tuple[str, str]:
    """A fresh reviewer of DEPARTMENT (name, password), created through services.accounts."""
    from runtime.services.container import Services

    services = Services.open(_settings(path))
    try:
        name, password = f"bench-{DEPARTMENT}-{secrets.token_hex(4)}", secrets.token_urlsafe(12)
        services.accounts.create_user(name, password, "department", department=DEPARTMENT,
                                      display_name="压测审批员")
    finally:
        services.close()
    return name, password


# -- servers --------------------------------------------------------------------


def free_port() -> int:
    """A free loopback port (the server binds it a moment later)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serving(command: list[str], port: int, ready_path: str,
            timeout: float = 180) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server subprocess until it answers ``ready_path``; stop it afterwards."""
    import httpx

    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while True:
                if proc.poll() is not None:
                    log.seek(0)
                    sys.exit(f"server exited with {proc.returncode}:\n{log.read().decode()}")
                with contextlib.suppress(httpx.TransportError):
                    httpx.get(f"http://127.0.0.1:{port}{ready_path}", timeout=2)
                    break
                if time.monotonic() > deadline:
                    sys.exit(f"server on port {port} did not answer within {timeout:.0f} s")
                time.sleep(0.2)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def app_command(path: Path, port: int) -> list[str]:
    """``onewindow serve`` on the cached data directory."""
    return [sys.executable, "-c", "import sys; from runtime.cli import main; sys.exit(main())",
            "serve", "--catalog", str(CATALOG), "--data-dir", str(path),
            "--host", "127.0.0.1", "--port", str(port)]


def sign_in(port: int, name: str, password: str) -> str:
    """Sign in through the real form; return the session cookie's value."""
    import httpx

    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        login = client.get("/login")
        token = re.search(r'name="_csrf" value="([^"]+)"', login.text)
        if login.status_code != 200 or token is None:
            sys.exit(f"GET /login answered {login.status_code} without a CSRF field")
        done = client.post("/login", data={"name": name, "password": password,
                                           "_csrf": token.group(1)})
        if done.status_code != 303 or done.headers.get("location") != "/tasks":
            sys.exit(f"POST /login answered {done.status_code}: {done.text[:300]}")
        return str(client.cookies["ow_session"])


def check_page(url: str, cookie: str | None) -> int:
    """Fail loudly unless the page is a 200 with exactly ROWS task rows; return its size."""
    import httpx

    headers = {"cookie": f"ow_session={cookie}"} if cookie else {}
    response = httpx.get(url, headers=headers)
    rows = len(ROW.findall(response.text))
    if response.status_code != 200 or rows != ROWS:
        sys.exit(f"GET {url} answered {response.status_code} with {rows} task rows "
                 f"(expected 200 with {ROWS}):\n{response.text[:500]}")
    return len(response.content)


def wrk(url: str, cookie: str | None, seconds: float, connections: int,
        threads: int) -> dict[str, Any]:
    """One bounded wrk run; its summary (latencies in µs)."""
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_REPORT)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "5s",
               "-s", script.name, url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: ow_session={cookie}"]
    try:
        out = subprocess.run(command, check=True, capture_output=True, text=True,
                             timeout=seconds + 30).stdout
    finally:
        os.unlink(script.name)
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    if result["status_errors"] or result["socket_errors"]:
        sys.exit(f"wrk on {url}: {result['status_errors']} non-2xx/3xx answers, "
                 f"{result['socket_errors']} socket errors")
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(url: str, cookie: str | None, pids: int | list[int],
         args: argparse.Namespace) -> dict[str, Any]:
    """Warm up, then measure; also the server processes' CPU time per request, which
    other processes on the machine disturb far less than throughput."""
    every = [pids] if isinstance(pids, int) else pids
    wrk(url, cookie, args.warmup, args.connections, args.threads)
    cpu = sum(cpu_seconds(p) for p in every)
    result = wrk(url, cookie, args.duration, args.connections, args.threads)
    result["cpu_ms"] = (sum(cpu_seconds(p) for p in every) - cpu) * 1e3 / result["requests"]
    return result


def describe(label: str, r: dict[str, Any], size: int) -> str:
    """One line of results."""
    return (f"{label}: {r['rps']:.0f} req/s over {r['duration_us'] / 1e6:.1f} s "
            f"({r['requests']} requests, {size / 1024:.1f} KB each), server CPU "
            f"{r['cpu_ms']:.2f} ms/request; latency p50 {r['p50'] / 1e3:.1f} ms, "
            f"p90 {r['p90'] / 1e3:.1f} ms, p99 {r['p99'] / 1e3:.1f} ms, "
            f"p99.9 {r['p999'] / 1e3:.1f} ms, max {r['max'] / 1e3:.1f} ms")


# -- the bare app -----------------------------------------------------------------

BARE_BASE = """<!doctype html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="htmx-config" content='{"includeIndicatorStyles": false, "responseHandling":
    [{"code": "204", "swap": false}, {"code": "[23]..", "swap": true},
    {"code": "4..", "swap": true, "error": false}, {"code": "...", "swap": false, "error": true}]}'>
  <title>{% block title %}{% endblock %} · 一窗受理</title>
  <link rel="stylesheet" href="/static/app.css">
  <script src="/static/htmx-2.0.11.min.js" defer></script>
  <script src="/static/app.js" defer></script>
</head>
<body hx-headers='{"X-CSRF-Token": "{{ csrf }}"}'>
  <a class="skip" href="#main">跳到主要内容</a>
  <header class="top"><div class="wrap top-inner">
    <a class="brand" href="/">{{ centre }}<span>一窗受理 · 并联审批</span></a>
    <nav aria-label="主导航"><ul>
      <li><a href="/">办事指南</a></li><li><a href="/tasks">部门任务</a></li>
      <li><a href="/query">办件查询</a></li></ul></nav>
    <div class="who"><span>{{ user }}（部门）</span>
      <form method="post" action="/logout" class="inline">
        <input type="hidden" name="_csrf" value="{{ csrf }}">
        <button type="submit" class="link">退出</button></form></div>
  </div></header>
  <div id="flash" class="wrap" aria-live="polite"></div>
  <main id="main" class="wrap" tabindex="-1">{% block content %}{% endblock %}</main>
  <footer class="foot"><div class="wrap">{{ centre }} · {{ footer }}</div></footer>
</body>
</html>
"""
BARE_PAGE = """{% extends "base.html" %}
{% block title %}部门任务 · {{ department }}{% endblock %}
{% block content %}
<h1>{{ department }} · 任务列表</h1>
<nav class="tabs" aria-label="任务分类">
  {% for key, label, count in tabs %}
  <a href="/tasks?view={{ key }}"{% if key == "ready" %} aria-current="page"{% endif %}>
    {{- label }} <span class="count">{{ count }}</span></a>
  {% endfor %}
</nav>
<div class="table-wrap"><table>
  <thead><tr><th>预警</th><th>事项 / 环节</th><th>申请对象</th><th>受理编号</th><th>状态</th>
    <th>到达</th><th>期限</th><th></th></tr></thead>
  <tbody id="task-rows" hx-get="/tasks?view=ready&amp;sort=due" hx-trigger="every 15s"
    hx-swap="innerHTML">
  {% for r in rows %}
  <tr data-task="{{ r.id }}" class="light-row-{{ r.light }}">
    <td><span class="light light-{{ r.light }}">{{ r.light_name }}</span></td>
    <td>{{ r.matter }}<br><strong>{{ r.step }}</strong></td>
    <td>{{ r.holder }}</td>
    <td>{{ r.number }}</td>
    <td><span class="status status-{{ r.status }}">{{ r.status_name }}</span></td>
    <td>{{ r.ready_at }}</td>
    <td>{{ r.due }}</td>
    <td><a href="/tasks/{{ r.id }}">办理<span class="visually-hidden">：{{ r.holder }}</span>
      </a></td>
  </tr>
  {% endfor %}
  </tbody>
</table></div>
{% endblock %}
"""


def bare_app() -> Any:
    """Starlette + Jinja2 and nothing else: 50 in-memory rows in the same layout."""
    import jinja2
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route
    from starlette.templating import Jinja2Templates

    templates = Jinja2Templates(env=jinja2.Environment(
        loader=jinja2.DictLoader({"base.html": BARE_BASE, "tasks.html": BARE_PAGE}),
        autoescape=True, trim_blocks=True, lstrip_blocks=True))
    rows = [{"id": f"t_{i:012d}-1", "light": "green", "light_name": "正常",
             "matter": '企业开办"一件事"（内资有限公司设立登记、印章刻制、发票申领、社保登记、'
                       "公积金开户、银行开户预约）", "step": "设立登记、核发营业执照",
             "holder": "云川市青禾农业科技有限公司", "number": f"ZW20261127{i:04d}",
             "status": "ready", "status_name": "待签收", "ready_at": "2026-11-27 10:15",
             "due": "2026-11-30 12:00"} for i in range(ROWS)]
    tabs = [("ready", "待签收", 50), ("mine", "我办理中", 0), ("suspended", "已挂起", 5),
            ("waiting", "等待前置环节", 0), ("done", "已办结", 1500)]

    async def tasks(request: Request) -> Response:
        return templates.TemplateResponse(request, "tasks.html", {
            "rows": rows, "tabs": tabs, "department": "市场监督管理局",
            "centre": "云川市政务服务中心", "user": "压测审批员",
            "csrf": "x" * 43, "footer": "云川市新城区市民中心路88号 市民服务中心B座1—3楼"})

    return Starlette(routes=[Route("/tasks", tasks)])


def serve_bare(port: int, workers: int = 1) -> None:
    """The bare app on uvicorn, configured as ``onewindow serve`` configures it."""
    import uvicorn

    if workers > 1:
        uvicorn.run("web:bare_app", factory=True, workers=workers, host="127.0.0.1", port=port,
                    log_level="warning")
        return
    uvicorn.run(bare_app(), host="127.0.0.1", port=port, log_level="warning")


# -- profile ------------------------------------------------------------------------


def profile(path: Path, name: str, password: str, requests: int, top: int) -> None:
    """cProfile ``requests`` GET /tasks through the ASGI app in this process.

    Views run in Starlette's thread pool, so its worker threads are profiled too (one
    profiler each, merged with the event loop's): cProfile only sees its own thread.
    """
    import cProfile
    import pstats
    import threading

    import httpx2

    from runtime.services.container import Services
    from runtime.web.app import create_app

    services = Services.open(_settings(path))
    gc.freeze()  # as ``onewindow serve`` does
    app = create_app(services.settings, services)
    profilers: list[cProfile.Profile] = []
    measuring = threading.Event()

    def start_in_worker(frame: Any, event: str, arg: Any) -> None:
        if measuring.is_set():
            profiler = cProfile.Profile()
            profilers.append(profiler)
            profiler.enable()  # replaces this hook in this worker thread

    async def session(profiled: bool) -> float:
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://testserver") as c:
            token = re.search(r'name="_csrf" value="([^"]+)"', (await c.get("/login")).text)
            assert token is not None
            done = await c.post("/login", data={"name": name, "password": password,
                                               "_csrf": token.group(1)})
            assert done.status_code == 303, done.text
            for _ in range(50):  # warm-up
                assert (await c.get("/tasks")).status_code == 200
            loop_profiler = cProfile.Profile()
            if profiled:
                measuring.set()
                profilers.append(loop_profiler)
                loop_profiler.enable()
            started = time.perf_counter()
            for _ in range(requests):
                response = await c.get("/tasks")
            elapsed = (time.perf_counter() - started) / requests
            loop_profiler.disable()
            measuring.clear()
            assert response.status_code == 200 and len(ROW.findall(response.text)) == ROWS
            return elapsed

    try:
        plain = asyncio.run(session(False))
        # anyio keeps its worker threads per event loop: the next loop starts new ones,
        # and every thread started from now on calls the hook first.
        threading.setprofile(start_in_worker)
        try:
            profiled = asyncio.run(session(True))
        finally:
            threading.setprofile(None)
    finally:
        services.close()
    print(f"profile: GET /tasks in process (httpx2 ASGITransport): {plain * 1e3:.2f} ms each, "
          f"{profiled * 1e3:.2f} ms under cProfile; {len(profilers) - 1} worker thread(s)")
    stats = pstats.Stats(profilers[0])
    for profiler in profilers[1:]:
        stats.add(profiler)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(r"/runtime/|jinja2/environment|starlette/temp",
                                               top)


# -- PostgreSQL: two processes, a million cases ----------------------------------------


def process_tree(pid: int) -> list[int]:
    """``pid`` and its server processes (``serve --workers``: multiprocessing children)."""
    found = [pid]
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        with contextlib.suppress(OSError):
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(int(child))
    return found


def rss_mb(pid: int) -> float:
    """Resident memory of one process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def pg_database(server_url: str, size: int, open_cases: int, quick: bool) -> str:
    """A database holding ``size`` bench cases on ``server_url``, built unless cached."""
    import psycopg
    from pgcases import build_postgres
    from psycopg import sql

    from runtime.engine import CHINA_TZ

    name = f"onewindow_bench_{size}"
    url = server_url.rsplit("/", 1)[0] + "/" + name
    wanted = json.dumps({"format": 1, "size": size, "open": open_cases,
                         "department": DEPARTMENT, "ready": ROWS,
                         "catalog": catalog_digest()}, sort_keys=True)
    with psycopg.connect(server_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and quick:
            with psycopg.connect(url) as db:
                marker = db.execute("SELECT to_regclass('bench_built') IS NOT NULL").fetchone()
                built = marker and marker[0] and db.execute(
                    "SELECT facts FROM bench_built").fetchone()
            if built and built[0] == wanted:
                return url
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(
            sql.Identifier(name)))
    print(f"building {size:,} cases ({open_cases:,} open) in PostgreSQL {name} …", flush=True)
    started = time.perf_counter()
    now = datetime.now(CHINA_TZ).replace(microsecond=0)
    build_postgres(url, CATALOG, size, open_cases, department=DEPARTMENT, ready=ROWS, now=now)
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("CREATE TABLE bench_built (facts text)")
        db.execute("INSERT INTO bench_built VALUES (%s)", (wanted,))
        row = db.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()
    print(f"built in {time.perf_counter() - started:.0f} s ({row[0] if row else '?'})",
          flush=True)
    return url


def pg_reviewer(url: str, folder: Path) -> tuple[str, str]:
    """A fresh reviewer of DEPARTMENT on the database ``url``."""
    from runtime.services.container import Services
    from runtime.settings import Settings

    settings = Settings.load({"data_dir": str(folder), "catalog_dir": str(CATALOG),
                              "database": url}, environ={})
    services = Services.open(settings)
    try:
        name, password = f"bench-{DEPARTMENT}-{secrets.token_hex(4)}", secrets.token_urlsafe(12)
        services.accounts.create_user(name, password, "department", department=DEPARTMENT,
                                      display_name="压测审批员")
    finally:
        services.close()
    return name, password


def pg_load(url: str, workers: int, args: argparse.Namespace) -> dict[str, Any]:
    """Serve the list from ``workers`` processes on ``url`` and load it; with start-up
    time, each process's memory, and the CPU of the server processes per request."""
    with tempfile.TemporaryDirectory(prefix="onewindow-bench-") as folder:
        name, password = pg_reviewer(url, Path(folder))
        port = free_port()
        command = [*app_command(Path(folder), port), "--database", url,
                   "--workers", str(workers)]
        started = time.perf_counter()
        with serving(command, port, "/login") as server:
            startup = time.perf_counter() - started
            cookie = sign_in(port, name, password)
            page = f"http://127.0.0.1:{port}/tasks"
            size = check_page(page, cookie)
            pids = process_tree(server.pid)
            result = load(page, cookie, pids, args)
            result["rss"] = [rss_mb(p) for p in pids[1:]] or [rss_mb(pids[0])]
            result["startup"] = startup
            result["size"] = size
    return result


def run_postgres(server_url: str, args: argparse.Namespace) -> None:
    """The department list on PostgreSQL, ``--workers`` processes, against the bare page
    on as many processes; and the list at ``--small`` stored cases against ``--size``."""
    big = pg_database(server_url, args.size, args.open, args.quick)
    small = pg_database(server_url, args.small, args.open, args.quick) if args.small else None
    load_before = os.getloadavg()[0]
    app = pg_load(big, args.workers, args)
    bare_port = free_port()
    with serving([sys.executable, __file__, "--bare-serve", str(bare_port),
                  "--bare-workers", str(args.workers)], bare_port, "/tasks") as server:
        url = f"http://127.0.0.1:{bare_port}/tasks"
        bare_size = check_page(url, None)
        bare = load(url, None, process_tree(server.pid), args)
    few = pg_load(small, args.workers, args) if small else None
    print(f"load: wrk, {args.connections} connections, {args.threads} thread(s), "
          f"{args.warmup:g} s warm-up + {args.duration:g} s, loopback, {os.cpu_count()} CPUs, "
          f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after; "
          f"{args.workers} server processes each")
    print(describe(f"worklist, {args.size:,} cases", app, app["size"]))
    if few:
        print(describe(f"worklist, {args.small:,} cases", few, few["size"]))
    print(describe("bare    ", bare, bare_size))
    print(f"server processes at {args.size:,} cases: start-up {app['startup']:.1f} s, memory "
          + ", ".join(f"{mb:.0f} MB" for mb in app["rss"]) + " RSS after the load")
    print(f"web (PostgreSQL): worklist {app['rps']:.0f} req/s, bare {bare['rps']:.0f} req/s, "
          f"ratio {app['rps'] / bare['rps']:.2f}, p99 {app['p99'] / 1e3:.1f} ms")
    if few:
        print(f"growth: {args.small:,} -> {args.size:,} cases: {few['rps']:.0f} -> "
              f"{app['rps']:.0f} req/s, {few['rps'] / app['rps']:.2f}x slower; p99 "
              f"{few['p99'] / 1e3:.1f} -> {app['p99'] / 1e3:.1f} ms")


# -- main -----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="reuse the store in bench/out")
    parser.add_argument("--size", type=int, default=100_000, help="cases stored")
    parser.add_argument("--open", type=int, default=3_000, help="cases still running")
    parser.add_argument("--duration", type=float, default=10, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of warm-up")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="then cProfile N requests in process")
    parser.add_argument("--database", metavar="URL",
                        help="PostgreSQL server URL where bench databases may be created")
    parser.add_argument("--throwaway", action="store_true",
                        help="PostgreSQL on a private cluster (tests/pg.py), fsync on")
    parser.add_argument("--workers", type=int, default=2,
                        help="server processes with PostgreSQL (default 2)")
    parser.add_argument("--small", type=int, default=10_000,
                        help="with PostgreSQL, also the list at this many cases (0: skip)")
    parser.add_argument("--bare-serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--bare-workers", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_serve:
        serve_bare(args.bare_serve, args.bare_workers)
        return
    if not 1 <= args.connections <= 256 or not 0 < args.duration <= 120 \
            or not 0 <= args.warmup <= 30:
        sys.exit("keep the load bounded: 1-256 connections, at most 120 s (+30 s warm-up)")
    if args.throwaway:
        from tests.pg import Cluster

        cluster = Cluster(durable=True)
        try:
            run_postgres(cluster.url, args)
        finally:
            cluster.stop()
        return
    if args.database:
        run_postgres(args.database, args)
        return
    built = ensure_store(args.size, args.open, args.quick)
    path = data_dir(args.size)
    name, password = make_reviewer(path)
    print(f"store: {built['size']:,} cases, {built['open']:,} open, built "
          f"{built.get('built_at', '?')}; signed in as {name} ({DEPARTMENT})", flush=True)
    app_port, bare_port = free_port(), free_port()
    load_before = os.getloadavg()[0]
    with serving(app_command(path, app_port), app_port, "/login") as server:
        cookie = sign_in(app_port, name, password)
        url = f"http://127.0.0.1:{app_port}/tasks"
        app_size = check_page(url, cookie)
        app = load(url, cookie, server.pid, args)
    with serving([sys.executable, __file__, "--bare-serve", str(bare_port)], bare_port,
                 "/tasks") as server:
        url = f"http://127.0.0.1:{bare_port}/tasks"
        bare_size = check_page(url, None)
        bare = load(url, None, server.pid, args)
    if args.profile:
        profile(path, name, password, args.profile, 25)
    print(f"load: wrk, {args.connections} connections, {args.threads} thread(s), "
          f"{args.warmup:g} s warm-up + {args.duration:g} s, loopback, {os.cpu_count()} CPUs, "
          f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    print(describe("worklist", app, app_size))
    print(describe("bare    ", bare, bare_size))
    print(f"server CPU per request: worklist {app['cpu_ms']:.2f} ms, bare {bare['cpu_ms']:.2f} ms, "
          f"ratio {bare['cpu_ms'] / app['cpu_ms']:.2f} (the throughput ratio on an idle machine)")
    print(f"web: worklist {app['rps']:.0f} req/s, bare {bare['rps']:.0f} req/s, "
          f"ratio {app['rps'] / bare['rps']:.2f}, p99 {app['p99'] / 1e3:.1f} ms")


if __name__ == "__main__":
    main()
