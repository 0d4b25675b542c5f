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
from builder.fields import condition_properties, form_fields, schema_has_path
from builder.metaschema import Place, check_json_schema, english, place
from builder.names import closest, hint_text
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

    def error(self, path: Path_, message: str, code: str, params: Mapping[str, Any], *,
              key: bool = False, severity: str = "error") -> None:
        self.problems.append(self.src.problem(path, message, key=key, severity=severity,
                                              code=code, params=params))

    def warning(self, path: Path_, message: str, code: str, params: Mapping[str, Any], *,
                key: bool = False) -> None:
        self.error(path, message, code, params, key=key, severity="warning")

    def run(self, expected_id: str | None) -> list[Problem]:
        doc = self.doc
        if expected_id and isinstance(doc.get("id"), str) and doc["id"] != expected_id:
            self.error(("id",), f"matter id '{doc['id']}' must equal its file name "
                                f"'{expected_id}'", "id_not_file_name",
                       {"id": doc["id"], "expected": expected_id})
        self.department_ref(("lead",), doc.get("lead"), ("", "", "lead"))
        limit, statutory = doc.get("time_limit"), doc.get("statutory_limit")
        if _is_number(limit) and _is_number(statutory) and limit > statutory:
            self.error(("time_limit",), f"time_limit (promised, {limit} working days) is longer "
                                        f"than statutory_limit ({statutory}); the promise must "
                                        "not exceed the law", "promise_over_statutory",
                       {"limit": limit, "statutory": statutory})
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
        self.deferrals(steps, materials)
        return self.problems

    # -- references -------------------------------------------------------------

    def department_ref(self, path: Path_, dept: Any, where: Place) -> None:
        if self.departments is None or not isinstance(dept, str):
            return
        if dept not in self.departments:
            hint = closest(dept, self.departments)
            self.error(path, f"{english(where)}: unknown department '{dept}'{hint_text(hint)}",
                       "unknown_department", {"where": where, "department": dept, "hint": hint})

    def unique(self, key: str, kind: str) -> dict[str, tuple[int, dict[str, Any]]]:
        seen: dict[str, tuple[int, dict[str, Any]]] = {}
        for i, item in _items(self.doc, key):
            if item["id"] in seen:
                first = self.src.where((key, seen[item["id"]][0]))[0]
                self.error((key, i, "id"), f"duplicate {kind} id '{item['id']}' "
                                           f"(first defined on line {first})", "duplicate_id",
                           {"kind": kind, "id": item["id"], "first": first})
            else:
                seen[item["id"]] = (i, item)
        return seen

    def schemas(self) -> None:
        if isinstance(self.doc.get("form"), dict):
            self.problems.extend(check_json_schema(self.src, ("form",), "form"))
            self.condition_fields(("form",), self.doc["form"], top=True)
        for i, item in _items(self.doc, "materials"):
            if isinstance(item.get("when"), dict):
                self.condition(("materials", i, "when"))
        for i, item in _items(self.doc, "steps"):
            if isinstance(item.get("when"), dict):
                self.condition(("steps", i, "when"))
            if isinstance(item.get("form"), dict):
                self.problems.extend(check_json_schema(self.src, ("steps", i, "form"),
                                                       "step_form"))
        self.fees()

    def fees(self) -> None:
        """Fee conditions name form fields; a fee per unit names a numeric field."""
        fees = self.doc.get("fees") if isinstance(self.doc, dict) else None
        for i, fee in enumerate(fees if isinstance(fees, list) else []):
            if not isinstance(fee, dict):
                continue
            if isinstance(fee.get("when"), dict):
                self.condition(("fees", i, "when"))
            exempts = fee.get("exempt")
            for j, exempt in enumerate(exempts if isinstance(exempts, list) else []):
                if isinstance(exempt, dict) and isinstance(exempt.get("when"), dict):
                    self.condition(("fees", i, "exempt", j, "when"))
            per = fee.get("per")
            name = per.get("field") if isinstance(per, dict) else None
            props = (self.doc.get("form") or {}).get("properties") \
                if isinstance(self.doc.get("form"), dict) else None
            if isinstance(name, str) and isinstance(props, dict):
                kind = props.get(name, {}).get("type") if isinstance(props.get(name),
                                                                      dict) else None
                if kind not in ("number", "integer"):
                    fields = [k for k, v in props.items() if isinstance(v, dict)
                              and v.get("type") in ("number", "integer")]
                    hint = closest(name, fields)
                    self.error(("fees", i, "per", "field"),
                               f"fee #{i + 1}: 'per' names '{name}', which is not a numeric "
                               f"form field{hint_text(hint)}", "fee_per_not_a_number",
                               {"field": name, "hint": hint})

    def condition(self, path: Path_) -> None:
        self.problems.extend(check_json_schema(self.src, path, "condition"))
        node: Any = self.src.value
        for part in path:
            node = node[part]
        self.condition_fields(path, node, top=False)

    def condition_fields(self, path: Path_, schema: Any, *, top: bool) -> None:
        """A condition naming a field the form does not have is a typo, not a rule."""
        fields = form_fields(self.doc)
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
            for prop_path, name in condition_properties(block, block_path):
                if name not in fields:
                    owner, hint = _owner(path, self.doc), closest(name, fields)
                    self.error(prop_path, f"{english(owner)}: the condition refers to '{name}', "
                                          f"which is not a form field{hint_text(hint)}",
                               "condition_not_a_field",
                               {"where": owner, "field": name, "hint": hint}, key=True)

    def ui(self) -> None:
        ui = self.doc.get("ui")
        fields = form_fields(self.doc)
        if not isinstance(ui, dict) or fields is None:
            return
        for i, name in enumerate(_strings(ui.get("order"))):
            if name not in fields:
                hint = closest(name, fields)
                self.error(("ui", "order", i), f"ui.order: '{name}' is not a form field"
                                               f"{hint_text(hint)}", "ui_not_a_field",
                           {"section": "ui.order", "field": name, "hint": hint})
        if isinstance(ui.get("fields"), dict):
            for name, hints in ui["fields"].items():
                if not schema_has_path(self.doc["form"], name.split(".")):
                    hint = closest(name, fields)
                    self.error(("ui", "fields", name), f"ui.fields: '{name}' is not a form field"
                                                       f"{hint_text(hint)}", "ui_not_a_field",
                               {"section": "ui.fields", "field": name, "hint": hint}, key=True)
                elif isinstance(hints, dict) and isinstance(hints.get("visible_when"), dict):
                    self.condition(("ui", "fields", name, "visible_when"))

    def steps(self, steps: Mapping[str, tuple[int, dict[str, Any]]],
              materials: Mapping[str, Any]) -> None:
        for step_id, (i, step) in steps.items():
            where: Path_ = ("steps", i)
            at: Place = ("step", step_id, "")
            name = english(at)
            if "department" in step and "departments" in step:
                self.error((*where, "departments"), f"{name}: give either 'department' or "
                                                    "'departments', not both",
                           "department_twice", {"where": at}, key=True)
            elif "department" not in step and "departments" not in step:
                self.error(where, f"{name}: missing 'department' (or 'departments' for a "
                                  "step approved by several departments)",
                           "department_missing", {"where": at})
            if isinstance(step.get("department"), str):
                self.department_ref((*where, "department"), step["department"], at)
            for j, dept in enumerate(_strings(step.get("departments"))):
                self.department_ref((*where, "departments", j), dept, at)
            if "join" in step and len(_strings(step.get("departments"))) < 2:
                self.warning((*where, "join"), f"{name}: 'join' only matters when several "
                                               "departments approve the step",
                             "join_needs_departments", {"where": at}, key=True)
            for j, mat in enumerate(_strings(step.get("materials"))):
                if mat not in materials:
                    hint = closest(mat, materials)
                    self.error((*where, "materials", j), f"{name}: unknown material '{mat}'"
                                                         f"{hint_text(hint)}", "unknown_material",
                               {"where": at, "material": mat, "hint": hint})
            self.preliminary(where, at, step)
            self.needs(where, at, step, steps)
            self.outputs(where, at, step)

    def preliminary(self, where: Path_, at: Place, step: dict[str, Any]) -> None:
        p, d = step.get("preliminary_days"), step.get("days")
        if _is_number(p) and _is_number(d) and p >= d:
            self.error((*where, "preliminary_days"), f"{english(at)}: preliminary_days ({p}) "
                                                     f"must be less than days ({d})",
                       "preliminary_not_shorter", {"where": at, "preliminary": p, "days": d})

    def needs(self, where: Path_, at: Place, step: dict[str, Any],
              steps: Mapping[str, tuple[int, dict[str, Any]]]) -> None:
        raw, name = step.get("needs"), english(at)
        for j, entry in enumerate(raw if isinstance(raw, list) else []):
            target = entry if isinstance(entry, str) else (
                entry.get("step") if isinstance(entry, dict) else None)
            if not isinstance(target, str):
                continue
            path = (*where, "needs", j)
            params = {"where": at, "step": target}
            if target == step["id"]:
                self.error(path, f"{name} cannot need itself", "needs_itself", params)
            elif target not in steps:
                hint = closest(target, steps)
                self.error(path, f"{name}: needs unknown step '{target}'{hint_text(hint)}",
                           "unknown_step", {**params, "hint": hint})
            elif isinstance(entry, dict) and entry.get("at") == "preliminary":
                upstream = steps[target][1]
                if not _is_number(upstream.get("preliminary_days")):
                    self.error(path, f"{name}: starts at the preliminary opinion of "
                                     f"'{target}', but '{target}' has no preliminary_days",
                               "no_preliminary_opinion", params)

    def outputs(self, where: Path_, at: Place, step: dict[str, Any]) -> None:
        outputs = _strings(step.get("outputs"))
        form = step.get("form")
        props = form.get("properties") if isinstance(form, dict) else None
        fields = list(props) if isinstance(props, dict) else []
        for j, out in enumerate(outputs):
            if out not in fields:
                hint = closest(out, fields)
                self.error((*where, "outputs", j),
                           f"{english(at)}: output '{out}' is not a field of the step's form"
                           f"{hint_text(hint)}"
                           + (f"; its fields are: {', '.join(fields)}" if fields else
                              "; add a 'form' with that field"), "output_not_in_form",
                           {"where": at, "output": out, "hint": hint, "fields": tuple(fields)})
        cert = step.get("certificate")
        if isinstance(cert, dict) and isinstance(cert.get("number"), str) \
                and cert["number"] not in outputs:
            hint = closest(cert["number"], outputs)
            self.error((*where, "certificate", "number"),
                       f"{english(at)}: the certificate number '{cert['number']}' must be one "
                       f"of the step's outputs{hint_text(hint)}", "certificate_not_an_output",
                       {"where": at, "number": cert["number"], "hint": hint})

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
                   "the next; remove one of the needs)", "cycle", {"steps": tuple(names)},
                   key=True)
        return None

    def reads(self, steps: Mapping[str, tuple[int, dict[str, Any]]], needs: Needs) -> None:
        for step_id, (i, step) in steps.items():
            for j, ref in enumerate(_strings(step.get("reads"))):
                up, dot, out = ref.partition(".")
                if not dot or not out:
                    continue  # the meta-schema reports the form of the reference
                path = ("steps", i, "reads", j)
                at: Place = ("step", step_id, "")
                name, params = english(at), {"where": at, "ref": ref, "step": up}
                if up not in steps:
                    hint = closest(up, steps)
                    self.error(path, f"{name}: reads '{ref}' from unknown step '{up}'"
                                     f"{hint_text(hint)}", "read_unknown_step",
                               {**params, "hint": hint})
                    continue
                published = _strings(steps[up][1].get("outputs"))
                if out not in published:
                    hint = closest(out, published)
                    what = f"it publishes: {', '.join(published)}" if published else \
                        "it publishes no outputs"
                    self.error(path, f"{name}: reads '{ref}' but step '{up}' does not publish "
                                     f"'{out}'{hint_text(hint)}; {what}", "read_not_published",
                               {**params, "output": out, "hint": hint,
                                "published": tuple(published)})
                    continue
                if up == step_id or not needs.finished_before(up, step_id):
                    staged = needs.waits_for(step_id, up)
                    reason = ("it only waits for the preliminary opinion of an upstream step, "
                              "before the value exists" if staged else
                              "the two run in parallel or in the other order")
                    self.error(path, f"{name}: reads '{ref}' but '{up}' is not guaranteed to "
                                     f"have approved before '{step_id}' starts ({reason}); add "
                                     f"'{up}' to the needs of '{step_id}'", "read_not_upstream",
                               {**params, "reader": step_id, "staged": staged})
                elif "when" in steps[up][1]:
                    self.warning(path, f"{name}: reads '{ref}' from a conditional step; the "
                                       f"value is empty for cases where '{up}' does not apply",
                                 "read_conditional", params)

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
                                        f"path: {' -> '.join(plan.critical_path)})",
                       "time_limit_too_short", {"limit": limit, "parallel_days": number(
                           plan.parallel_days), "critical_path": tuple(plan.critical_path)})

    def unused_materials(self, steps: Mapping[str, tuple[int, dict[str, Any]]],
                         materials: Mapping[str, tuple[int, dict[str, Any]]]) -> None:
        used = {m for _, step in steps.values() for m in _strings(step.get("materials"))}
        for mat_id, (i, _) in materials.items():
            if mat_id not in used:
                self.warning(("materials", i, "id"), f"material '{mat_id}' is not used by any "
                                                     "step's reviewers", "unused_material",
                             {"material": mat_id})


    def deferrals(self, steps: Mapping[str, tuple[int, dict[str, Any]]],
                  materials: Mapping[str, tuple[int, dict[str, Any]]]) -> None:
        """A deferral rule belongs to a deferrable material and names a known step."""
        for mat_id, (i, mat) in materials.items():
            rule = [k for k in ("deferred_days", "deferred_after") if k in mat]
            if rule and not mat.get("deferrable"):
                self.error(("materials", i, rule[0]), f"material '{mat_id}': {rule[0]} needs "
                                                      "'deferrable: true'",
                           "deferral_not_deferrable", {"material": mat_id, "key": rule[0]},
                           key=True)
            after = mat.get("deferred_after")
            if isinstance(after, str) and after not in steps:
                hint = closest(after, steps)
                self.error(("materials", i, "deferred_after"),
                           f"material '{mat_id}': deferred_after names unknown step '{after}'"
                           f"{hint_text(hint)}", "deferral_unknown_step",
                           {"material": mat_id, "step": after, "hint": hint})
            if "deferred_after" in mat and "deferred_days" not in mat:
                self.error(("materials", i, "deferred_after"), f"material '{mat_id}': "
                           "deferred_after needs deferred_days (how many days after it)",
                           "deferral_without_days", {"material": mat_id}, key=True)


def _valid_need(entry: Any, step_id: str, steps: Mapping[str, Any]) -> bool:
    target = entry if isinstance(entry, str) else (
        entry.get("step") if isinstance(entry, dict) else None)
    if not isinstance(target, str) or target not in steps or target == step_id:
        return False
    if isinstance(entry, dict) and entry.get("at") == "preliminary":
        return _is_number(steps[target][1].get("preliminary_days"))
    return not isinstance(entry, dict) or entry.get("at", "finish") in ("finish", "preliminary")


def _owner(path: Path_, doc: Any) -> Place:
    if path and path[0] in ("steps", "materials"):
        return place(path[:2], doc)
    return place(path[:3] if path and path[0] == "ui" else path[:1], doc)


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
