"""Benchmark: one case lifecycle run by onewindow and by SpiffWorkflow 3.x, persisted
after every action and reloaded before the next, as a stateless web app does.

The process: one step, then four parallel steps (four departments), then a final step.

* onewindow: the pure engine over the durable `TinyDBStore` (runtime/store). Every
  action is one batch, exactly like the service layer: ``tx.get_case`` → engine →
  ``tx.put_case(expected_rev=…)``, fsynced before the next action. The actions are
  submit, accept (numbered from a store sequence), claim + approve per task, deliver.
* SpiffWorkflow: the same shape as BPMN (built below: user tasks and parallel
  gateways), serialised to JSON after each completed user task and deserialised
  before the next one (in memory: Spiff is not charged any disk I/O).

    .venv/bin/python bench/lifecycle.py [--cases N] [--spiff-cases N] [--data-dir DIR]
                                        [--departments K] [--profile]

``--departments K`` gives each parallel step K departments (会签; the BPMN then
splits each branch into K user tasks). ``--data-dir`` chooses where the store's
journal lives (default: a temporary directory in the system temp dir, i.e. a real
disk with a real fsync). The last line is
``lifecycle: onewindow X cases/s, SpiffWorkflow Y cases/s, ratio R``.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from builder.spec import Certificate, Material, MatterSpec, Need, Step
from runtime import engine
from runtime.engine import CHINA_TZ, Actor, Role, WorkCalendar
from runtime.store import TinyDBStore, WriteBatch
from runtime.store.index import dumps

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=CHINA_TZ)
LICENSE_NO = "91110000MA01ABCD2X"
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

    def __init__(self, store: TinyDBStore, matter: MatterSpec) -> None:
        self.store = store
        self.matter = matter
        self.calendar = WorkCalendar()
        self.applicant = Actor("u_app", Role.APPLICANT, None, "申请人")
        self.window = Actor("u_win", Role.WINDOW, None, "综合窗口")
        self.actions = 0

    def _act(self, case_id: str, action: Callable[[Case, WriteBatch], Case]) -> Case:
        """Read, compute, write in one durable batch, as the services do."""
        with self.store.write() as tx:
            case = tx.get_case(case_id)
            assert case is not None
            new = action(case, tx)
            new["rev"] = tx.put_case(new, expected_rev=case["rev"])
        self.actions += 1
        return new

    def run_case(self, n: int) -> None:
        """One whole lifecycle, every action persisted and reloaded."""
        m, cal, window = self.matter, self.calendar, self.window
        case = engine.new_case(m, self.applicant, NOW, materials={"id-card": [f"f{n}"]},
                               data={"company_name": f"成都第{n}科技有限公司",
                                     "registered_capital": 1_000_000})
        case_id = case["id"]
        with self.store.write() as tx:
            tx.put_case(case, expected_rev=0)
        self.actions += 1
        self._act(case_id, lambda c, _: engine.submit(c, m, self.applicant, NOW))
        self._act(case_id, lambda c, tx: engine.accept(
            c, m, window, NOW, number=f"BN{tx.next_sequence('bench'):08d}", calendar=cal))
        while True:
            case = self.store.get_case(case_id) or {}
            ready = [t for t in case["tasks"] if t["status"] == "ready"]
            if not ready:
                break
            for task in ready:
                self._decide(case_id, task)
        case = self._act(case_id, lambda c, _: engine.deliver(c, m, window, NOW))
        assert case["status"] == "delivered" and case["certificates"], case["status"]

    def _decide(self, case_id: str, task: Case) -> None:
        """The task's department claims it, then approves it: two requests."""
        m, who, tid = self.matter, Actor("u", Role.DEPARTMENT, task["department"]), task["id"]
        data = {"license_no": LICENSE_NO} if task["step"] == "first" else None
        self._act(case_id, lambda c, _: engine.claim(c, m, who, NOW, tid))
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


def run_onewindow(cases: int, departments: int, data_dir: Path) -> tuple[float, int, int]:
    """(cases/s, persisted actions per case, bytes of the final case JSON)."""
    store = TinyDBStore(data_dir)
    try:
        runner = OneWindow(store, bench_matter(departments))
        runner.run_case(-1)  # warm-up: validators, calendar year
        runner.actions = 0
        start = time.perf_counter()
        for n in range(cases):
            runner.run_case(n)
        rate = cases / (time.perf_counter() - start)
        last = store.list_cases(limit=1)[0]
        return rate, runner.actions // cases, len(dumps(last).encode())
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


# -- main ---------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> None:
    """Run both, print the details and the summary line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=300, help="onewindow cases")
    parser.add_argument("--spiff-cases", type=int, default=100, help="SpiffWorkflow cases")
    parser.add_argument("--departments", type=int, default=1,
                        help="departments per parallel step (default 1)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="where the store lives (default: a temporary directory)")
    parser.add_argument("--profile", action="store_true", help="profile the onewindow run")
    args = parser.parse_args(argv)

    matter = bench_matter(args.departments)
    tasks = 2 + PARALLEL * args.departments
    with tempfile.TemporaryDirectory(prefix="onewindow-bench-", dir=args.data_dir) as tmp:
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
        ow, ow_actions, ow_bytes = run_onewindow(args.cases, args.departments, Path(tmp))
        if args.profile:
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(25)
    alone = engine_only(matter, args.cases)
    in_json = engine_only(matter, args.cases, round_trip=True)
    spiff, spiff_saves, spiff_bytes = run_spiff(args.spiff_cases, args.departments)
    print(f"process: 1 step -> {PARALLEL} parallel steps x {args.departments} department(s)"
          f" -> 1 step ({tasks} tasks)")
    print(f"onewindow: {ow:.0f} cases/s, {ow_actions} durable batches/case (fsync each), "
          f"final case {ow_bytes} bytes of JSON, store in {tmp}")
    print(f"onewindow engine alone (no store): {alone:.0f} cases/s; with a JSON round trip "
          f"per action instead of the store (Spiff's mode): {in_json:.0f} cases/s")
    print(f"SpiffWorkflow {version('SpiffWorkflow')}: {spiff:.1f} cases/s, {spiff_saves} "
          f"JSON saves/case (in memory), final workflow {spiff_bytes} bytes of JSON")
    print(f"lifecycle: onewindow {ow:.0f} cases/s, SpiffWorkflow {spiff:.0f} cases/s, "
          f"ratio {ow / spiff:.1f}")


if __name__ == "__main__":
    main()
