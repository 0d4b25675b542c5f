"""Semantic checks of one matter: references, cycles, reads, limits.

Runs after (and alongside) the meta-schema check, on documents that may still be
partly malformed, so every lookup here is defensive: a problem the meta-schema
already reports must not crash or be reported twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TypeGuard

from builder.compile import compile_step, need_of
from builder.errors import Problem
from builder.metaschema import check_json_schema, describe
from builder.names import did_you_mean
from builder.needs import Needs
from builder.plan import Plan, days, number, plan_steps
from builder.source import Path_, Source
from builder.spec import At, Step


def _items(doc: Any, key: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(index, item) of well-formed list items of ``doc[key]`` that have a string id."""
    items = doc.get(key) if isinstance(doc, dict) else None
    if not isinstance(items, list):
        return
    for i, item in enumerate(items):
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            yield i, item


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


class MatterCheck:
    """Collects every semantic problem of one matter document."""

    def __init__(self, src: Source, departments: Mapping[str, Any] | None) -> None:
        self.src = src
        self.doc: dict[str, Any] = src.value if isinstance(src.value, dict) else {}
        self.departments = departments
        self.problems: list[Problem] = []
        self.compiled: tuple[Step, ...] | None = None  # set by ``limits``
        self.plan: Plan | None = None

    def error(self, path: Path_, message: str, *, key: bool = False) -> None:
        self.problems.append(self.src.problem(path, message, key=key))

    def warning(self, path: Path_, message: str, *, key: bool = False) -> None:
        self.problems.append(self.src.problem(path, message, key=key, severity="warning"))

    def run(self, expected_id: str | None) -> list[Problem]:
        doc = self.doc
        if expected_id and isinstance(doc.get("id"), str) and doc["id"] != expected_id:
            self.error(("id",), f"matter id '{doc['id']}' must equal its file name "
                                f"'{expected_id}'")
        self.department_ref(("lead",), doc.get("lead"), "lead")
        limit, statutory = doc.get("time_limit"), doc.get("statutory_limit")
        if _is_number(limit) and _is_number(statutory) and limit > statutory:
            self.error(("time_limit",), f"time_limit (promised, {limit} working days) is longer "
                                        f"than statutory_limit ({statutory}); the promise must "
                                        "not exceed the law")
        self.schemas()
        self.ui()
        materials = self.unique("materials", "material")
        steps = self.unique("steps", "step")
        self.steps(steps, materials)
        needs = self.graph(steps)
        if needs is not None:
            self.reads(steps, needs)
            self.limits(steps)
        self.unused_materials(steps, materials)
        return self.problems

    # -- references -------------------------------------------------------------

    def department_ref(self, path: Path_, dept: Any, what: str) -> None:
        if self.departments is None or not isinstance(dept, str):
            return
        if dept not in self.departments:
            self.error(path, f"{what}: unknown department '{dept}'"
                             f"{did_you_mean(dept, self.departments)}")

    def unique(self, key: str, kind: str) -> dict[str, tuple[int, dict[str, Any]]]:
        seen: dict[str, tuple[int, dict[str, Any]]] = {}
        for i, item in _items(self.doc, key):
            if item["id"] in seen:
                first = self.src.where((key, seen[item["id"]][0]))[0]
                self.error((key, i, "id"), f"duplicate {kind} id '{item['id']}' "
                                           f"(first defined on line {first})")
            else:
                seen[item["id"]] = (i, item)
        return seen

    def schemas(self) -> None:
        if isinstance(self.doc.get("form"), dict):
            self.problems.extend(check_json_schema(self.src, ("form",), "the form"))
            self.condition_fields(("form",), self.doc["form"], top=True)
        for i, item in _items(self.doc, "materials"):
            if isinstance(item.get("when"), dict):
                self.condition(("materials", i, "when"))
        for i, item in _items(self.doc, "steps"):
            if isinstance(item.get("when"), dict):
                self.condition(("steps", i, "when"))
            if isinstance(item.get("form"), dict):
                self.problems.extend(check_json_schema(self.src, ("steps", i, "form"),
                                                       "the step form"))

    def condition(self, path: Path_) -> None:
        self.problems.extend(check_json_schema(self.src, path, "the condition"))
        node: Any = self.src.value
        for part in path:
            node = node[part]
        self.condition_fields(path, node, top=False)

    def condition_fields(self, path: Path_, schema: Any, *, top: bool) -> None:
        """A condition naming a field the form does not have is a typo, not a rule."""
        fields = _form_fields(self.doc)
        if fields is None or not isinstance(schema, dict):
            return
        blocks: list[tuple[Path_, Any]] = []
        if top:
            for key in ("allOf", "anyOf", "oneOf"):
                for i, sub in enumerate(schema.get(key, []) if isinstance(
                        schema.get(key), list) else []):
                    if isinstance(sub, dict):
                        blocks += [((*path, key, i, k), sub[k]) for k in ("if", "then", "else")
                                   if k in sub]
        else:
            blocks.append((path, schema))
        for block_path, block in blocks:
            for prop_path, name in _condition_properties(block, block_path):
                if name not in fields:
                    self.error(prop_path, f"{_owner(path, self.doc)}: the condition "
                                          f"refers to '{name}', which is not a form field"
                                          f"{did_you_mean(name, fields)}", key=True)

    def ui(self) -> None:
        ui = self.doc.get("ui")
        fields = _form_fields(self.doc)
        if not isinstance(ui, dict) or fields is None:
            return
        for i, name in enumerate(_strings(ui.get("order"))):
            if name not in fields:
                self.error(("ui", "order", i), f"ui.order: '{name}' is not a form field"
                                               f"{did_you_mean(name, fields)}")
        if isinstance(ui.get("fields"), dict):
            for name, hints in ui["fields"].items():
                if not _schema_has_path(self.doc["form"], name.split(".")):
                    self.error(("ui", "fields", name), f"ui.fields: '{name}' is not a form field"
                                                       f"{did_you_mean(name, fields)}", key=True)
                elif isinstance(hints, dict) and isinstance(hints.get("visible_when"), dict):
                    self.condition(("ui", "fields", name, "visible_when"))

    def steps(self, steps: Mapping[str, tuple[int, dict[str, Any]]],
              materials: Mapping[str, Any]) -> None:
        for step_id, (i, step) in steps.items():
            where = ("steps", i)
            name = f"step '{step_id}'"
            if "department" in step and "departments" in step:
                self.error((*where, "departments"), f"{name}: give either 'department' or "
                                                    "'departments', not both", key=True)
            elif "department" not in step and "departments" not in step:
                self.error(where, f"{name}: missing 'department' (or 'departments' for a "
                                  "step approved by several departments)")
            if isinstance(step.get("department"), str):
                self.department_ref((*where, "department"), step["department"], name)
            for j, dept in enumerate(_strings(step.get("departments"))):
                self.department_ref((*where, "departments", j), dept, name)
            if "join" in step and len(_strings(step.get("departments"))) < 2:
                self.warning((*where, "join"), f"{name}: 'join' only matters when several "
                                               "departments approve the step", key=True)
            for j, mat in enumerate(_strings(step.get("materials"))):
                if mat not in materials:
                    self.error((*where, "materials", j), f"{name}: unknown material '{mat}'"
                                                         f"{did_you_mean(mat, materials)}")
            self.preliminary(where, name, step)
            self.needs(where, name, step, steps)
            self.outputs(where, name, step)

    def preliminary(self, where: Path_, name: str, step: dict[str, Any]) -> None:
        p, d = step.get("preliminary_days"), step.get("days")
        if _is_number(p) and _is_number(d) and p >= d:
            self.error((*where, "preliminary_days"), f"{name}: preliminary_days ({p}) must be "
                                                     f"less than days ({d})")

    def needs(self, where: Path_, name: str, step: dict[str, Any],
              steps: Mapping[str, tuple[int, dict[str, Any]]]) -> None:
        raw = step.get("needs")
        for j, entry in enumerate(raw if isinstance(raw, list) else []):
            target = entry if isinstance(entry, str) else (
                entry.get("step") if isinstance(entry, dict) else None)
            if not isinstance(target, str):
                continue
            path = (*where, "needs", j)
            if target == step["id"]:
                self.error(path, f"{name} cannot need itself")
            elif target not in steps:
                self.error(path, f"{name}: needs unknown step '{target}'"
                                 f"{did_you_mean(target, steps)}")
            elif isinstance(entry, dict) and entry.get("at") == "preliminary":
                upstream = steps[target][1]
                if not _is_number(upstream.get("preliminary_days")):
                    self.error(path, f"{name}: starts at the preliminary opinion of "
                                     f"'{target}', but '{target}' has no preliminary_days")

    def outputs(self, where: Path_, name: str, step: dict[str, Any]) -> None:
        outputs = _strings(step.get("outputs"))
        form = step.get("form")
        props = form.get("properties") if isinstance(form, dict) else None
        fields = list(props) if isinstance(props, dict) else []
        for j, out in enumerate(outputs):
            if out not in fields:
                self.error((*where, "outputs", j),
                           f"{name}: output '{out}' is not a field of the step's form"
                           f"{did_you_mean(out, fields)}"
                           + (f"; its fields are: {', '.join(fields)}" if fields else
                              "; add a 'form' with that field"))
        cert = step.get("certificate")
        if isinstance(cert, dict) and isinstance(cert.get("number"), str) \
                and cert["number"] not in outputs:
            self.error((*where, "certificate", "number"),
                       f"{name}: the certificate number '{cert['number']}' must be one of the "
                       f"step's outputs{did_you_mean(cert['number'], outputs)}")

    # -- the graph --------------------------------------------------------------

    def graph(self, steps: Mapping[str, tuple[int, dict[str, Any]]]) -> Needs | None:
        """The needs between steps; None (and an error) when they have a cycle."""
        edges: dict[tuple[str, str], At] = {}
        for step_id, (_, step) in steps.items():
            raw = step.get("needs")
            for entry in raw if isinstance(raw, list) else []:
                try:
                    need = need_of(entry)
                except (KeyError, TypeError, ValueError, AttributeError):
                    continue
                # Needing a step at both moments means waiting for the later one: its finish.
                if isinstance(need.step, str) and need.step in steps and need.step != step_id and (
                        need.at is At.FINISH or (need.step, step_id) not in edges):
                    edges[need.step, step_id] = need.at
        needs = Needs(steps, edges)
        if needs.order is not None:
            return needs
        names = needs.cycle()
        first = min(names, key=lambda s: steps[s][0])
        self.error(("steps", steps[first][0], "needs"),
                   f"a cycle in needs: {' -> '.join(names)} (each of these steps waits for "
                   "the next; remove one of the needs)", key=True)
        return None

    def reads(self, steps: Mapping[str, tuple[int, dict[str, Any]]], needs: Needs) -> None:
        for step_id, (i, step) in steps.items():
            for j, ref in enumerate(_strings(step.get("reads"))):
                up, dot, out = ref.partition(".")
                if not dot or not out:
                    continue  # the meta-schema reports the form of the reference
                path = ("steps", i, "reads", j)
                name = f"step '{step_id}'"
                if up not in steps:
                    self.error(path, f"{name}: reads '{ref}' from unknown step '{up}'"
                                     f"{did_you_mean(up, steps)}")
                    continue
                published = _strings(steps[up][1].get("outputs"))
                if out not in published:
                    what = f"it publishes: {', '.join(published)}" if published else \
                        "it publishes no outputs"
                    self.error(path, f"{name}: reads '{ref}' but step '{up}' does not publish "
                                     f"'{out}'{did_you_mean(out, published)}; {what}")
                    continue
                if up == step_id or not needs.finished_before(up, step_id):
                    reason = ("it only waits for the preliminary opinion of an upstream step, "
                              "before the value exists" if needs.waits_for(step_id, up) else
                              "the two run in parallel or in the other order")
                    self.error(path, f"{name}: reads '{ref}' but '{up}' is not guaranteed to "
                                     f"have approved before '{step_id}' starts ({reason}); add "
                                     f"'{up}' to the needs of '{step_id}'")
                elif "when" in steps[up][1]:
                    self.warning(path, f"{name}: reads '{ref}' from a conditional step; the "
                                       f"value is empty for cases where '{up}' does not apply")

    def limits(self, steps: Mapping[str, tuple[int, dict[str, Any]]]) -> None:
        """The promised time_limit must cover the plan. When every need is valid, the
        steps compiled and the plan made here are kept for loading (``compiled``, ``plan``)."""
        limit = self.doc.get("time_limit")
        compiled = []
        complete = True  # every need of every step is valid: these are the matter's steps
        for step_id, (_, step) in steps.items():
            if not (_is_number(step.get("days")) and step["days"] > 0):
                return
            needs = step.get("needs", [])
            valid = [n for n in needs if _valid_need(n, step_id, steps)] if isinstance(
                needs, list) else []
            whole = isinstance(needs, list) and len(valid) == len(needs)
            complete = complete and whole
            try:
                compiled.append(compile_step(step if whole else {**step, "needs": valid}))
            except (KeyError, TypeError, ValueError):
                return
        matter_id, version = self.doc.get("id"), self.doc.get("version", 1)
        every = tuple(compiled)
        plan = plan_steps(str(matter_id), version if isinstance(version, int) else 1, every,
                          every)
        if complete:
            self.compiled, self.plan = every, plan
        if _is_number(limit) and days(limit) < plan.parallel_days:
            self.error(("time_limit",), f"time_limit {limit} is shorter than the plan's "
                                        f"parallel_days {number(plan.parallel_days)} (critical "
                                        f"path: {' -> '.join(plan.critical_path)})")

    def unused_materials(self, steps: Mapping[str, tuple[int, dict[str, Any]]],
                         materials: Mapping[str, tuple[int, dict[str, Any]]]) -> None:
        used = {m for _, step in steps.values() for m in _strings(step.get("materials"))}
        for mat_id, (i, _) in materials.items():
            if mat_id not in used:
                self.warning(("materials", i, "id"), f"material '{mat_id}' is not used by any "
                                                     "step's reviewers")


def _valid_need(entry: Any, step_id: str, steps: Mapping[str, Any]) -> bool:
    target = entry if isinstance(entry, str) else (
        entry.get("step") if isinstance(entry, dict) else None)
    if not isinstance(target, str) or target not in steps or target == step_id:
        return False
    if isinstance(entry, dict) and entry.get("at") == "preliminary":
        return _is_number(steps[target][1].get("preliminary_days"))
    return not isinstance(entry, dict) or entry.get("at", "finish") in ("finish", "preliminary")


def _owner(path: Path_, doc: Any) -> str:
    if path and path[0] in ("steps", "materials"):
        return describe(path[:2], doc)
    return describe(path[:3] if path and path[0] == "ui" else path[:1], doc)


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _form_fields(doc: Mapping[str, Any]) -> list[str] | None:
    form = doc.get("form")
    props = form.get("properties") if isinstance(form, dict) else None
    return list(props) if isinstance(props, dict) else None


def _schema_has_path(schema: Any, parts: list[str]) -> bool:
    node = schema
    for part in parts:
        while isinstance(node, dict) and node.get("type") == "array":
            node = node.get("items")
        props = node.get("properties") if isinstance(node, dict) else None
        if not isinstance(props, dict) or part not in props:
            return False
        node = props[part]
    return True


def _condition_properties(block: Any, path: Path_) -> Iterator[tuple[Path_, str]]:
    """Top-level property names a condition fragment tests, with their paths."""
    if not isinstance(block, dict):
        return
    props = block.get("properties")
    if isinstance(props, dict):
        for name in props:
            yield (*path, "properties", name), name
    for i, name in enumerate(_strings(block.get("required"))):
        yield (*path, "required", i), name
    for key in ("allOf", "anyOf", "oneOf"):
        subs = block.get(key)
        for i, sub in enumerate(subs if isinstance(subs, list) else []):
            yield from _condition_properties(sub, (*path, key, i))
    if isinstance(block.get("not"), dict):
        yield from _condition_properties(block["not"], (*path, "not"))


