"""The parallel plan of a matter: stages, earliest times, slack, critical path.

Pure: a matter (and optionally the applicant's data) in, a ``Plan`` out. Times are
working days counted from acceptance, computed with exact fractions so that 0.1 + 0.2
days never turn a critical step into one with slack.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType
from typing import Any

import networkx as nx

from builder.spec import At, MatterSpec, Need, Step


@dataclass(frozen=True)
class StepTiming:
    """When a step can run, in working days from acceptance."""

    start: Fraction
    finish: Fraction
    latest_start: Fraction
    stage: int

    @property
    def slack(self) -> Fraction:
        """How long the step may slip without delaying the whole matter."""
        return self.latest_start - self.start


@dataclass(frozen=True)
class Plan:
    """The computed plan of one matter version (optionally for one applicant's data)."""

    matter: str
    version: int
    stages: tuple[tuple[str, ...], ...]
    critical_path: tuple[str, ...]
    parallel_days: Fraction
    serial_days: Fraction
    steps: Mapping[str, StepTiming]

    @property
    def saving_days(self) -> Fraction:
        """Working days saved by running steps side by side."""
        return self.serial_days - self.parallel_days

    @property
    def saving_percent(self) -> float:
        """The saving as a share of the serial duration, in percent."""
        if not self.serial_days:
            return 0.0
        return round(float(self.saving_days / self.serial_days) * 100, 1)

    def to_json(self) -> dict[str, Any]:
        """The plan object of CONTRACT.md."""
        return {
            "matter": self.matter,
            "version": self.version,
            "stages": [list(stage) for stage in self.stages],
            "critical_path": list(self.critical_path),
            "parallel_days": number(self.parallel_days),
            "serial_days": number(self.serial_days),
            "saving_days": number(self.saving_days),
            "saving_percent": self.saving_percent,
            "steps": {
                step_id: {"start": number(t.start), "finish": number(t.finish),
                          "slack": number(t.slack), "stage": t.stage}
                for step_id, t in self.steps.items()
            },
        }


def number(value: Fraction) -> int | float:
    """A JSON number: an int when whole, else a float."""
    if value.denominator == 1:
        return int(value)
    return float(value)


def days(value: float | int) -> Fraction:
    """Exact working days from a catalog number (0.1 stays one tenth)."""
    if isinstance(value, int):
        return Fraction(value)
    return Fraction(repr(value))


def needs_graph(steps: Iterable[Step], every: Iterable[Step] = ()) -> nx.DiGraph:
    """The ``needs`` graph over ``steps``; each edge's ``at`` says what releases it.

    A need of a step left out (its ``when`` is false) is replaced by that step's own
    needs, found among ``every`` step of the matter: what needed it still waits for what
    it needed. Needs of steps found nowhere are dropped.
    """
    steps = tuple(steps)
    graph: nx.DiGraph = nx.DiGraph()
    graph.add_nodes_from(step.id for step in steps)
    graph.add_edges_from((u, v, {"at": at}) for (u, v), at in _needs(steps, every).items())
    return graph


def _needs(steps: tuple[Step, ...], every: Iterable[Step]) -> dict[tuple[str, str], At]:
    """The edges of ``needs_graph``, (upstream, downstream) -> what releases it."""
    ids = {step.id for step in steps}
    by_id = {step.id: step for step in every}

    def through(need: Need, seen: frozenset[str]) -> Iterator[Need]:
        if need.step in ids:
            yield need
        elif need.step in by_id and need.step not in seen:
            for inner in by_id[need.step].needs:
                yield from through(inner, seen | {need.step})

    edges: dict[tuple[str, str], At] = {}
    for step in steps:
        for outer in step.needs:
            for need in (outer,) if outer.step in ids else through(outer, frozenset()):
                # Needing a step at both moments means waiting for the later one: its finish.
                if need.at is At.FINISH or (need.step, step.id) not in edges:
                    edges[need.step, step.id] = need.at
    return edges


def make_plan(matter: MatterSpec, data: Mapping[str, Any] | None = None) -> Plan:
    """Plan ``matter``; with ``data``, steps whose ``when`` is false are left out.
    Without data the plan is made once per spec object and shared (it is read-only)."""
    if data is None:
        known = _PLANS.get(id(matter))
        if known is not None and known[0]() is matter:
            return known[1]
    plan = plan_steps(matter.id, matter.version, matter.applicable_steps(data), matter.steps)
    if data is None:
        remember_plan(matter, plan)
    return plan


# The plan of every step of a spec, by the spec's identity (a MatterSpec holds dicts, so
# it has no hash by value); an entry leaves with its spec.
_PLANS: dict[int, tuple[weakref.ref[MatterSpec], Plan]] = {}


def remember_plan(matter: MatterSpec, plan: Plan) -> None:
    """Keep ``plan``, computed from exactly ``matter.steps``, as what ``make_plan(matter)``
    returns; the catalog check plans every matter anyway."""
    key = id(matter)

    def forget(ref: weakref.ref[MatterSpec]) -> None:
        if _PLANS.get(key, (None,))[0] is ref:
            del _PLANS[key]

    _PLANS[key] = (weakref.ref(matter, forget), plan)


def plan_steps(matter_id: str, version: int, steps: Iterable[Step],
               every: Iterable[Step] = ()) -> Plan:
    """Plan an acyclic set of steps (the builder has checked there is no cycle);
    ``every`` step of the matter lets needs pass through steps left out."""
    steps = tuple(steps)
    order = {step.id: i for i, step in enumerate(steps)}
    # Upstreams and downstreams of each step, with whether the edge is staged (released
    # by the preliminary opinion): plain lists are far cheaper to walk than networkx views.
    pred: dict[str, list[tuple[str, bool]]] = {step_id: [] for step_id in order}
    succ: dict[str, list[tuple[str, bool]]] = {step_id: [] for step_id in order}
    for (u, v), at in _needs(steps, every).items():
        pred[v].append((u, at is At.PRELIMINARY))
        succ[u].append((v, at is At.PRELIMINARY))
    # Exact arithmetic in integers over one common denominator (Fractions per
    # operation cost 0.5 s on a 10,000-step matter); back to Fractions at the end.
    exact = {value: days(value) for value in {s.days for s in steps}
             | {s.preliminary_days or 0 for s in steps}}
    scale = math.lcm(1, *(f.denominator for f in exact.values()))
    scaled = {value: int(f * scale) for value, f in exact.items()}
    duration = {s.id: scaled[s.days] for s in steps}
    prelim = {s.id: scaled[s.preliminary_days or 0] for s in steps}

    stages = _stages(order, pred, succ)
    stage_of = {step_id: i for i, stage in enumerate(stages) for step_id in stage}
    topo = [step_id for stage in stages for step_id in stage]

    start: dict[str, int] = {}
    for step_id in topo:
        best = 0
        for u, staged in pred[step_id]:
            released = start[u] + (prelim[u] if staged else duration[u])
            if released > best:
                best = released
        start[step_id] = best
    finish = {s: start[s] + duration[s] for s in topo}
    parallel = max(finish.values(), default=0)

    latest: dict[str, int] = {}
    for step_id in reversed(topo):
        bound = parallel - duration[step_id]
        for v, staged in succ[step_id]:
            lag = prelim[step_id] if staged else duration[step_id]
            if latest[v] - lag < bound:
                bound = latest[v] - lag
        latest[step_id] = bound

    fractions: dict[int, Fraction] = {}  # many steps share a time: make each Fraction once

    def frac(value: int) -> Fraction:
        known = fractions.get(value)
        if known is None:
            known = fractions[value] = Fraction(value, scale)
        return known

    declared = sorted(order, key=order.__getitem__)
    timings = {s: StepTiming(frac(start[s]), frac(finish[s]), frac(latest[s]), stage_of[s])
               for s in declared}
    critical = _critical_path(declared, order, pred, start, finish, parallel,
                              lambda u, staged: start[u] + (prelim[u] if staged else duration[u]))
    # Read-only timings: make_plan hands the same plan to every caller.
    return Plan(matter_id, version, stages, critical, frac(parallel),
                frac(sum(duration.values())), MappingProxyType(timings))


def _stages(order: Mapping[str, int], pred: Mapping[str, list[tuple[str, bool]]],
            succ: Mapping[str, list[tuple[str, bool]]]) -> tuple[tuple[str, ...], ...]:
    """networkx's topological generations, each in declaration order: a stage holds the
    steps whose needs all lie in earlier stages."""
    graph: nx.DiGraph = nx.DiGraph()
    graph.add_nodes_from(order)
    graph.add_edges_from((u, v) for u, downs in succ.items() for v, _ in downs)
    try:
        return tuple(tuple(sorted(generation, key=order.__getitem__))
                     for generation in nx.topological_generations(graph))
    except nx.NetworkXUnfeasible:
        raise ValueError("the needs form a cycle: run the builder check first") from None


def _critical_path(declared: list[str], order: Mapping[str, int],
                   pred: Mapping[str, list[tuple[str, bool]]], start: Mapping[str, int],
                   finish: Mapping[str, int], parallel: int,
                   release: Callable[[str, bool], int]) -> tuple[str, ...]:
    ends = [s for s in declared if finish[s] == parallel]
    if not ends:
        return ()
    chain = [ends[0]]
    while True:
        current = chain[-1]
        binding = [u for u, staged in pred[current] if release(u, staged) == start[current]]
        if not binding:
            break
        chain.append(min(binding, key=order.__getitem__))
    return tuple(reversed(chain))
