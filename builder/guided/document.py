"""Reading a matter document into the guided model (``from_doc``) and writing it back
(``to_doc``): the keys the model edits are computed, everything else is kept verbatim."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from builder.guided.conditions import condition_schema, parse_simple_condition
from builder.guided.model import (
    DEFAULT_ACCEPT,
    Condition,
    FieldType,
    GuidedFee,
    GuidedField,
    GuidedMaterial,
    GuidedMatter,
    GuidedNeed,
    GuidedStep,
    GuidedStepField,
)
from builder.guided.values import _same

_BASE_TYPE = {"string": "string", "textarea": "string", "date": "string", "email": "string",
              "enum": "string", "number": "number", "integer": "integer", "boolean": "boolean"}
# Canonical key order (docs/catalog.md); keys not listed follow in their own order.
MATTER_KEYS = ("id", "name", "version", "category", "lead", "time_limit", "statutory_limit",
               "notice", "conditions", "fees", "form", "ui", "register", "materials", "steps")
MATERIAL_KEYS = ("id", "name", "required", "when", "accept", "max_mb", "deferrable",
                 "deferred_days", "deferred_after", "copies", "original", "certificate", "note")
STEP_KEYS = ("id", "name", "department", "departments", "join", "days", "preliminary_days",
             "needs", "when", "materials", "form", "outputs", "reads", "certificate",
             "on_timeout", "reply_options", "note")
_FORM_KEYS = ("type", "title", "description", "required", "properties")
_SCHEMA_KEYS = ("type", "title", "description", "enum", "format", "minLength", "maxLength",
                "minimum", "maximum", "pattern", "default")
_HINT_KEYS = ("help", "placeholder", "widget", "visible_when")


# -- document helpers ---------------------------------------------------------------

def _put(out: dict[str, Any], key: str, value: Any, default: Any) -> None:
    """Write ``key`` unless its value is the default (which a user would not write)."""
    value = list(value) if isinstance(value, tuple) else value
    if not _same(value, list(default) if isinstance(default, tuple) else default):
        out[key] = copy.deepcopy(value)


Equiv = Mapping[str, Callable[[Any, Any], bool]]


def _merge(computed: dict[str, Any], extra: Mapping[str, Any], keys: Iterable[str],
           equiv: Equiv | None = None) -> dict[str, Any]:
    """``computed`` plus the verbatim keys of ``extra``: those it lacks, and those whose
    written spelling still means what ``computed`` says (``equiv``)."""
    out = dict(computed)
    for key, value in extra.items():
        if key not in out or (equiv and key in equiv and equiv[key](value, out[key])):
            out[key] = copy.deepcopy(value)
    first = [k for k in keys if k in out]
    return {k: out[k] for k in [*first, *(k for k in out if k not in first)]}


def _leftover(doc: Mapping[str, Any], computed: Mapping[str, Any]) -> dict[str, Any]:
    """The keys of ``doc`` that ``computed`` does not reproduce: kept verbatim."""
    return {k: copy.deepcopy(v) for k, v in doc.items()
            if k not in computed or not _same(computed[k], v)}


def _same_set(value: Any, computed: Any) -> bool:
    return isinstance(value, list) and sorted(map(str, value)) == sorted(map(str, computed))


def _same_needs(value: Any, computed: Any) -> bool:
    return isinstance(value, list) and [_read_need(v) for v in value] == [
        _read_need(c) for c in computed]


def _same_certificate(value: Any, computed: Any) -> bool:
    return _certificate_key(value) == _certificate_key(computed)


def _certificate_key(value: Any) -> tuple[Any, Any]:
    if isinstance(value, dict):
        return value.get("name"), value.get("number") or ""
    return value, ""


def _read_condition(schema: Any) -> Condition | None:
    if schema is None:
        return None
    return parse_simple_condition(schema) or copy.deepcopy(schema)


# -- the applicant form ---------------------------------------------------------------

def _field_type(schema: Any, hint: Mapping[str, Any]) -> FieldType:
    kind = schema.get("type") if isinstance(schema, dict) else None
    if kind in ("number", "integer", "boolean"):
        return kind
    if kind != "string":
        return "raw"
    if "enum" in schema:
        return "enum"
    if schema.get("format") in ("date", "email"):
        return schema["format"]
    return "textarea" if hint.get("widget") == "textarea" else "string"


def _field_schema(f: GuidedField) -> Any:
    if f.type == "raw":
        return copy.deepcopy(f.raw)
    out: dict[str, Any] = {"type": _BASE_TYPE[f.type]}
    _put(out, "title", f.title, "")
    _put(out, "description", f.description, "")
    if f.type == "enum":
        out["enum"] = copy.deepcopy(list(f.options))
    if f.type in ("date", "email"):
        out["format"] = f.type
    for key, value in (("minLength", f.min_length), ("maxLength", f.max_length),
                       ("minimum", f.minimum), ("maximum", f.maximum)):
        _put(out, key, value, None)
    _put(out, "pattern", f.pattern, "")
    _put(out, "default", f.default, None)
    return _merge(out, f.extra, _SCHEMA_KEYS)


def _field_hint(f: GuidedField) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _put(out, "help", f.help, "")
    _put(out, "placeholder", f.placeholder, "")
    _put(out, "widget", "textarea" if f.type == "textarea" else f.widget, "")
    if f.visible_when is not None:
        out["visible_when"] = condition_schema(f.visible_when)
    return _merge(out, f.hint_extra, _HINT_KEYS)


def _read_field(name: str, schema: Any, hint: Any, required: bool) -> GuidedField:
    hint = hint if isinstance(hint, dict) else {}
    kind = _field_type(schema, hint)
    f = GuidedField(name, kind, required=required, help=hint.get("help", ""),
                    placeholder=hint.get("placeholder", ""),
                    widget="" if kind == "textarea" else hint.get("widget", ""),
                    visible_when=_read_condition(hint.get("visible_when")))
    if kind == "raw":
        f = replace(f, raw=copy.deepcopy(schema))
    else:
        get = schema.get
        f = replace(f, title=get("title", ""), description=get("description", ""),
                    options=tuple(copy.deepcopy(get("enum"))) if kind == "enum" else (),
                    minimum=get("minimum"), maximum=get("maximum"),
                    min_length=get("minLength"), max_length=get("maxLength"),
                    pattern=get("pattern", ""), default=copy.deepcopy(get("default")))
        f = replace(f, extra=_leftover(schema, _field_schema(f)))
    return replace(f, hint_extra=_leftover(hint, _field_hint(f)))


def _required_equiv(names: Iterable[str]) -> Equiv:
    known = set(names)
    # A reordered ``required`` stays as written while it requires the same fields.
    return {"required": lambda v, c: isinstance(v, list) and {
        n for n in v if n in known} == set(c)}


def _form_doc(g: GuidedMatter) -> dict[str, Any]:
    form: dict[str, Any] = {"type": "object"}
    required = [f.name for f in g.fields if f.required]
    if required:
        form["required"] = required
    if g.fields:
        form["properties"] = {f.name: _field_schema(f) for f in g.fields}
    return _merge(form, g.form_extra, _FORM_KEYS, _required_equiv(f.name for f in g.fields))


def _ui_doc(g: GuidedMatter) -> dict[str, Any]:
    ui: dict[str, Any] = {}
    if g.field_order is not None:
        ui["order"] = list(g.field_order)
    hints: dict[str, Any] = {}
    by_name = {f.name: f for f in g.fields}
    for name in g.display_order:  # each field's hints, then those of its nested fields
        hint = _field_hint(by_name[name])
        if hint:
            hints[name] = hint
        hints.update({path: copy.deepcopy(h) for path, h in g.hints_extra.items()
                      if path.split(".")[0] == name and path not in hints})
    hints.update({p: copy.deepcopy(h) for p, h in g.hints_extra.items() if p not in hints})
    if hints:
        ui["fields"] = hints
    return _merge(ui, g.ui_extra, ("order", "fields"))


# -- materials, fees, steps -----------------------------------------------------------

def _material_doc(m: GuidedMaterial) -> dict[str, Any]:
    out: dict[str, Any] = {"id": m.id, "name": m.name}
    _put(out, "required", m.required, True)
    if m.when is not None:
        out["when"] = condition_schema(m.when)
    for key, default in (("accept", DEFAULT_ACCEPT), ("max_mb", 20), ("deferrable", False),
                         ("copies", 1), ("original", False), ("note", "")):
        _put(out, key, getattr(m, key), default)
    return _merge(out, m.extra, MATERIAL_KEYS)


def _read_material(doc: Mapping[str, Any]) -> GuidedMaterial:
    get: Callable[..., Any] = doc.get
    m = GuidedMaterial(get("id"), get("name"), get("required", True),
                       _read_condition(get("when")), tuple(get("accept", DEFAULT_ACCEPT)),
                       get("max_mb", 20), get("deferrable", False), get("copies", 1),
                       get("original", False), get("note", ""))
    return replace(m, extra=_leftover(doc, _material_doc(m)))


def _fee_doc(fee: GuidedFee) -> dict[str, Any]:
    out: dict[str, Any] = {"name": fee.name}
    if fee.amount is not None:  # a fee `per` unit has no fixed amount
        out["amount"] = fee.amount
    _put(out, "basis", fee.basis, "")
    return _merge(out, fee.extra, ("name", "amount", "basis"))


def _read_fee(doc: Mapping[str, Any]) -> GuidedFee:
    get: Callable[..., Any] = doc.get
    fee = GuidedFee(get("name"), get("amount"), get("basis", ""))
    return replace(fee, extra=_leftover(doc, _fee_doc(fee)))


def _need_doc(need: GuidedNeed) -> Any:
    return need.step if need.at == "finish" else {"step": need.step, "at": need.at}


def _read_need(raw: Any) -> GuidedNeed:
    if isinstance(raw, dict):
        get: Callable[..., Any] = raw.get
        return GuidedNeed(get("step"), get("at", "finish"))
    return GuidedNeed(raw)


def _step_field_schema(f: GuidedStepField) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _put(out, "type", f.type, "")
    _put(out, "title", f.title, "")
    _put(out, "description", f.description, "")
    _put(out, "pattern", f.pattern, "")
    return _merge(out, f.extra, _SCHEMA_KEYS)


def _step_form_doc(s: GuidedStep) -> dict[str, Any]:
    form: dict[str, Any] = {"type": "object"}
    required = [f.name for f in s.fields if f.required]
    if required:
        form["required"] = required
    if s.fields:
        form["properties"] = {f.name: _step_field_schema(f) for f in s.fields}
    return _merge(form, s.form_extra, _FORM_KEYS, _required_equiv(f.name for f in s.fields))


def _read_step_form(form: Any, outputs: Any) -> tuple[tuple[GuidedStepField, ...],
                                                        dict[str, Any]] | None:
    """The reviewer's form as fields, or None when it is kept raw (unusual shapes)."""
    props = form.get("properties", {}) if isinstance(form, dict) else None
    required = form.get("required", []) if isinstance(form, dict) else None
    if not (isinstance(props, dict) and isinstance(required, list)
            and all(isinstance(p, dict) for p in props.values())
            and isinstance(outputs, list) and set(outputs) <= set(props)):
        return None
    fields = []
    for name, schema in props.items():
        f = GuidedStepField(name, schema.get("title", ""), schema.get("type", ""),
                            schema.get("pattern", ""), name in required, name in outputs,
                            schema.get("description", ""))
        fields.append(replace(f, extra=_leftover(schema, _step_field_schema(f))))
    base = GuidedStep("", "", (), 0, fields=tuple(fields))
    return base.fields, _leftover(form, _step_form_doc(base))


def _step_doc(s: GuidedStep) -> dict[str, Any]:
    out: dict[str, Any] = {"id": s.id, "name": s.name}
    if len(s.departments) == 1 and not s.listed:
        out["department"] = s.departments[0]
    elif s.departments:
        out["departments"] = list(s.departments)
    _put(out, "join", s.join, "all")
    _put(out, "days", s.days, None)
    _put(out, "preliminary_days", s.preliminary_days, None)
    if s.needs:
        out["needs"] = [_need_doc(n) for n in s.needs]
    if s.when is not None:
        out["when"] = condition_schema(s.when)
    _put(out, "materials", s.materials, ())
    if s.fields or s.form_extra:
        out["form"] = _step_form_doc(s)
    _put(out, "outputs", tuple(f.name for f in s.fields if f.output), ())
    _put(out, "reads", s.reads, ())
    if s.certificate_number:
        out["certificate"] = {"name": s.certificate, "number": s.certificate_number}
    else:
        _put(out, "certificate", s.certificate, "")
    _put(out, "on_timeout", s.on_timeout, "none")
    _put(out, "reply_options", s.reply_options, ())
    _put(out, "note", s.note, "")
    return _merge(out, s.extra, STEP_KEYS, {"needs": _same_needs, "outputs": _same_set,
                                            "certificate": _same_certificate})


def _read_step(doc: Mapping[str, Any]) -> GuidedStep:
    get: Callable[..., Any] = doc.get
    raw_departments = get("departments")
    listed = isinstance(raw_departments, list)
    departments = tuple(raw_departments) if isinstance(raw_departments, list) else (
        (get("department"),) if "department" in doc else ())
    form = _read_step_form(get("form"), get("outputs", [])) if "form" in doc else None
    cert = get("certificate", "")
    s = GuidedStep(get("id"), get("name"), departments, get("days"),
                   listed=listed and len(departments) == 1, join=get("join", "all"),
                   preliminary_days=get("preliminary_days"),
                   needs=tuple(_read_need(n) for n in get("needs", [])),
                   when=_read_condition(get("when")), materials=tuple(get("materials", [])),
                   fields=form[0] if form else (), reads=tuple(get("reads", [])),
                   certificate=cert.get("name", "") if isinstance(cert, dict) else cert,
                   certificate_number=cert.get("number", "") if isinstance(cert, dict) else "",
                   on_timeout=get("on_timeout", "none"),
                   reply_options=tuple(get("reply_options", [])), note=get("note", ""),
                   form_extra=form[1] if form else {})
    return replace(s, extra=_leftover(doc, _step_doc(s)))


# -- the whole matter -----------------------------------------------------------------

def to_doc(g: GuidedMatter) -> dict[str, Any]:
    """The matter document: what a power user writes, keys in the catalog.md order."""
    doc: dict[str, Any] = {}
    for key in ("id", "name"):
        _put(doc, key, getattr(g, key), None)
    _put(doc, "version", g.version, 1)
    _put(doc, "category", g.category, "")
    for key in ("lead", "time_limit", "statutory_limit"):
        _put(doc, key, getattr(g, key), None)
    _put(doc, "notice", g.notice, "")
    _put(doc, "conditions", g.conditions, "")
    if g.fees:
        doc["fees"] = [_fee_doc(f) for f in g.fees]
    doc["form"] = _form_doc(g)
    ui = _ui_doc(g)
    if ui:
        doc["ui"] = ui
    if g.materials:
        doc["materials"] = [_material_doc(m) for m in g.materials]
    doc["steps"] = [_step_doc(s) for s in g.steps]
    return _merge(doc, g.extra, MATTER_KEYS)


def from_doc(doc: Mapping[str, Any]) -> GuidedMatter:
    """The guided model of a matter document that passes the meta-schema."""
    get: Callable[..., Any] = doc.get
    form, ui = _dict(get("form")), _dict(get("ui"))
    hints, props = _dict(ui.get("fields")), _dict(form.get("properties"))
    required: list[Any] = form["required"] if isinstance(form.get("required"), list) else []
    order = ui.get("order")
    g = GuidedMatter(
        get("id"), get("name"), get("lead"), get("time_limit"), get("statutory_limit"),
        get("version", 1), get("category", ""), get("notice", ""), get("conditions", ""),
        fees=tuple(_read_fee(f) for f in get("fees", [])),
        fields=tuple(_read_field(n, s, hints.get(n), n in required) for n, s in props.items()),
        field_order=tuple(order) if isinstance(order, list) else None,
        materials=tuple(_read_material(m) for m in get("materials", [])),
        steps=tuple(_read_step(s) for s in get("steps", [])))
    g = replace(g, form_extra=_leftover(form, _form_doc(g)))
    computed = _ui_doc(g).get("fields", {})
    g = replace(g, hints_extra={p: copy.deepcopy(h) for p, h in hints.items()
                                if p not in computed or not _same(computed[p], h)})
    g = replace(g, ui_extra=_leftover(ui, _ui_doc(g)))
    return replace(g, extra=_leftover(doc, to_doc(g)))


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
