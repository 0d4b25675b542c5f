"""The BPMN export runs in a real BPMN engine (SpiffWorkflow 3) as the plan says.

Each catalog matter (and random ones) is loaded from the exported XML and run round by
round: every ready user task is completed with ``approved = True``, then the engine moves
on. The steps whose first task becomes ready in round i must be exactly stage i of
``make_plan(matter, data)``, with data that makes each conditional step apply and not
apply. 或签 (``join: any``) ends on the first approval, 会签 (``join: all``) waits for all.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from builder import load_catalog
from builder.bpmn import to_bpmn
from builder.plan import make_plan
from builder.spec import At, Join, MatterSpec, holds
from tests.builder.test_plan_properties import matters

ROOT = Path(__file__).parents[2]
CATALOG = load_catalog(ROOT / "catalog")
DEPARTMENTS = {d.id: d.name for d in CATALOG.departments.values()}
PRELIMINARY = "__preliminary"


def start(matter: MatterSpec, data: Mapping[str, Any]) -> BpmnWorkflow:
    """A workflow of the exported XML, started with the applicant's data."""
    parser = BpmnParser()
    parser.add_bpmn_xml(etree.fromstring(to_bpmn(matter, DEPARTMENTS).encode("utf-8")),
                        filename=f"{matter.id}.bpmn")
    (process,) = parser.get_process_ids()
    workflow = BpmnWorkflow(parser.get_spec(process))
    (first,) = workflow.get_tasks(state=TaskState.READY)
    first.data["applicant"] = dict(data)
    workflow.do_engine_steps()
    return workflow


def ready(workflow: BpmnWorkflow) -> list[Task]:
    return workflow.get_tasks(state=TaskState.READY, manual=True)


def step_of(task: Task) -> tuple[str, bool]:
    """(step id, whether it is the preliminary-opinion task) of a user task."""
    bpmn_id = task.task_spec.bpmn_id
    assert bpmn_id.startswith("Task_"), bpmn_id
    step = bpmn_id.removeprefix("Task_")
    return step.removesuffix(PRELIMINARY), step.endswith(PRELIMINARY)


def department_of(task: Task) -> str:
    (key,) = [k for k in task.data if k.startswith("department_")
              and k.removeprefix("department_") in task.task_spec.bpmn_id.replace("-", "_")]
    return str(task.data[key])


def complete(task: Task, approved: bool = True) -> None:
    task.data["approved"] = approved
    task.run()


def advance_until(workflow: BpmnWorkflow, done: Callable[[list[Task]], bool]) -> list[Task]:
    """Approve every ready task, round after round, until ``done(ready tasks)``."""
    for _ in range(50):
        tasks = ready(workflow)
        if done(tasks):
            return tasks
        assert tasks, "the process ended first"
        for task in tasks:
            if task.state == TaskState.READY:
                complete(task)
        workflow.do_engine_steps()
    raise AssertionError("never reached")


@dataclass
class Run:
    """What happened, round by round."""

    rounds: list[set[str]] = field(default_factory=list)  # steps first ready in each round
    decisions: dict[str, int] = field(default_factory=dict)  # decision tasks completed
    opinions: dict[str, int] = field(default_factory=dict)  # opinion tasks completed


def run(matter: MatterSpec, data: Mapping[str, Any]) -> Run:
    """Complete every ready user task, round after round, until the process ends."""
    workflow, result, seen = start(matter, data), Run(), set[str]()
    for _ in range(4 * len(matter.steps) + 2):
        tasks = ready(workflow)
        if not tasks:
            break
        steps = {step_of(t)[0] for t in tasks}
        result.rounds.append(steps - seen)
        seen |= steps
        for task in tasks:
            if task.state == TaskState.READY:  # 或签: the first approval cancels the others
                step, opinion = step_of(task)
                counts = result.opinions if opinion else result.decisions
                counts[step] = counts.get(step, 0) + 1
                complete(task)
        workflow.do_engine_steps()
    assert workflow.is_completed(), [t.task_spec.bpmn_id for t in ready(workflow)]
    return result


def assert_runs_as_planned(matter: MatterSpec, data: Mapping[str, Any]) -> Run:
    result = run(matter, data)
    plan = make_plan(matter, data)
    assert result.rounds == [set(stage) for stage in plan.stages]
    applicable = {s.id: s for s in matter.applicable_steps(data)}
    assert set(result.decisions) == set(applicable)
    for step_id, count in result.decisions.items():
        step = applicable[step_id]
        assert count == (len(step.departments) if step.join is Join.ALL else 1), step_id
    # An applicable step that releases another early gives its opinion (会签: every
    # department, 或签: the first one), even when what it releases is skipped.
    staged = {n.step for s in matter.steps for n in s.needs if n.at is At.PRELIMINARY
              and At.FINISH not in {m.at for m in s.needs if m.step == n.step}}
    assert set(result.opinions) == staged & set(applicable)
    for step_id, count in result.opinions.items():
        step = applicable[step_id]
        assert count == (len(step.departments) if step.join is Join.ALL else 1), step_id
    return result


def _field_values(condition: Mapping[str, Any], apply: bool) -> dict[str, Any]:
    """Data for a catalog condition (``const`` / ``minimum`` on required fields)."""
    data: dict[str, Any] = {}
    for name, rule in condition["properties"].items():
        if "const" in rule:
            value = rule["const"]
            data[name] = value if apply else (not value if isinstance(value, bool) else None)
        else:
            data[name] = rule["minimum"] if apply else rule["minimum"] - 1
    return data


def _variants(matter: MatterSpec) -> Iterator[tuple[str, dict[str, Any]]]:
    """Data under which every conditional step applies, none does, and each one alone."""
    conditional = [s for s in matter.steps if s.when is not None]
    n = len(conditional)
    for pattern in {(True,) * n, (False,) * n,
                    *(tuple(i == j for j in range(n)) for i in range(n))}:
        data: dict[str, Any] = {}
        for step, apply in zip(conditional, pattern, strict=True):
            data.update(_field_values(step.when or {}, apply))
        for step, apply in zip(conditional, pattern, strict=True):
            assert holds(step.when, data) is apply, (step.id, data)
        yield "".join("1" if a else "0" for a in pattern) or "-", data


CASES = [(matter_id, label, data) for matter_id in sorted(CATALOG.matters)
         for label, data in sorted(_variants(CATALOG.matter(matter_id)))]


@pytest.mark.parametrize(("matter_id", "label", "data"), CASES,
                         ids=[f"{m}-{label}" for m, label, _ in CASES])
def test_catalog_matters_run_in_spiffworkflow_as_planned(matter_id: str, label: str,
                                                         data: dict[str, Any]) -> None:
    matter = CATALOG.matter(matter_id)
    result = assert_runs_as_planned(matter, data)
    skipped = {s.id for s in matter.steps} - {s.id for s in matter.applicable_steps(data)}
    assert not skipped & set().union(*result.rounds)
    assert len(result.rounds) == len(make_plan(matter, data).stages)


def test_every_catalog_matter_has_a_variant_with_and_without_each_condition() -> None:
    for matter in CATALOG.matters.values():
        conditional = [s.id for s in matter.steps if s.when is not None]
        variants = [data for _, data in _variants(matter)]
        for step_id in conditional:
            step = matter.step(step_id)
            assert {holds(step.when, data) for data in variants} == {True, False}
    assert sum(s.when is not None for m in CATALOG.matters.values() for s in m.steps) >= 3


def test_staged_start_releases_the_next_steps_with_the_preliminary_opinion() -> None:
    matter = CATALOG.matter("government-investment-project")
    data = {"needs_eia": True, "underground_area": 2000}
    workflow = start(matter, data)
    tasks = advance_until(workflow, lambda tasks: {step_of(t) for t in tasks} == {
        ("planning-permit", True), ("planning-permit", False)})
    (opinion,) = [t for t in tasks if step_of(t)[1]]
    complete(opinion)
    workflow.do_engine_steps()
    # The opinion alone starts the drawing review and the air-defence review; the
    # construction permit still waits for the planning permit's decision.
    assert {step_of(t) for t in ready(workflow)} == {
        ("planning-permit", False), ("drawing-review", False), ("air-defence", False)}
    for task in ready(workflow):
        if step_of(task)[0] != "planning-permit":
            complete(task)
    workflow.do_engine_steps()
    assert {step_of(t)[0] for t in ready(workflow)} == {"planning-permit"}
    complete(ready(workflow)[0])
    workflow.do_engine_steps()
    assert {step_of(t)[0] for t in ready(workflow)} == {"construction-permit"}


def _scheme_review(matter: MatterSpec, join: Join) -> tuple[BpmnWorkflow, list[Task]]:
    """A run stopped where the three departments review the scheme."""
    steps = tuple(replace(s, join=join) if s.id == "scheme-review" else s for s in matter.steps)
    workflow = start(replace(matter, steps=steps), {"needs_eia": False, "underground_area": 0})
    tasks = advance_until(workflow, lambda tasks: any(
        step_of(t)[0] == "scheme-review" for t in tasks))
    assert sorted(department_of(t) for t in tasks) == sorted(
        ["fire", "civil-air-defence", "water"])
    return workflow, tasks


def test_join_any_finishes_on_the_first_approval() -> None:
    workflow, tasks = _scheme_review(CATALOG.matter("government-investment-project"), Join.ANY)
    complete(tasks[0], approved=False)  # a refusal does not decide 或签
    workflow.do_engine_steps()
    assert sorted(t.id for t in ready(workflow)) == sorted(t.id for t in tasks[1:])
    complete(tasks[1])
    workflow.do_engine_steps()
    assert tasks[2].state == TaskState.CANCELLED
    assert {step_of(t)[0] for t in ready(workflow)} == {"planning-permit"}


def test_join_all_waits_for_every_department() -> None:
    workflow, tasks = _scheme_review(CATALOG.matter("government-investment-project"), Join.ALL)
    for task in tasks[:2]:
        complete(task)
        workflow.do_engine_steps()
        assert {step_of(t)[0] for t in ready(workflow)} == {"scheme-review"}
    complete(tasks[2])
    workflow.do_engine_steps()
    assert {step_of(t)[0] for t in ready(workflow)} == {"planning-permit"}


@settings(max_examples=100, deadline=None)
@given(matter=matters(max_steps=8), flags=st.lists(st.sampled_from([None, True, False]),
                                                   min_size=8, max_size=8))
def test_random_matters_run_as_planned(matter: MatterSpec, flags: list[bool | None]) -> None:
    """Random needs, fan-outs (会签 and 或签), staged starts and conditions."""
    steps, data = [], {}
    for step, flag in zip(matter.steps, itertools.cycle(flags), strict=False):
        if flag is not None:
            step = replace(step, when={"properties": {step.id: {"const": True}},
                                       "required": [step.id]})
            data[step.id] = flag
        steps.append(step)
    assert_runs_as_planned(replace(matter, steps=tuple(steps)), data)
