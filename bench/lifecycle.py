"""Benchmark: one case lifecycle run by onewindow and by SpiffWorkflow 3.x, persisted
after every action and reloaded before the next, as a stateless web app does.

The process: one step, then four parallel steps (four departments), then a final step.

* onewindow: the pure engine over the durable `TinyDBStore` (runtime/store). Every
  action is one batch, exactly like the service layer: ``tx.get_case`` → engine →
  ``tx.put_case(expected_rev=…)``, durable (fsynced) before ``write()`` returns; after
  each round the case is read again (``store.get_case``) to find the ready tasks.
  The actions are submit, accept (numbered from a store sequence), claim + approve
  per task, deliver. Two runs on fresh stores:

  - sequential: one case after the other, one thread (every batch pays its fsync);
  - concurrent: ``--in-flight`` cases open at once, their requests (actions and
    reloads) run by a pool of threads as a web server's are (uvicorn runs sync
    service calls in a threadpool): once with as many threads as cases, once with
    ``--threads``; the store shares fsyncs between them (group commit).

* SpiffWorkflow: the same shape as BPMN (built below: user tasks and parallel
  gateways), serialised to JSON after each completed user task and deserialised
  before the next one (in memory: Spiff is not charged any disk I/O).

    .venv/bin/python bench/lifecycle.py [--cases N] [--in-flight N] [--threads T]
                                        [--spiff-cases N]
                                        [--database URL | --throwaway]
                                        [--data-dir DIR] [--departments K]
                                        [--profile | --breakdown | --copies]

``--profile`` prints cProfile's top functions of the sequential run; ``--breakdown``
times the phases of a persisted action instead (engine, read copy, diff, encoding,
indexing, commit) on a fresh store; ``--copies`` times ways of copying a case.
``--departments K`` gives each parallel step K departments (会签; the BPMN then
splits each branch into K user tasks).
``--database URL`` (an empty database) or ``--throwaway`` (a private cluster, fsync on)
runs the concurrent lifecycle instead on PostgreSQL with two processes (half the cases in
flight each), writing each case's statistics rows as the server does, against the
embedded store on one process, same run (and on PostgreSQL once more without the
statistics rows, to show what they cost); its last line is
``lifecycle: PostgreSQL (2 processes) X cases/s, embedded (1 process) Y cases/s, ratio R``.
``--data-dir`` chooses where the store's journal lives (default: a temporary
directory in the system temp dir, i.e. a real disk with a real fsync). The last line is
``lifecycle: onewindow X cases/s, SpiffWorkflow Y cases/s, ratio R`` with X the
concurrent durable figure on ``--threads`` threads (the line before it says so and
gives the figure on one thread per case too).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import multiprocessing
import pstats
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from builder.spec import Certificate, Material, MatterSpec, Need, Step
from runtime import engine
from runtime.engine import CHINA_TZ, Actor, Role, WorkCalendar
from runtime.services import LIFECYCLE
from runtime.store import Store, TinyDBStore, WriteBatch
from runtime.store.index import dumps

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=CHINA_TZ)
LICENSE_NO = "91110000MA01ABCD2Q"
PARALLEL = 4
Case = dict[str, Any]


# -- onewindow -------------------------------------------------------------------

def bench_matter(departments: int) -> MatterSpec:
    """first -> p1..p4 (each with ``departments`` departments) -> final."""
    licence = {"type": "object", "required": ["license_no"],
               "properties": {"license_no": {"type": "string", "pattern": "^[0-9A-Z]{18}$"}}}
    steps = [Step("first", "营业执照核发", ("amr",), 1, form=licence, outputs=("license_no",),
                  certificate=Certificate("营业执照", "license_no"))]
    steps += [Step(f"p{i}", f"并联环节{i}",
                   tuple(f"d{i}" if k == 0 else f"d{i}x{k}" for k in range(departments)), 1,
                   needs=(Need("first"),)) for i in range(1, PARALLEL + 1)]
    steps.append(Step("final", "办结", ("amr",), 1,
                      needs=tuple(Need(f"p{i}") for i in range(1, PARALLEL + 1))))
    form = {"type": "object", "required": ["company_name"],
            "properties": {"company_name": {"type": "string", "maxLength": 100},
                           "registered_capital": {"type": "number", "minimum": 0}}}
    return MatterSpec(id="bench", name="基准事项", version=1, lead="amr", time_limit=5,
                      statutory_limit=20, notice="", form=form, ui={},
                      materials=(Material("id-card", "法定代表人身份证"),), steps=tuple(steps))


class OneWindow:
    """Runs cases through the engine and the durable store, one batch per action."""

    def __init__(self, store: Store, matter: MatterSpec) -> None:
        self.store = store
        self.matter = matter
        self.calendar = WorkCalendar()
        self.applicant = Actor("u_app", Role.APPLICANT, None, "申请人")
        self.window = Actor("u_win", Role.WINDOW, None, "综合窗口")
        self.actions = 0  # persisted actions, counted by every thread
        self._counting = threading.Lock()

    def _count(self) -> None:
        with self._counting:
            self.actions += 1

    def _act(self, case_id: str, action: Callable[[Case, WriteBatch], Case]) -> Case:
        """Read, compute, write in one durable batch, as the services do."""
        with self.store.write() as tx:
            case = tx.get_case(case_id)
            assert case is not None
            new = action(case, tx)
            new["rev"] = tx.put_case(new, expected_rev=case["rev"])
        self._count()
        return new

    def run_case(self, n: int) -> None:
        """One whole lifecycle, every action persisted and reloaded."""
        for _ in self.requests(n):
            pass

    def requests(self, n: int) -> Iterator[None]:
        """One whole lifecycle as web requests: each ``next`` does one (an action, or
        the reload that shows which tasks are ready), so a driver can interleave
        cases request by request, as a server's threadpool does."""
        m, cal, window = self.matter, self.calendar, self.window
        case = engine.new_case(m, self.applicant, NOW, materials={"id-card": [f"f{n}"]},
                               data={"company_name": f"成都第{n}科技有限公司",
                                     "registered_capital": 1_000_000})
        case_id = case["id"]
        with self.store.write() as tx:
            tx.put_case(case, expected_rev=0)
        self._count()
        yield
        self._act(case_id, lambda c, _: engine.submit(c, m, self.applicant, NOW))
        yield
        self._act(case_id, lambda c, tx: engine.accept(
            c, m, window, NOW, number=f"BN{tx.next_sequence('bench'):08d}", calendar=cal))
        yield
        while True:
            case = self.store.get_case(case_id) or {}
            ready = [t for t in case["tasks"] if t["status"] == "ready"]
            if not ready:
                break
            for task in ready:  # the task's department claims it, then approves it
                self._decide(case_id, task, "claim")
                yield
                self._decide(case_id, task, "approve")
                yield
        case = self._act(case_id, lambda c, _: engine.deliver(c, m, window, NOW))
        assert case["status"] == "delivered" and case["certificates"], case["status"]

    def _decide(self, case_id: str, task: Case, how: str) -> None:
        """The task's department claims or approves it (one request)."""
        m, who, tid = self.matter, Actor("u", Role.DEPARTMENT, task["department"]), task["id"]
        if how == "claim":
            self._act(case_id, lambda c, _: engine.claim(c, m, who, NOW, tid))
            return
        data = {"license_no": LICENSE_NO} if task["step"] == "first" else None
        self._act(case_id, lambda c, _: engine.approve(c, m, who, NOW, tid,
                                                       calendar=self.calendar, data=data))


def engine_only(matter: MatterSpec, cases: int, round_trip: bool = False) -> float:
    """cases/s of the engine alone, the case kept in memory between actions; with
    ``round_trip``, serialised to JSON and parsed back after each (Spiff's mode)."""
    cal = WorkCalendar()
    keep: Callable[[Case], Case] = (lambda c: json.loads(dumps(c))) if round_trip else (
        lambda c: c)
    applicant = Actor("u_app", Role.APPLICANT)
    window = Actor("u_win", Role.WINDOW)
    start = time.perf_counter()
    for n in range(cases):
        case = keep(engine.new_case(matter, applicant, NOW, data={"company_name": "甲"},
                                    materials={"id-card": ["f"]}))
        case = keep(engine.submit(case, matter, applicant, NOW))
        case = keep(engine.accept(case, matter, window, NOW, number=f"E{n}", calendar=cal))
        while ready := [t for t in case["tasks"] if t["status"] == "ready"]:
            for task in ready:
                who = Actor("u", Role.DEPARTMENT, task["department"])
                data = {"license_no": LICENSE_NO} if task["step"] == "first" else None
                case = keep(engine.claim(case, matter, who, NOW, task["id"]))
                case = keep(engine.approve(case, matter, who, NOW, task["id"], calendar=cal,
                                           data=data))
        case = keep(engine.deliver(case, matter, window, NOW))
    return cases / (time.perf_counter() - start)


def run_onewindow(
    cases: int, departments: int, data_dir: Path, in_flight: int = 1, threads: int = 1
) -> tuple[float, int, int, float]:
    """(cases/s, persisted actions per case, bytes of the final case JSON, batches per
    fsync). With ``in_flight`` > 1, that many cases are open at once and their
    requests are run by a pool of ``threads`` threads."""
    store = TinyDBStore(data_dir, lifecycle=LIFECYCLE)
    try:
        runner = OneWindow(store, bench_matter(departments))
        runner.run_case(-1)  # warm-up: validators, calendar year
        runner.actions = 0
        before = store.stats()
        start = time.perf_counter()
        if in_flight == 1:
            for n in range(cases):
                runner.run_case(n)
        else:
            _interleave(runner, cases, in_flight, threads)
        rate = cases / (time.perf_counter() - start)
        after = store.stats()
        shared = (after["batches"] - before["batches"]) / max(1, after["fsyncs"] - before["fsyncs"])
        last = store.list_cases(limit=1)[0]
        return rate, runner.actions // cases, len(dumps(last).encode()), shared
    finally:
        store.close()


def _interleave(runner: OneWindow, cases: int, in_flight: int, threads: int) -> None:
    """Run ``cases`` lifecycles, ``in_flight`` at a time, request by request on a pool
    of ``threads`` threads (a case's next request is queued when its last is done)."""
    numbers = iter(range(cases))
    lock = threading.Lock()
    finished = threading.Event()
    state = {"left": cases}
    failures: list[BaseException] = []

    def step(pool: ThreadPoolExecutor, requests: Iterator[None]) -> None:
        try:
            next(requests)
        except StopIteration:
            with lock:
                state["left"] -= 1
                n = next(numbers, None)
                if not state["left"]:
                    finished.set()
            if n is not None:
                pool.submit(step, pool, runner.requests(n))
            return
        except BaseException as err:
            failures.append(err)
            finished.set()
            raise
        pool.submit(step, pool, requests)

    with ThreadPoolExecutor(threads) as pool:
        for n in [next(numbers) for _ in range(min(in_flight, cases))]:
            pool.submit(step, pool, runner.requests(n))
        finished.wait()
    if failures:
        raise failures[0]


def breakdown(cases: int, departments: int, data_dir: Path) -> None:
    """Print where a persisted action's time goes: wall time per phase, per action.

    Wraps the engine's actions and the store's steps with timers (nested phases are
    indented and included in their parent); a timer costs ~0.3 µs per call.
    """
    from runtime.store import batch, commit, core, tinydb_store

    spent: dict[str, float] = {}

    def timed(owner: Any, name: str, label: str) -> None:
        inner = getattr(owner, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - started

        setattr(owner, name, wrapper)

    phases = [
        (engine, "submit", "engine actions"), (engine, "accept", "engine actions"),
        (engine, "claim", "engine actions"), (engine, "approve", "engine actions"),
        (engine, "deliver", "engine actions"),
        (core.IndexedStore, "get_case", "read: a fresh copy (store.get_case, tx.get_case)"),
        (batch.Batch, "put_case", "put_case"),
        (batch, "diff", "  diff against the cached version"),
        (batch, "dumps", "  JSON encoding (delta, or full image)"),
        (batch.json, "loads", "  JSON parse of the delta (the version as a reopen sees it)"),
        (batch, "case_facts", "  checks + worklist/summary JSON (changed tasks only)"),
        (core.IndexedStore, "_append", "append: frame encoding, pending overlay"),
        (commit.GroupCommit, "wait", "commit: write + fdatasync (leader), publish to indexes"),
        (tinydb_store.TinyDBStore, "_sync", "  write + fdatasync"),
        (core.IndexedStore, "_publish", "  publish: indexes, worklists, cache"),
    ]
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in phases]
    for owner, name, label in phases:
        timed(owner, name, label)
    store = TinyDBStore(data_dir, lifecycle=LIFECYCLE)
    try:
        runner = OneWindow(store, bench_matter(departments))
        runner.run_case(-1)
        runner.actions = 0
        spent.clear()
        start = time.perf_counter()
        for n in range(cases):
            runner.run_case(n)
        total = time.perf_counter() - start
        actions = runner.actions
    finally:
        store.close()
        for owner, name, inner in originals:
            setattr(owner, name, inner)
    print(f"breakdown: {cases} cases, {actions} actions, {total / actions * 1e6:.0f} µs per "
          f"persisted action ({cases / total:.0f} cases/s), store in {data_dir}")
    print(f"  {'phase':62s} {'µs/action':>9s} {'share':>6s}")
    seen: set[str] = set()
    for _, _, label in phases:
        if label not in seen:
            seen.add(label)
            share = spent.get(label, 0.0) / total
            print(f"  {label:62s} {spent.get(label, 0.0) / actions * 1e6:9.1f} {share:6.1%}")
    top = sum(v for k, v in spent.items() if not k.startswith(" "))
    print(f"  {'rest (bench loop, batch bookkeeping, locks, GC)':62s} "
          f"{(total - top) / actions * 1e6:9.1f} {(total - top) / total:6.1%}")


def copies(departments: int, data_dir: Path) -> None:
    """Time the ways a store can hand out a fresh copy of the final (largest) case."""
    import copy
    import marshal
    import pickle
    import timeit

    from runtime.engine.events import clone

    store = TinyDBStore(data_dir, lifecycle=LIFECYCLE)
    try:
        runner = OneWindow(store, bench_matter(departments))
        runner.run_case(0)  # then reopen it: an open case at its largest
        case = store.list_cases(limit=1)[0]
        case["status"] = "in_progress"
        with store.write() as tx:
            tx.put_case(case, expected_rev=case["rev"])
        text = dumps(store.get_case(case["id"]))
        kept = json.loads(text)
        blob = marshal.dumps(kept)
        ways: list[tuple[str, Callable[[], Any]]] = [
            ("copy.deepcopy", lambda: copy.deepcopy(kept)),
            ("structural copy (engine's clone)", lambda: clone(kept)),
            ("JSON round trip (dumps + loads)", lambda: json.loads(dumps(kept))),
            ("JSON loads of kept text (the old store's read)", lambda: json.loads(text)),
            ("pickle round trip", lambda: pickle.loads(pickle.dumps(kept, 5))),
            ("marshal round trip (dumps + loads)", lambda: marshal.loads(marshal.dumps(kept))),
            ("marshal loads of kept bytes", lambda: marshal.loads(blob)),
            ("the store's get_case (cached version)", lambda: store.get_case(case["id"])),
        ]
        print(f"copies of a {len(text.encode())}-byte case ({len(kept['events'])} events), "
              "best of 5:")
        for label, way in ways:
            best = min(timeit.repeat(way, number=200, repeat=5)) / 200
            print(f"  {label:50s} {best * 1e6:7.1f} µs")
    finally:
        store.close()


# -- SpiffWorkflow ------------------------------------------------------------------

def spiff_bpmn(departments: int) -> str:
    """The same process as BPMN 2.0: user tasks joined by parallel gateways."""
    nodes: list[str] = ['<bpmn:startEvent id="start"/>', '<bpmn:userTask id="first"/>',
                        '<bpmn:parallelGateway id="split"/>', '<bpmn:parallelGateway id="join"/>',
                        '<bpmn:userTask id="final"/>', '<bpmn:endEvent id="end"/>']
    flows: list[tuple[str, str]] = [("start", "first"), ("first", "split"), ("join", "final"),
                                    ("final", "end")]
    for i in range(1, PARALLEL + 1):
        if departments == 1:
            nodes.append(f'<bpmn:userTask id="p{i}"/>')
            flows += [("split", f"p{i}"), (f"p{i}", "join")]
            continue
        nodes += [f'<bpmn:parallelGateway id="p{i}_split"/>',
                  f'<bpmn:parallelGateway id="p{i}_join"/>']
        flows += [("split", f"p{i}_split"), (f"p{i}_join", "join")]
        for k in range(departments):
            nodes.append(f'<bpmn:userTask id="p{i}_d{k}"/>')
            flows += [(f"p{i}_split", f"p{i}_d{k}"), (f"p{i}_d{k}", f"p{i}_join")]
    sequence = "".join(f'<bpmn:sequenceFlow id="f{n}" sourceRef="{a}" targetRef="{b}"/>'
                       for n, (a, b) in enumerate(flows))
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            'id="lifecycle-defs" targetNamespace="https://example.org/onewindow">'
            '<bpmn:process id="lifecycle" isExecutable="true">'
            + "".join(nodes) + sequence + "</bpmn:process></bpmn:definitions>")


def run_spiff(cases: int, departments: int) -> tuple[float, int, int]:
    """(cases/s, persisted steps per case, bytes of the final workflow JSON)."""
    from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
    from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.util.task import TaskState

    parser = BpmnParser()
    parser.add_bpmn_str(spiff_bpmn(departments).encode())
    spec = parser.get_spec("lifecycle")
    serializer = BpmnWorkflowSerializer()
    saves = 0
    size = 0

    def one(n: int) -> None:
        nonlocal saves, size
        workflow = BpmnWorkflow(spec)
        workflow.data.update({"company_name": f"成都第{n}科技有限公司", "materials": ["f"]})
        workflow.do_engine_steps()
        state = serializer.serialize_json(workflow)
        saves += 1
        while True:
            workflow = serializer.deserialize_json(state)
            task = workflow.get_next_task(state=TaskState.READY, manual=True)
            if task is None:
                break
            task.data["decision"] = {"result": "approved", "by": "u"}
            if task.task_spec.name == "first":
                task.data["license_no"] = LICENSE_NO
            task.run()
            workflow.do_engine_steps()
            state = serializer.serialize_json(workflow)
            saves += 1
        assert workflow.is_completed()
        size = len(state.encode())

    one(-1)
    saves = 0
    start = time.perf_counter()
    for n in range(cases):
        one(n)
    return cases / (time.perf_counter() - start), saves // cases, size


# -- PostgreSQL: two processes against the embedded store on one -------------------

class _OneMatter:
    """The one matter the bench runs, as the statistics projector asks for it."""

    def __init__(self, spec: MatterSpec) -> None:
        self.spec = spec

    def version(self, matter: str, version: int) -> MatterSpec:
        return self.spec


def _postgres_share(url: str, cases: int, departments: int, in_flight: int, threads: int,
                    statistics: bool, ready: Any, go: Any, done: Any) -> None:
    """One server process's share of the cases on PostgreSQL (run in a child process)."""
    from runtime.services.stat_projection import Projector
    from runtime.store.postgres import PostgresStore

    store = PostgresStore(url, pool_size=threads, lifecycle=LIFECYCLE)
    try:
        runner = OneWindow(store, bench_matter(departments))
        if statistics:  # as the server does: each case's statistics rows with it
            only = _OneMatter(runner.matter)
            store.install_projector(Projector(only, runner.calendar), "bench")  # type: ignore[arg-type]
        runner.run_case(-1)  # warm-up, as in the embedded run
        ready.set()
        go.wait()
        _interleave(runner, cases, in_flight, threads)
        done.put(runner.actions)
    finally:
        store.close()


def run_postgres(url: str, cases: int, departments: int, in_flight: int, threads: int,
                 processes: int = 2, *, statistics: bool = True) -> float:
    """cases/s of ``processes`` processes sharing ``cases`` on one PostgreSQL database,
    each with its share of the cases in flight on its own threads."""
    context = multiprocessing.get_context("spawn")
    go, done = context.Event(), context.Queue()
    readies, children = [], []
    for k in range(processes):
        ready = context.Event()
        share = cases // processes + (1 if k < cases % processes else 0)
        child = context.Process(target=_postgres_share, args=(
            url, share, departments, max(1, in_flight // processes), threads, statistics,
            ready, go, done))
        child.start()
        readies.append(ready)
        children.append(child)
    for ready in readies:
        if not ready.wait(120):
            sys.exit("a PostgreSQL bench process did not start")
    start = time.perf_counter()
    go.set()
    for _ in children:
        done.get(timeout=3600)
    elapsed = time.perf_counter() - start
    for child in children:
        child.join()
        if child.exitcode:
            sys.exit(f"a PostgreSQL bench process failed ({child.exitcode})")
    return cases / elapsed


def compare_postgres(url: str, args: argparse.Namespace) -> None:
    """The lifecycle on PostgreSQL with two processes against the embedded store on
    one process, same run, same cases in flight and threads per process."""
    with tempfile.TemporaryDirectory(prefix="onewindow-bench-", dir=args.data_dir) as tmp:
        embedded, _, _, shared = run_onewindow(args.cases, args.departments, Path(tmp),
                                               in_flight=args.in_flight, threads=args.threads)
    pg = run_postgres(url, args.cases, args.departments, args.in_flight, args.threads)
    bare = run_postgres(url, args.cases, args.departments, args.in_flight, args.threads,
                        statistics=False)
    print(f"embedded store, 1 process: {embedded:.0f} cases/s ({args.in_flight} in flight, "
          f"{args.threads} threads, {shared:.1f} batches per fsync)")
    print(f"PostgreSQL, 2 processes: {pg:.0f} cases/s ({args.in_flight // 2} in flight and "
          f"{args.threads} threads each)")
    print(f"PostgreSQL without the statistics projection (stat_facts and its roll-up): "
          f"{bare:.0f} cases/s; with it {pg:.0f} cases/s, ratio {pg / bare:.2f}")
    print(f"lifecycle: PostgreSQL (2 processes) {pg:.0f} cases/s, embedded (1 process) "
          f"{embedded:.0f} cases/s, ratio {pg / embedded:.2f}")


# -- main ---------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> None:
    """Run both, print the details and the summary line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=300, help="onewindow cases (per run)")
    parser.add_argument("--in-flight", type=int, default=32,
                        help="cases open at once in the concurrent run (default 32)")
    parser.add_argument("--threads", type=int, default=8,
                        help="threads running their requests (default 8; also timed: as many "
                             "threads as cases in flight)")
    parser.add_argument("--spiff-cases", type=int, default=100, help="SpiffWorkflow cases")
    parser.add_argument("--departments", type=int, default=1,
                        help="departments per parallel step (default 1)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="where the store lives (default: a temporary directory)")
    parser.add_argument("--profile", action="store_true", help="profile the onewindow run")
    parser.add_argument("--breakdown", action="store_true",
                        help="only time the phases of a persisted action, then stop")
    parser.add_argument("--copies", action="store_true",
                        help="only time ways of copying the largest case, then stop")
    parser.add_argument("--database", metavar="URL",
                        help="compare PostgreSQL (2 processes) with the embedded store (1)")
    parser.add_argument("--throwaway", action="store_true",
                        help="the same on a private PostgreSQL cluster (tests/pg.py), fsync on")
    args = parser.parse_args(argv)
    if args.throwaway:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from tests.pg import Cluster, Server

        cluster = Cluster(durable=True)
        try:
            compare_postgres(Server(cluster.url).create(empty=True), args)
        finally:
            cluster.stop()
        return
    if args.database:
        compare_postgres(args.database, args)
        return
    if args.breakdown or args.copies:
        with tempfile.TemporaryDirectory(prefix="onewindow-bench-", dir=args.data_dir) as tmp:
            if args.breakdown:
                breakdown(args.cases, args.departments, Path(tmp))
            else:
                copies(args.departments, Path(tmp))
        return

    matter = bench_matter(args.departments)
    tasks = 2 + PARALLEL * args.departments
    with tempfile.TemporaryDirectory(prefix="onewindow-bench-", dir=args.data_dir) as tmp:
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
        seq, ow_actions, ow_bytes, _ = run_onewindow(
            args.cases, args.departments, Path(tmp) / "sequential")
        if args.profile:
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(25)
        conc, _, _, shared = run_onewindow(args.cases, args.departments, Path(tmp) / "pool",
                                           in_flight=args.in_flight, threads=args.threads)
        wide, _, _, wide_shared = run_onewindow(
            args.cases, args.departments, Path(tmp) / "wide",
            in_flight=args.in_flight, threads=args.in_flight)
    alone = engine_only(matter, args.cases)
    in_json = engine_only(matter, args.cases, round_trip=True)
    spiff, spiff_saves, spiff_bytes = run_spiff(args.spiff_cases, args.departments)
    print(f"process: 1 step -> {PARALLEL} parallel steps x {args.departments} department(s)"
          f" -> 1 step ({tasks} tasks); {ow_actions} durable batches/case, final case "
          f"{ow_bytes} bytes of JSON; store in {tmp}")
    print(f"onewindow sequential (1 thread, one fsync per batch): {seq:.0f} cases/s")
    print(f"onewindow engine alone (no store): {alone:.0f} cases/s; with a JSON round trip "
          f"per action instead of the store (Spiff's mode): {in_json:.0f} cases/s")
    print(f"SpiffWorkflow {version('SpiffWorkflow')}: {spiff:.1f} cases/s, {spiff_saves} "
          f"JSON saves/case (in memory, no disk I/O), final workflow {spiff_bytes} bytes of JSON")
    print(f"onewindow concurrent, {args.in_flight} cases in flight: requests on "
          f"{args.in_flight} threads {wide:.0f} cases/s ({wide_shared:.1f} batches per fsync); "
          f"on {args.threads} threads {conc:.0f} cases/s ({shared:.1f} batches per fsync) "
          "-- the figure below")
    print(f"lifecycle: onewindow {conc:.0f} cases/s, SpiffWorkflow {spiff:.0f} cases/s, "
          f"ratio {conc / spiff:.1f}")


if __name__ == "__main__":
    main()
