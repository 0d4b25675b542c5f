"""Properties of the parallel plan on random acyclic matters, and brute-force references.

Matters are built directly from ``builder.spec`` objects: step ``i`` only needs steps
generated before it (so the graph is acyclic), but the steps are declared in a random
order, so the plan may not rely on declaration order. Days are multiples of 0.25 or
0.1, the numbers where float arithmetic would turn a critical step into one with slack.
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builder.plan import Plan, make_plan
from builder.spec import At, Join, MatterSpec, Need, Step

DEPARTMENTS = tuple(f"dept-{i}" for i in range(10))
UNITS = (Fraction(1, 4), Fraction(1, 10), Fraction(1))
PROPERTY = settings(max_examples=200, deadline=None)


def _number(value: Fraction) -> int | float:
    """What a user would write in YAML: ``2`` for whole days, ``0.3`` otherwise."""
    return int(value) if value.denominator == 1 else float(value)


def _exact(value: float | None) -> Fraction:
    """Exact days, computed independently of ``builder.plan.days``."""
    return Fraction(value or 0).limit_denominator(1000)


def _matter(steps: list[Step] | tuple[Step, ...]) -> MatterSpec:
    return MatterSpec(id="random", name="随机事项", version=1, lead=DEPARTMENTS[0],
                      time_limit=3650, statutory_limit=3650, notice="",
                      form={"type": "object"}, ui={}, materials=(), steps=tuple(steps))


def _step(i: int, length: Fraction, prelim: Fraction | None, needs: list[Need],
          departments: list[str], join: Join) -> Step:
    return Step(id=f"s{i}", name=f"第{i}环节", departments=tuple(departments),
                days=_number(length), preliminary_days=None if prelim is None else _number(prelim),
                needs=tuple(needs), join=join if len(departments) > 1 else Join.ALL)


@st.composite
def matters(draw: st.DrawFn, *, max_steps: int = 18, staged: bool = True) -> MatterSpec:
    """A random acyclic matter; needs point only to steps generated earlier."""
    steps: list[Step] = []
    for i in range(draw(st.integers(1, max_steps))):
        unit = draw(st.sampled_from(UNITS))
        k = draw(st.integers(1, 30))
        prelim = unit * draw(st.integers(0, k - 1)) if draw(st.booleans()) else None
        # Repeats allowed: needing one step both at finish and at preliminary is valid YAML.
        ups = draw(st.lists(st.sampled_from(steps), max_size=4)) if steps else []
        needs = [Need(up.id, At.PRELIMINARY if staged and up.preliminary_days is not None
                      and draw(st.booleans()) else At.FINISH) for up in ups]
        departments = draw(st.lists(st.sampled_from(DEPARTMENTS), min_size=1, max_size=3,
                                    unique=True))
        steps.append(_step(i, unit * k, prelim, needs, departments,
                           draw(st.sampled_from(Join))))
    return _matter(draw(st.permutations(steps)))


def _random_matter(rng: random.Random, n: int, staged_share: float) -> MatterSpec:
    """The same shape as ``matters()``, from a seeded generator, for the plain tests."""
    steps: list[Step] = []
    for i in range(n):
        unit = rng.choice(UNITS)
        k = rng.randint(1, 30)
        prelim = unit * rng.randrange(k) if rng.random() < 0.4 else None
        ups = rng.sample(steps, min(len(steps), rng.randint(0, 4)))
        needs = [Need(up.id, At.PRELIMINARY if up.preliminary_days is not None
                      and rng.random() < staged_share else At.FINISH) for up in ups]
        steps.append(_step(i, unit * k, prelim, needs, [rng.choice(DEPARTMENTS)], Join.ALL))
    rng.shuffle(steps)
    return _matter(steps)


def _edges(matter: MatterSpec) -> Iterator[tuple[Step, Step, At]]:
    """(upstream, downstream, at) for every need."""
    by_id = {s.id: s for s in matter.steps}
    for step in matter.steps:
        for need in step.needs:
            yield by_id[need.step], step, need.at


def _lag(upstream: Step, at: At) -> Fraction:
    """How long after the upstream's start an edge releases the downstream step."""
    return _exact(upstream.preliminary_days) if at is At.PRELIMINARY else _exact(upstream.days)


def _release(plan: Plan, upstream: Step, at: At) -> Fraction:
    return plan.steps[upstream.id].start + _lag(upstream, at)


def _without(matter: MatterSpec, step_id: str) -> MatterSpec:
    """The matter minus one step and every need edge to it."""
    return _matter([Step(**{**vars(s), "needs": tuple(n for n in s.needs if n.step != step_id)})
                    for s in matter.steps if s.id != step_id])


# -- properties ----------------------------------------------------------------------


@PROPERTY
@given(matters())
def test_a_step_starts_exactly_when_its_last_need_releases_it(matter: MatterSpec) -> None:
    plan = make_plan(matter)
    assert set(plan.steps) == {s.id for s in matter.steps}
    releases: dict[str, list[Fraction]] = {s.id: [] for s in matter.steps}
    for up, down, at in _edges(matter):
        releases[down.id].append(_release(plan, up, at))
    for step in matter.steps:
        timing = plan.steps[step.id]
        assert all(timing.start >= r for r in releases[step.id])
        assert timing.start == max(releases[step.id], default=Fraction(0))
        assert timing.finish == timing.start + _exact(step.days)


@PROPERTY
@given(matters())
def test_slack_is_never_negative_and_latest_times_are_tight(matter: MatterSpec) -> None:
    plan = make_plan(matter)
    latest = {s.id: plan.steps[s.id].latest_start for s in matter.steps}
    for step in matter.steps:
        assert plan.steps[step.id].slack >= 0
        assert latest[step.id] + _exact(step.days) <= plan.parallel_days
    for up, down, at in _edges(matter):
        assert latest[up.id] + _lag(up, at) <= latest[down.id]
    # Latest, not merely feasible: each step is held back by the end or by a successor.
    for step in matter.steps:
        tight = latest[step.id] + _exact(step.days) == plan.parallel_days or any(
            latest[up.id] + _lag(up, at) == latest[down.id]
            for up, down, at in _edges(matter) if up.id == step.id)
        assert tight, step.id


@PROPERTY
@given(matters())
def test_the_critical_path_is_a_zero_slack_chain_to_the_end(matter: MatterSpec) -> None:
    plan = make_plan(matter)
    path = plan.critical_path
    by_id = {s.id: s for s in matter.steps}
    assert path and len(set(path)) == len(path)
    assert not by_id[path[0]].needs and plan.steps[path[0]].start == 0
    for before, after in itertools.pairwise(path):
        edges = [n.at for n in by_id[after].needs if n.step == before]
        assert edges, f"{before} -> {after} is not a needs edge"
        assert any(_release(plan, by_id[before], at) == plan.steps[after].start for at in edges)
    assert all(plan.steps[s].slack == 0 for s in path)
    assert plan.steps[path[-1]].finish == plan.parallel_days


@PROPERTY
@given(matters())
def test_parallel_and_serial_days(matter: MatterSpec) -> None:
    plan = make_plan(matter)
    assert plan.serial_days == sum((_exact(s.days) for s in matter.steps), Fraction(0))
    assert plan.parallel_days == max(t.finish for t in plan.steps.values())
    assert plan.parallel_days <= plan.serial_days
    assert plan.saving_days == plan.serial_days - plan.parallel_days >= 0


@PROPERTY
@given(matters(max_steps=12))
def test_removing_a_step_never_lengthens_the_plan(matter: MatterSpec) -> None:
    plan = make_plan(matter)
    for step in matter.steps:
        shorter = make_plan(_without(matter, step.id))
        assert shorter.parallel_days <= plan.parallel_days, step.id
        if step.id not in plan.critical_path and plan.steps[step.id].slack > 0:
            # The critical chain is untouched, so the plan keeps its length exactly.
            assert shorter.parallel_days == plan.parallel_days, step.id


@PROPERTY
@given(matters())
def test_stages_are_the_topological_generations(matter: MatterSpec) -> None:
    plan = make_plan(matter)
    flat = [s for stage in plan.stages for s in stage]
    assert sorted(flat) == sorted(s.id for s in matter.steps) and all(plan.stages)
    stage_of = {s: k for k, stage in enumerate(plan.stages) for s in stage}
    assert all(plan.steps[s].stage == k for s, k in stage_of.items())
    for up, down, _at in _edges(matter):
        assert stage_of[up.id] < stage_of[down.id]
    for step in matter.steps:
        k = stage_of[step.id]
        assert (k == 0) == (not step.needs)
        if k > 0:
            assert any(stage_of[n.step] == k - 1 for n in step.needs)


def _numbers(plan: Plan, doc: dict[str, Any]) -> Iterator[tuple[Fraction, Any]]:
    yield plan.parallel_days, doc["parallel_days"]
    yield plan.serial_days, doc["serial_days"]
    yield plan.saving_days, doc["saving_days"]
    for step_id, t in plan.steps.items():
        out = doc["steps"][step_id]
        yield from ((t.start, out["start"]), (t.finish, out["finish"]), (t.slack, out["slack"]))


@PROPERTY
@given(matters())
def test_json_numbers_are_ints_when_whole_and_exact_decimals(matter: MatterSpec) -> None:
    plan = make_plan(matter)
    doc = plan.to_json()
    for exact, shown in _numbers(plan, doc):
        assert type(shown) is (int if exact.denominator == 1 else float)
        assert Fraction(repr(shown)) == exact  # 0.1 + 0.2 shows as 0.3
    assert json.loads(json.dumps(doc, ensure_ascii=False)) == doc
    assert doc["stages"] == [list(s) for s in plan.stages]
    assert doc["critical_path"] == list(plan.critical_path)
    assert all(doc["steps"][s]["stage"] == t.stage for s, t in plan.steps.items())


# -- brute-force references ----------------------------------------------------------


@pytest.mark.parametrize("seed", range(60))
def test_parallel_days_equal_networkx_longest_path_with_finish_edges(seed: int) -> None:
    rng = random.Random(seed)
    matter = _random_matter(rng, rng.randint(1, 60), staged_share=0)
    # Node weights moved onto edges: u -> v weighs u's days; every step -> END its own.
    graph: nx.DiGraph = nx.DiGraph()
    for step in matter.steps:
        graph.add_edge("^", step.id, days=Fraction(0))
        graph.add_edge(step.id, "$", days=_exact(step.days))
    for up, down, _at in _edges(matter):
        graph.add_edge(up.id, down.id, days=_exact(up.days))
    expected = nx.dag_longest_path_length(graph, weight="days")
    plan = make_plan(matter)
    assert plan.parallel_days == expected
    assert len(plan.stages) == nx.dag_longest_path_length(graph) - 1  # counted in steps


def _relaxed_starts(matter: MatterSpec) -> dict[str, Fraction]:
    """Earliest starts by relaxing every need until nothing moves (Bellman-Ford style)."""
    start = {s.id: Fraction(0) for s in matter.steps}
    edges = list(_edges(matter))
    for _ in range(len(matter.steps) + 1):
        moved = False
        for up, down, at in edges:
            release = start[up.id] + _lag(up, at)
            if release > start[down.id]:
                start[down.id], moved = release, True
        if not moved:
            return start
    raise AssertionError("relaxation did not settle: the needs have a cycle")


@pytest.mark.parametrize("seed", range(60))
def test_staged_earliest_times_equal_repeated_relaxation(seed: int) -> None:
    rng = random.Random(seed)
    matter = _random_matter(rng, rng.randint(1, 60), staged_share=0.5)
    start = _relaxed_starts(matter)
    plan = make_plan(matter)
    assert {s: t.start for s, t in plan.steps.items()} == start
    assert plan.parallel_days == max(start[s.id] + _exact(s.days) for s in matter.steps)


# -- regressions ---------------------------------------------------------------------


def test_needing_the_same_step_at_finish_and_preliminary_waits_for_the_finish() -> None:
    license_ = Step(id="license", name="营业执照核发", departments=("amr",), days=2,
                    preliminary_days=0.5)
    tax = Step(id="tax", name="税务登记", departments=("tax",), days=1,
               needs=(Need("license"), Need("license", At.PRELIMINARY)))
    plan = make_plan(_matter([license_, tax]))
    # Schema-valid, so `onewindow check` accepts it; the order of the entries must not
    # matter (the last one used to win: start 0.5 in this order, 2 in the other).
    assert plan.steps["tax"].start == 2
    assert plan.parallel_days == 3
    reversed_ = Step(**{**vars(tax), "needs": tax.needs[::-1]})
    assert make_plan(_matter([license_, reversed_])).steps["tax"].start == 2
