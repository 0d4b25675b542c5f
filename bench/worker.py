"""Benchmark the worker: 10,000 超时默许 falling due in the same minute (issue 14).

    .venv/bin/python bench/worker.py                  # 10,000 cases, embedded store
    .venv/bin/python bench/worker.py --cases 2000 --idle 5    # a quicker look

A copy of the project catalog in a temporary folder gets one small added matter (its
first step, 意见征询 of the 自然资源和规划局, has a 1-working-day limit and
``on_timeout: consent``; its second step needs the first). ``--cases`` cases of it are
accepted at the same minute, written with the services' own write path
(`Cases.put`: the change, its notifications and its timed jobs in one batch, exactly as
`Cases.accept` schedules them), so every TIMEOUT job falls due in the same second.

Then, in ONE process (the embedded store is held by one process), the app is served
exactly as ``onewindow serve`` serves it (`create_app` under uvicorn, one worker, on a
thread of this process, its clock frozen before the due time so its own worker loop
finds nothing due); a reviewer of that department signs in through the real login form
and ``wrk`` (Debian package ``wrk``, a separate process) loads that department's task
list (GET /tasks, the 待签收 tab, its first 200 rows):

1. idle: ``--idle`` seconds of load with nothing else running;
2. under load: the same load while `Worker.run_once(now=due + 1 min)` runs on another
   thread of the server's process (as ``serve``'s own loop runs it, in a worker
   thread); wrk is stopped (SIGINT: it still reports) the moment run_once returns, so
   every measured request overlapped the worker.

Afterwards every case is checked (its 意见征询 task consented by the system, its second
step ready), the TIMEOUT jobs are all gone, and the notifications the worker wrote
are counted by reading them back through the store. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from web import WRK_REPORT, free_port, sign_in  # noqa: E402

MATTER = "bench-consent"
DEPARTMENT = "nr"
GOAL_SECONDS = 60.0
MATTER_YAML = """\
# 压测用事项（bench/worker.py）：意见征询 1 个工作日内未提出意见的视为同意（超时默许）。
id: bench-consent
name: 户外广告设施设置意见征询（压测）
version: 1
category: 压测
lead: nr
time_limit: 3
statutory_limit: 20
notice: |
  压测用事项。
conditions: |
  压测用事项。
form:
  type: object
  title: 申请表
  required: [site]
  properties:
    site:
      type: string
      title: 设置地点
      maxLength: 100
materials:
  - id: site-plan
    name: 设置位置示意图
    accept: [pdf, jpg, jpeg, png]
steps:
  - id: opinion
    name: 意见征询
    department: nr
    days: 1
    materials: [site-plan]
    on_timeout: consent
    reply_options: [同意, 不同意]
    note: 1 个工作日内未提出意见的视为同意（超时默许）。
  - id: permit
    name: 设置许可决定
    department: nr
    days: 2
    needs: [opinion]
    materials: [site-plan]
"""


class Clock:
    """A clock the benchmark sets (the services read it; nothing waits for real time)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def settings_for(folder: Path) -> Any:
    from runtime.settings import Settings

    return Settings.load({"data_dir": str(folder / "data"),
                          "catalog_dir": str(folder / "catalog")}, environ={})


def accepted_at() -> datetime:
    """10:00 on the first working day after today (China time)."""
    from builder import load_catalog
    from runtime.engine import CHINA_TZ, WorkCalendar

    calendar = WorkCalendar.from_catalog(load_catalog(ROOT / "catalog").calendar)
    day = datetime.now(CHINA_TZ).date() + timedelta(days=1)
    while not calendar.is_workday(day):
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=CHINA_TZ)


def fixed_id(case_id: str, _kind: str) -> str:
    """The case's chosen id (the engine asks for one by kind)."""
    return case_id


def build(folder: Path, count: int, clock: Clock) -> tuple[str, str]:
    """The catalog copy and ``count`` accepted cases; the reviewer's (name, password)."""
    from runtime import engine
    from runtime.engine import Actor, Role
    from runtime.services.cases import NUMBER_DIGITS, new_query_code, task_ids_for
    from runtime.services.container import Services

    shutil.copytree(ROOT / "catalog", folder / "catalog")
    (folder / "catalog" / "matters" / f"{MATTER}.yaml").write_text(MATTER_YAML, "utf-8")
    services = Services.open(settings_for(folder), clock=clock)
    try:
        name, password = "bench-nr-reviewer", "Bench-worker-2026!"
        services.accounts.create_user(name, password, "department", department=DEPARTMENT,
                                      display_name="压测审批员")
        matter = services.matters.current(MATTER)
        applicant = Actor("u_bench_applicant", Role.APPLICANT, None, "张三")
        window = Actor("u_bench_window", Role.WINDOW, None, "综合窗口")
        now = clock()
        key = f"{services.catalog.centre.case_prefix}{now:%Y%m%d}"
        for start in range(0, count, 500):
            with services.store.write() as tx:
                for i in range(start, min(start + 500, count)):
                    case_id = f"c_bench{i:07d}"
                    case = engine.new_case(matter, applicant, now - timedelta(minutes=30),
                                           data={"site": f"锦程路{i}号"},
                                           materials={"site-plan": [f"f_bench{i:07d}"]},
                                           new_id=functools.partial(fixed_id, case_id))
                    case = engine.submit(case, matter, applicant, now - timedelta(minutes=20))
                    number = f"{key}{tx.next_sequence(key):0{NUMBER_DIGITS}d}"
                    case = engine.accept(case, matter, window, now, number=number,
                                         calendar=services.calendar,
                                         new_id=task_ids_for(case_id),
                                         query_code=new_query_code())
                    services.cases.put(tx, case, None, matter)  # with its notices and jobs
    finally:
        services.close()
    return name, password


def wrk_start(url: str, cookie: str, seconds: float, connections: int) -> subprocess.Popen[str]:
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(WRK_REPORT)
    return subprocess.Popen(["wrk", "-H", f"Cookie: ow_session={cookie}", "-t1",
                             f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s",
                             "-s", str(script), url],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wrk_result(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = proc.communicate(timeout=60)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        sys.exit(f"wrk gave no summary:\n{out}\n{err}")
    result: dict[str, Any] = json.loads(lines[-1])
    if result["status_errors"] or result["socket_errors"] or not result["requests"]:
        sys.exit(f"wrk: {result}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--idle", type=float, default=15.0, help="seconds of idle load")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")

    import httpx
    import uvicorn

    from runtime.engine.events import iso
    from runtime.services.container import Services
    from runtime.services.schedule import TIMEOUT
    from runtime.store import JOB_PENDING
    from runtime.web.app import create_app

    folder = Path(tempfile.mkdtemp(prefix="ow-bench-worker-"))
    clock = Clock(accepted_at())
    try:
        began = time.perf_counter()
        name, password = build(folder, args.cases, clock)
        print(f"built {args.cases:,} cases accepted at {clock.now:%Y-%m-%d %H:%M} in "
              f"{time.perf_counter() - began:.1f} s", flush=True)

        settings = settings_for(folder)
        services = Services.open(settings, clock=clock)
        store = services.store
        timeouts = [j for j in store.list_jobs(status=[JOB_PENDING], limit=10 * args.cases)
                    if j["kind"] == TIMEOUT]
        due = {j["run_at"] for j in timeouts}
        assert len(timeouts) == args.cases and len({d[:16] for d in due}) == 1, (len(timeouts),
                                                                               due)
        run_at = datetime.fromisoformat(min(due))
        clock.now = run_at - timedelta(hours=1)  # serving: nothing due yet
        reviewer = next(u for u in store.list_users() if u.get("name") == name)

        port = free_port()
        gc.freeze()  # as `onewindow serve` does
        server = uvicorn.Server(uvicorn.Config(create_app(settings, services), host="127.0.0.1",
                                               port=port, log_level="warning",
                                               proxy_headers=False))
        serving = threading.Thread(target=server.run, daemon=True)
        serving.start()
        while not server.started:
            time.sleep(0.05)
        # The server's own worker loop first runs `Worker.prepare` and the yellow lights
        # of 意见征询 (due before the timeouts): nothing is measured until it is quiet.
        lights = quiet(store, iso(clock.now))
        cookie = sign_in(port, name, password)
        url = f"http://127.0.0.1:{port}/tasks"
        page = httpx.get(url, headers={"cookie": f"ow_session={cookie}"})
        rows = page.text.count("<tr data-task=")
        assert page.status_code == 200 and rows == min(200, args.cases), (page.status_code, rows,
                                                                          page.text[-2000:])
        wrk_result(wrk_start(url, cookie, 5, args.connections))  # warm-up (and prepare())
        idle = wrk_result(wrk_start(url, cookie, args.idle, args.connections))

        load = wrk_start(url, cookie, 600, args.connections)
        time.sleep(1.0)  # wrk connected and loading
        began = time.perf_counter()
        ran = services.worker.run_once(now=run_at + timedelta(minutes=1))
        took = time.perf_counter() - began
        load.send_signal(signal.SIGINT)
        busy = wrk_result(load)
        server.should_exit = True
        serving.join(30)  # the lifespan closes the services (flushes the store)

        services = Services.open(settings, clock=clock)
        try:
            check(services, args.cases)
            written = notices_at(services, [reviewer["id"], "u_bench_applicant"],
                                 iso(run_at + timedelta(minutes=1)), args.cases)
        finally:
            services.close()
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)

    ms = 1e-3
    print(f"before measuring: the server's worker loop ran its start-up and the jobs due "
          f"before the timeouts ({lights:,} jobs left pending, none due)")
    print(f"run_once: {ran:,} jobs in {took:.1f} s ({ran / took:,.0f} jobs/s); notifications "
          f"written at the timeouts' moment, read back: "
          + ", ".join(f"{n:,} {kind}" for kind, n in sorted(written.items())))
    for label, r in (("idle", idle), ("under load", busy)):
        print(f"GET /tasks {label}: {r['requests']:,} requests in "
              f"{r['duration_us'] / 1e6:.1f} s, p50 {r['p50'] * ms:.1f} ms, "
              f"p99 {r['p99'] * ms:.1f} ms, max {r['max'] * ms:.1f} ms "
              f"({args.connections} connections)")
    ratio = busy["p99"] / idle["p99"]
    print(f"worker: {args.cases:,} timeouts applied in {took:.1f} s (goal {GOAL_SECONDS:.0f} s); "
          f"list p99 idle {idle['p99'] * ms:.1f} ms, under load {busy['p99'] * ms:.1f} ms, "
          f"ratio {ratio:.2f} (goal ≤ 2)")


def quiet(store: Any, now: str, settle: float = 3.0, longest: float = 900.0) -> int:
    """Wait until no pending job is due at ``now`` and the job count has not moved for
    ``settle`` seconds; the pending jobs then."""
    from runtime.store import JOB_PENDING

    deadline, last, since = time.monotonic() + longest, -1, time.monotonic()
    while time.monotonic() < deadline:
        count = store.count_jobs()
        first = store.list_jobs(status=[JOB_PENDING], limit=1)
        if count != last or (first and first[0]["run_at"] <= now):
            last, since = count, time.monotonic()
        elif time.monotonic() - since >= settle:
            return int(store.count_jobs(status=[JOB_PENDING]))
        time.sleep(0.5)
    sys.exit(f"the server's worker loop was not quiet within {longest:.0f} s")


def notices_at(services: Any, people: list[str], at: str, count: int) -> Counter[str]:
    """The notifications of ``people`` stamped ``at`` (the worker's moment), per kind."""
    found: Counter[str] = Counter()
    for person in people:
        for notice in services.store.list_notices(person, limit=10 * count):
            if notice["at"] == at:
                found[notice["kind"]] += 1
    return found


def check(services: Any, count: int) -> None:
    """Every case moved on: 意见征询 approved by timeout (超时默许), the next step ready; no
    TIMEOUT job left."""
    from runtime.services.schedule import TIMEOUT

    moved = 0
    for offset in range(0, count, 500):
        for case in services.store.list_cases(limit=500, offset=offset):
            if not case["id"].startswith("c_bench"):
                continue
            status = {t["step"]: t["status"] for t in case["tasks"]}
            opinion = next(t for t in case["tasks"] if t["step"] == "opinion")
            assert status == {"opinion": "approved", "permit": "ready"} \
                and opinion["decision"].get("by_timeout"), (case["id"], status, opinion)
            moved += 1
    assert moved == count, (moved, count)
    left = [j for j in services.store.list_jobs(limit=10 * count) if j["kind"] == TIMEOUT]
    assert not left, left[:3]


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
