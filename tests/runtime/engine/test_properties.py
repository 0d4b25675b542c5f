"""Property tests: random DAG matters driven by random valid action sequences."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder.spec import At, Certificate, Join, MatterSpec, Need, OnTimeout, Step
from runtime.engine import (
    CASE_TRANSITIONS,
    TASK_TRANSITIONS,
    Actor,
    CaseStatus,
    Role,
    TaskStatus,
    accept,
    approve,
    claim,
    new_case,
    preliminary,
    reject,
    replay,
    resume,
    submit,
    suspend,
    tick,
    transfer,
    unclaim,
    urge,
    withdraw,
)
from tests.runtime.engine.helpers import APPLICANT, CAL, NOW, SUPERVISOR, WINDOW, ids

DEPARTMENTS = ("a", "b", "c", "d")
FLAGS = ("f0", "f1")
CONDITIONS = (None, *({"properties": {f: {"const": True}}, "required": [f]} for f in FLAGS))
STEP_FORM = {"type": "object", "properties": {"x": {"type": "integer"}}}
FORM = {"type": "object", "properties": {"name": {"type": "string"},
                                         **{f: {"type": "boolean"} for f in FLAGS}}}
OPEN = {"waiting", "ready", "claimed", "preliminary", "suspended"}
RELEASED = {"ready", "claimed", "preliminary", "suspended", "approved", "rejected"}
ROWS = {(r.source, r.action, r.target) for r in (*CASE_TRANSITIONS, *TASK_TRANSITIONS)}
STEPS_FORWARD = (timedelta(0), timedelta(hours=3), timedelta(days=1), timedelta(days=3))


@st.composite
def matters(draw: st.DrawFn) -> MatterSpec:
    """A random acyclic matter: needs only point to earlier steps."""
    steps = []
    for i in range(draw(st.integers(1, 6))):
        upstream = draw(st.lists(st.integers(0, i - 1), unique=True, max_size=3)) if i else []
        needs = tuple(Need(f"s{u}", draw(st.sampled_from(At))) for u in upstream)
        departments = draw(st.permutations(DEPARTMENTS))[: draw(st.integers(1, 3))]
        has_form = draw(st.booleans())
        steps.append(Step(
            id=f"s{i}", name=f"环节{i}", departments=tuple(departments),
            days=draw(st.sampled_from([0.5, 1, 2])), preliminary_days=0.5, needs=needs,
            join=draw(st.sampled_from(Join)), when=draw(st.sampled_from(CONDITIONS)),
            form=STEP_FORM if has_form else None, outputs=("x",) if has_form else (),
            certificate=draw(st.sampled_from([None, Certificate("证", "x" if has_form else None)])),
            on_timeout=draw(st.sampled_from(OnTimeout))))
    return MatterSpec(id="m", name="随机事项", version=1, lead="a", time_limit=20,
                      statutory_limit=30, notice="", form=FORM, ui={}, materials=(),
                      steps=tuple(steps))


def started(matter: MatterSpec, flags: dict[str, bool]) -> dict[str, Any]:
    case = new_case(matter, APPLICANT, NOW, data={"name": "某公司", **flags}, new_id=ids())
    case = submit(case, matter, APPLICANT, NOW)
    return accept(case, matter, WINDOW, NOW, number="N1", calendar=CAL, new_id=ids())


def holder(task: dict[str, Any]) -> Actor:
    return Actor(task["claimed_by"] or f"u_{task['department']}1", Role.DEPARTMENT,
                 task["department"])


def options(case: dict[str, Any]) -> list[tuple[str, dict[str, Any] | None]]:
    """Every action allowed now (the engine must accept each one)."""
    found: list[tuple[str, dict[str, Any] | None]] = [("tick", None)]
    if case["status"] in ("in_progress",):
        found.append(("withdraw", None))
    for task in case["tasks"] if case["status"] == "in_progress" else ():
        kinds = {"ready": ["claim", "suspend", "urge"],
                 "claimed": ["approve", "approve", "preliminary", "preliminary", "reject",
                             "unclaim", "suspend", "transfer", "urge"],
                 "preliminary": ["approve", "reject", "suspend", "transfer", "urge"],
                 "suspended": ["resume", "urge"]}.get(task["status"], [])
        found += [(kind, task) for kind in kinds]
    return found


def act(case: dict[str, Any], matter: MatterSpec, kind: str, task: dict[str, Any] | None,
        now: datetime, x: int) -> dict[str, Any]:
    if kind == "tick":
        return tick(case, matter, now, CAL)
    if kind == "withdraw":
        return withdraw(case, matter, APPLICANT, now, "撤回")
    assert task is not None
    tid, who = task["id"], holder(task)
    step = next(s for s in matter.steps if s.id == task["step"])
    if kind == "claim":
        return claim(case, matter, who, now, tid)
    if kind == "unclaim":
        return unclaim(case, matter, who, now, tid)
    if kind == "transfer":
        return transfer(case, matter, who, now, tid, who.id + "x")
    if kind == "preliminary":
        return preliminary(case, matter, who, now, tid, "初审", calendar=CAL)
    if kind == "approve":
        return approve(case, matter, who, now, tid, calendar=CAL,
                       data={"x": x} if step.form else None)
    if kind == "reject":
        return reject(case, matter, who, now, tid, "不同意")
    if kind == "suspend":
        return suspend(case, matter, who, now, tid, "听证")
    if kind == "resume":
        return resume(case, matter, who, now, tid, calendar=CAL)
    assert kind == "urge"
    return urge(case, matter, SUPERVISOR, now, tid, "督办")


def finished(step: Step, tasks: list[dict[str, Any]]) -> bool:
    """Oracle, independent of the engine: the step is approved or skipped."""
    statuses = [t["status"] for t in tasks]
    if all(s == "skipped" for s in statuses):
        return True
    if step.join is Join.ALL:
        return all(s == "approved" for s in statuses)
    return "approved" in statuses


def opinion_out(step: Step, tasks: list[dict[str, Any]]) -> bool:
    given = [t["preliminary"] is not None or t["status"] == "approved" for t in tasks]
    return all(given) if step.join is Join.ALL else any(given)


def check_invariants(case: dict[str, Any], matter: MatterSpec) -> None:
    by_step = {s.id: [t for t in case["tasks"] if t["step"] == s.id] for s in matter.steps}
    steps = {s.id: s for s in matter.steps}
    for task in case["tasks"]:
        assert task["status"] in set(TaskStatus)
        if task["status"] not in RELEASED:
            continue
        step = steps[task["step"]]
        assert task["ready_at"] is not None and task["due"] is not None
        for need in step.needs:
            up = steps[need.step]
            assert finished(up, by_step[up.id]) or (
                need.at is At.PRELIMINARY and opinion_out(up, by_step[up.id])), (
                f"{task['step']} released before {need.step}")
    for step_id, published in case["outputs"].items():
        assert finished(steps[step_id], by_step[step_id]), f"outputs of {step_id} too early"
        assert set(published) <= set(steps[step_id].outputs)
    for cert in case["certificates"]:
        assert finished(steps[cert["step"]], by_step[cert["step"]])
    for event in case["events"]:
        target = event["to"]
        key = (event["from"], event["action"], target)
        assert key in ROWS or (event["action"] == "resume" and
                               (event["from"], "resume", None) in ROWS), key


def drive_to_end(case: dict[str, Any], matter: MatterSpec, now: datetime) -> dict[str, Any]:
    """Finish the case by resuming, claiming and approving; bounded number of actions."""
    budget = 4 * len(case["tasks"]) + 2
    while case["status"] == "in_progress":
        task = next(t for t in case["tasks"] if t["status"] in OPEN - {"waiting"})
        kind = {"suspended": "resume", "ready": "claim"}.get(task["status"], "approve")
        case = act(case, matter, kind, task, now, 7)
        check_invariants(case, matter)
        budget -= 1
        assert budget >= 0, "the case did not terminate"
    return case


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(matter=matters(), flags=st.fixed_dictionaries({f: st.booleans() for f in FLAGS}),
       data=st.data())
def test_random_matters_and_actions_keep_every_rule(matter: MatterSpec, flags: dict[str, bool],
                                                    data: st.DataObject) -> None:
    case = started(matter, flags)
    applicable = {s.id for s in matter.applicable_steps(case["data"])}
    assert {t["step"] for t in case["tasks"] if t["status"] == "skipped"} == (
        {s.id for s in matter.steps} - applicable)
    now = NOW
    for _ in range(data.draw(st.integers(0, 40), label="actions")):
        check_invariants(case, matter)
        allowed = options(case)
        kind, task = data.draw(st.sampled_from(allowed), label="action")
        if kind == "withdraw" and data.draw(st.integers(0, 4)) != 0:
            continue  # withdraw rarely, so most runs reach the decisions
        now += data.draw(st.sampled_from(STEPS_FORWARD))
        before = copy.deepcopy(case)
        out = act(case, matter, kind, task, now, data.draw(st.integers(-5, 5)))
        assert case == before, f"{kind} mutated its input"
        assert out["events"][: len(case["events"])] == case["events"]
        assert out is case or len(out["events"]) > len(case["events"])
        case = out
    check_invariants(case, matter)
    case = drive_to_end(case, matter, now)
    assert case["status"] in {CaseStatus.APPROVED, CaseStatus.REJECTED, CaseStatus.WITHDRAWN}
    assert not [t for t in case["tasks"] if t["status"] in OPEN]
    if case["status"] != "withdrawn":
        all_ok = all(finished(s, [t for t in case["tasks"] if t["step"] == s.id])
                     for s in matter.steps)
        assert (case["status"] == "approved") == all_ok
    assert replay(case["events"]) == {k: v for k, v in case.items() if k != "events"}
