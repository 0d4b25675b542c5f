"""The parallel plan of a matter: stages, earliest times, slack, critical path.

Pure: a matter (and optionally the applicant's data) in, a ``Plan`` out. Times are
working days counted from acceptance, computed with exact fractions so that 0.1 + 0.2
days never turn a critical step into one with slack.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
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
    """The ``needs`` graph over ``steps``.

    A need of a step left out (its ``when`` is false) is replaced by that step's own
    needs, found among ``every`` step of the matter: what needed it still waits for what
    it needed. Needs of steps found nowhere are dropped.
    """
    steps = list(steps)
    by_id = {step.id: step for step in every}
    graph: nx.DiGraph = nx.DiGraph()
    graph.add_nodes_from(step.id for step in steps)

    def through(need: Need, seen: frozenset[str]) -> Iterator[Need]:
        if need.step in graph:
            yield need
        elif need.step in by_id and need.step not in seen:
            for inner in by_id[need.step].needs:
                yield from through(inner, seen | {need.step})

    for step in steps:
        for need in (n for outer in step.needs for n in through(outer, frozenset())):
            # Needing a step at both moments means waiting for the later one: its finish.
            if graph.has_edge(need.step, step.id) and need.at is At.PRELIMINARY:
                continue
            graph.add_edge(need.step, step.id, at=need.at)
    return graph


def make_plan(matter: MatterSpec, data: Mapping[str, Any] | None = None) -> Plan:
    """Plan ``matter``; with ``data``, steps whose ``when`` is false are left out."""
    return plan_steps(matter.id, matter.version, matter.applicable_steps(data), matter.steps)


def plan_steps(matter_id: str, version: int, steps: Iterable[Step],
               every: Iterable[Step] = ()) -> Plan:
    """Plan an acyclic set of steps (the builder has checked there is no cycle);
    ``every`` step of the matter lets needs pass through steps left out."""
    steps = tuple(steps)
    order = {step.id: i for i, step in enumerate(steps)}
    graph = needs_graph(steps, every)
    # Exact arithmetic in integers over one common denominator (Fractions per
    # operation cost 0.5 s on a 10,000-step matter); back to Fractions at the end.
    exact = {step.id: (days(step.days), days(step.preliminary_days or 0)) for step in steps}
    scale = math.lcm(1, *(f.denominator for pair in exact.values() for f in pair))
    duration = {s: int(d * scale) for s, (d, _) in exact.items()}
    prelim = {s: int(p * scale) for s, (_, p) in exact.items()}

    stages = tuple(tuple(sorted(gen, key=order.__getitem__))
                   for gen in nx.topological_generations(graph))
    stage_of = {step_id: i for i, stage in enumerate(stages) for step_id in stage}
    topo = [step_id for stage in stages for step_id in stage]
    staged = At.PRELIMINARY

    start: dict[str, int] = {}
    pred = graph.pred
    for step_id in topo:
        best = 0
        for u, edge in pred[step_id].items():
            released = start[u] + (prelim[u] if edge["at"] is staged else duration[u])
            if released > best:
                best = released
        start[step_id] = best
    finish = {s: start[s] + duration[s] for s in topo}
    parallel = max(finish.values(), default=0)

    latest: dict[str, int] = {}
    succ = graph.succ
    for step_id in reversed(topo):
        bound = parallel - duration[step_id]
        for v, edge in succ[step_id].items():
            lag = prelim[step_id] if edge["at"] is staged else duration[step_id]
            bound = min(bound, latest[v] - lag)
        latest[step_id] = bound

    def release(upstream: str, at: At) -> int:
        return start[upstream] + (prelim[upstream] if at is staged else duration[upstream])

    def frac(value: int) -> Fraction:
        return Fraction(value, scale)

    timings = {s: StepTiming(frac(start[s]), frac(finish[s]), frac(latest[s]), stage_of[s])
               for s in sorted(topo, key=order.__getitem__)}
    critical = _critical_path(topo, order, graph, start, finish, parallel, release)
    return Plan(matter_id, version, stages, critical, frac(parallel),
                frac(sum(duration.values())), timings)


def _critical_path(topo: list[str], order: Mapping[str, int], graph: nx.DiGraph,
                   start: Mapping[str, int], finish: Mapping[str, int],
                   parallel: int, release: Any) -> tuple[str, ...]:
    ends = sorted((s for s in topo if finish[s] == parallel), key=order.__getitem__)
    if not ends:
        return ()
    chain = [ends[0]]
    while True:
        current = chain[-1]
        binding = sorted((u for u, edge in graph.pred[current].items()
                          if release(u, edge["at"]) == start[current]),
                         key=order.__getitem__)
        if not binding:
            break
        chain.append(binding[0])
    return tuple(reversed(chain))
