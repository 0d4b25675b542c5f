"""The guided editor's model of a matter: web forms instead of YAML, the same document out.

``from_doc`` reads a matter document (plain dicts, as ``builder.source`` reads it) into
frozen dataclasses; ``to_doc`` writes that document back with the keys a power user
writes, in the order of docs/catalog.md. What the model does not edit — nested form
objects, ``allOf`` rules, defaults written out (``copies: 1``), unusual spellings
(``needs: [{step: a}]``) — is kept verbatim in ``extra``/``raw``, so for every valid
matter document ``to_doc(from_doc(doc)) == doc``. The edit helpers return a new model
in that canonical form (``from_doc(to_doc(g)) == g``).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import yaml

from builder.errors import BuilderError

Number = int | float
FieldType = Literal["string", "textarea", "number", "integer", "boolean", "date", "email",
                    "enum", "raw"]
Op = Literal["equals", "not_equals", "at_least", "at_most", "one_of"]
DEFAULT_ACCEPT = ("pdf", "jpg", "jpeg", "png")
_BASE_TYPE = {"string": "string", "textarea": "string", "date": "string", "email": "string",
              "enum": "string", "number": "number", "integer": "integer", "boolean": "boolean"}
# Canonical key order (docs/catalog.md); keys not listed follow in their own order.
MATTER_KEYS = ("id", "name", "version", "category", "lead", "time_limit", "statutory_limit",
               "notice", "conditions", "fees", "form", "ui", "materials", "steps")
MATERIAL_KEYS = ("id", "name", "required", "when", "accept", "max_mb", "deferrable", "copies",
                 "original", "note")
STEP_KEYS = ("id", "name", "department", "departments", "join", "days", "preliminary_days",
             "needs", "when", "materials", "form", "outputs", "reads", "certificate",
             "on_timeout", "reply_options", "note")
_FORM_KEYS = ("type", "title", "description", "required", "properties")
_SCHEMA_KEYS = ("type", "title", "description", "enum", "format", "minLength", "maxLength",
                "minimum", "maximum", "pattern", "default")
_HINT_KEYS = ("help", "placeholder", "widget", "visible_when")


class GuidedError(BuilderError):
    """An edit the guided editor refuses (a duplicate id, a field still in use)."""


@dataclass(frozen=True)
class SimpleCondition:
    """A condition the guided editor shows as one line: ``field`` ``op`` ``value``."""

    field: str
    op: Op
    value: Any  # a scalar; a tuple of scalars for ``one_of``


Condition = SimpleCondition | Mapping[str, Any]  # simple, or a raw JSON Schema fragment


@dataclass(frozen=True)
class GuidedField:
    """A top-level field of the applicant form (``type="raw"``: kept as written)."""

    name: str
    type: FieldType = "string"
    title: str = ""
    required: bool = False
    help: str = ""
    placeholder: str = ""
    widget: str = ""  # explicit ui widget; a textarea is ``type="textarea"``
    description: str = ""
    options: tuple[Any, ...] = ()  # ``enum`` of an ``enum`` field
    minimum: Number | None = None
    maximum: Number | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str = ""
    default: Any = None
    visible_when: Condition | None = None
    raw: Any = None  # the property schema of a ``raw`` field (nested object, array, ...)
    extra: Mapping[str, Any] = field(default_factory=dict)  # other schema keys
    hint_extra: Mapping[str, Any] = field(default_factory=dict)  # other ui.fields keys

    @property
    def label(self) -> str:
        """What the applicant sees: the title, else the name."""
        raw_title = self.raw.get("title") if isinstance(self.raw, dict) else None
        return self.title or (raw_title if isinstance(raw_title, str) else "") or self.name


@dataclass(frozen=True)
class GuidedMaterial:
    """An application material (申请材料)."""

    id: str
    name: str
    required: bool = True
    when: Condition | None = None
    accept: tuple[str, ...] = DEFAULT_ACCEPT
    max_mb: Number = 20
    deferrable: bool = False
    copies: int = 1
    original: bool = False
    note: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GuidedFee:
    """A fee (收费项目)."""

    name: str
    amount: Number = 0
    basis: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GuidedNeed:
    """This step needs ``step`` to reach ``at`` (``finish`` or ``preliminary``) first."""

    step: str
    at: str = "finish"


@dataclass(frozen=True)
class GuidedStepField:
    """A field of the reviewer's form; ``output`` publishes it to later steps."""

    name: str
    title: str = ""
    type: str = "string"  # "" when the schema has no ``type``
    pattern: str = ""
    required: bool = True
    output: bool = True
    description: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GuidedStep:
    """A step (环节)."""

    id: str
    name: str
    departments: tuple[str, ...]
    days: Number
    listed: bool = False  # one department written as ``departments: [x]``
    join: str = "all"
    preliminary_days: Number | None = None
    needs: tuple[GuidedNeed, ...] = ()
    when: Condition | None = None
    materials: tuple[str, ...] = ()
    fields: tuple[GuidedStepField, ...] = ()  # the step ``form`` and ``outputs``
    reads: tuple[str, ...] = ()
    certificate: str = ""
    certificate_number: str = ""
    on_timeout: str = "none"
    reply_options: tuple[str, ...] = ()
    note: str = ""
    form_extra: Mapping[str, Any] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def outputs(self) -> tuple[str, ...]:
        """The published fields, also when the step form is kept raw."""
        if self.fields:
            return tuple(f.name for f in self.fields if f.output)
        raw = self.extra.get("outputs")
        return tuple(raw) if isinstance(raw, list) else ()


@dataclass(frozen=True)
class GuidedMatter:
    """A matter as the guided editor edits it."""

    id: str
    name: str
    lead: str
    time_limit: Number
    statutory_limit: Number
    version: int = 1
    category: str = ""
    notice: str = ""
    conditions: str = ""
    fees: tuple[GuidedFee, ...] = ()
    fields: tuple[GuidedField, ...] = ()  # in ``form.properties`` order
    field_order: tuple[str, ...] | None = None  # ``ui.order`` as written
    materials: tuple[GuidedMaterial, ...] = ()
    steps: tuple[GuidedStep, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)  # top-level keys kept verbatim
    form_extra: Mapping[str, Any] = field(default_factory=dict)  # title, allOf, ...
    ui_extra: Mapping[str, Any] = field(default_factory=dict)
    hints_extra: Mapping[str, Any] = field(default_factory=dict)  # nested ui.fields paths

    def field_named(self, name: str) -> GuidedField:
        """The field with that name (KeyError if none)."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def display_order(self) -> tuple[str, ...]:
        """Field names in the order the applicant sees them."""
        names = [f.name for f in self.fields]
        listed = [n for n in self.field_order or () if n in names]
        return (*listed, *(n for n in names if n not in listed))


# -- conditions ---------------------------------------------------------------------

def condition_schema(cond: Condition) -> dict[str, Any]:
    """The JSON Schema fragment of a condition (a raw one is returned as a copy)."""
    if not isinstance(cond, SimpleCondition):
        return copy.deepcopy(dict(cond))
    test: dict[str, Any]
    if cond.op == "one_of":
        test = {"enum": list(cond.value)}
    elif cond.op == "at_least":
        test = {"minimum": cond.value}
    elif cond.op == "at_most":
        test = {"maximum": cond.value}
    else:
        test = {"const": cond.value}
    schema = {"properties": {cond.field: test}, "required": [cond.field]}
    return {"not": schema} if cond.op == "not_equals" else schema


def parse_simple_condition(schema: Any) -> SimpleCondition | None:
    """The simple condition ``schema`` spells exactly, or None when it is not simple."""
    op: Op = "equals"
    body = schema
    if isinstance(schema, dict) and list(schema) == ["not"]:
        op, body = "not_equals", schema["not"]
    if not (isinstance(body, dict) and set(body) == {"properties", "required"}
            and isinstance(body["properties"], dict) and len(body["properties"]) == 1):
        return None
    (name, test), = body["properties"].items()
    if not isinstance(test, dict) or len(test) != 1:
        return None
    (key, value), = test.items()
    kinds: dict[str, Op] = {"const": "equals", "enum": "one_of", "minimum": "at_least",
                            "maximum": "at_most"}
    if key not in kinds or (op == "not_equals" and key != "const"):
        return None
    if key == "enum":
        if not isinstance(value, list) or not all(map(_is_scalar, value)):
            return None
        cond = SimpleCondition(name, "one_of", tuple(value))
    elif not _is_scalar(value) or (key != "const" and not _is_number(value)):
        return None
    else:
        cond = SimpleCondition(name, op if key == "const" else kinds[key], value)
    return cond if _same(condition_schema(cond), schema) else None


def condition_fields(schema: Any) -> set[str]:
    """Field names a condition fragment tests (through allOf/anyOf/oneOf/not/if)."""
    if isinstance(schema, SimpleCondition):
        return {schema.field}
    found: set[str] = set()
    if isinstance(schema, Mapping):
        props = schema.get("properties")
        found |= set(props) if isinstance(props, dict) else set()
        required = schema.get("required")
        found |= {n for n in required if isinstance(n, str)} if isinstance(required, list) \
            else set()
        for key in ("allOf", "anyOf", "oneOf"):
            for sub in schema.get(key) or []:
                found |= condition_fields(sub)
        for key in ("not", "if", "then", "else"):
            found |= condition_fields(schema.get(key))
    return found


def describe_condition(cond: Condition | None, titles: Mapping[str, str] | None = None) -> str:
    """A condition in plain Chinese: 「是否同步刻制印章」为“是”."""
    if cond is None:
        return "始终适用"
    titles = titles or {}
    simple = cond if isinstance(cond, SimpleCondition) else parse_simple_condition(cond)
    if simple is not None:
        label = f"「{titles.get(simple.field, simple.field)}」"
        if simple.op == "one_of":
            return f"{label}为{'、'.join(_value_text(v) for v in simple.value)}之一"
        verb = {"equals": "为", "not_equals": "不为", "at_least": "不小于",
                "at_most": "不大于"}[simple.op]
        text = _value_text(simple.value)
        return f"{label}{verb}{text if text[0] in '「“' else ' ' + text}"
    for key, joiner in (("allOf", "，且"), ("anyOf", "，或")):
        parts = cond.get(key) if isinstance(cond, Mapping) and len(cond) == 1 else None
        if isinstance(parts, list) and parts:
            return f"（{joiner.join(describe_condition(p, titles) for p in parts)}）"
    if isinstance(cond, Mapping) and list(cond) == ["not"] and isinstance(cond["not"], dict):
        return f"并非{describe_condition(cond['not'], titles)}"
    return "自定义条件（" + json.dumps(cond, ensure_ascii=False, sort_keys=True) + "）"


def _value_text(value: Any) -> str:
    if value is True:
        return "“是”"
    if value is False:
        return "“否”"
    if isinstance(value, str):
        return f"「{value}」"
    return json.dumps(value, ensure_ascii=False)


# -- document helpers ---------------------------------------------------------------

def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same JSON types (``1`` is not ``1.0`` nor ``true``)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_same, a, b))
    return type(a) is type(b) and a == b


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
    out: dict[str, Any] = {"name": fee.name, "amount": fee.amount}
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


def _canonical(g: GuidedMatter) -> GuidedMatter:
    return from_doc(to_doc(g))


# -- YAML -----------------------------------------------------------------------------

class _Flow(dict[str, Any]):
    """A mapping written on one line: ``{properties: {...}, required: [x]}``."""


class _Quoted(str):
    """A string written in double quotes, as docs/catalog.md asks for patterns."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)  # "  - id: x" under "steps:", as people write

    def ignore_aliases(self, data: Any) -> bool:
        return True  # never &id001 anchors, even when one object appears twice


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    # PyYAML writes NEL and the Unicode line separators unescaped in single quotes and
    # reads them back as spaces; double quotes escape them.
    style = '"' if any(c in value for c in "\x85\u2028\u2029") else (
        "|" if "\n" in value else None)
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_quoted(dumper: yaml.SafeDumper, value: _Quoted) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style='"')


def _represent_list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.Node:
    flow = all(_is_scalar(v) and "\n" not in str(v) for v in value) and _width(value) <= 60
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


def _represent_flow(dumper: yaml.SafeDumper, value: _Flow) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=True)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_Quoted, _represent_quoted)
_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(_Flow, _represent_flow)


def _width(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False))


_ONE_LINE = {"when", "visible_when", "if", "then", "else", "certificate", "needs"}


def _styled(value: Any, key: str = "", parent: str = "") -> Any:
    """Conditions, needs, certificates and short ui hints on one line; the rest in blocks."""
    if isinstance(value, list):
        return [_styled(v, key, key) for v in value]
    if isinstance(value, str):
        return _Quoted(value) if key == "pattern" and "\n" not in value else value
    if not isinstance(value, dict):
        return value
    text = json.dumps(value, ensure_ascii=False)
    flat = all(_is_scalar(v) for v in value.values())
    if "\\n" not in text and ((key in _ONE_LINE and len(text) <= 100)
                               or (parent == "fields" and flat and len(text) <= 60)):
        return _Flow(value)
    return {k: _styled(v, k, key) for k, v in value.items()}


def to_yaml(doc: Mapping[str, Any]) -> str:
    """The matter as YAML text: block style, Chinese as is, multi-line text as ``|``."""
    text: str = yaml.dump(_styled(dict(doc)), Dumper=_Dumper, allow_unicode=True,
                          sort_keys=False, width=10_000, default_flow_style=False)
    spaced = _spaced(text)
    # A blank line is only layout; should it ever fall inside a kept block, drop them.
    return spaced if yaml.safe_load(spaced) == yaml.safe_load(text) else text


def _spaced(text: str) -> str:
    out: list[str] = []
    section = ""
    for line in text.splitlines(keepends=True):
        if line.strip() and line[0] not in " -":
            section = line.split(":", 1)[0]
            if section in ("form", "ui", "materials", "steps") and out:
                out.append("\n")
        elif section == "steps" and line.startswith("  - ") and not out[-1].startswith(
                "steps:"):
            out.append("\n")
        out.append(line)
    return "".join(out)


# -- edits the guided editor makes ----------------------------------------------------

def _index(items: Iterable[Any], key: str, value: str, what: str) -> int:
    for i, item in enumerate(items):
        if getattr(item, key) == value:
            return i
    raise GuidedError(f"没有{what}「{value}」")


def _insert(items: tuple[Any, ...], item: Any, after: str | None, key: str,
            what: str) -> tuple[Any, ...]:
    if any(getattr(i, key) == getattr(item, key) for i in items):
        raise GuidedError(f"{what}「{getattr(item, key)}」已存在，请换一个标识")
    at = len(items) if after is None else _index(items, key, after, what) + 1
    return (*items[:at], item, *items[at:])


def _moved(names: list[str], name: str, direction: Literal["up", "down"]) -> list[str]:
    i = names.index(name)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(names):
        names[i], names[j] = names[j], names[i]
    return names


def add_field(g: GuidedMatter, f: GuidedField, after: str | None = None) -> GuidedMatter:
    """Add a field to the applicant form (at the end, or after the field ``after``)."""
    fields = _insert(g.fields, f, after, "name", "字段")
    order = g.field_order
    if order is not None:
        at = order.index(after) + 1 if after in order else len(order)
        order = (*order[:at], f.name, *order[at:])
    return _canonical(replace(g, fields=fields, field_order=order))


def update_field(g: GuidedMatter, name: str, **changes: Any) -> GuidedMatter:
    """Change attributes of a field (use ``rename_field`` for its name)."""
    if changes.get("name", name) != name:
        raise GuidedError("修改字段标识请使用 rename_field")
    i = _index(g.fields, "name", name, "字段")
    return _canonical(replace(g, fields=_replaced(g.fields, i, replace(g.fields[i], **changes))))


def field_references(g: GuidedMatter, name: str) -> list[str]:
    """Where a field is used by a condition, in words (empty when it is unused)."""
    refs = [f"字段「{f.label}」的显示条件" for f in g.fields
            if f.name != name and name in condition_fields(f.visible_when)]
    refs += [f"材料「{m.name}」的收取条件" for m in g.materials if name in condition_fields(m.when)]
    refs += [f"环节「{s.name}」的办理条件" for s in g.steps if name in condition_fields(s.when)]
    return refs


def remove_field(g: GuidedMatter, name: str) -> GuidedMatter:
    """Remove a field with its hints and its ``allOf`` rules; refused while a condition
    of another field, a material or a step still tests it."""
    i = _index(g.fields, "name", name, "字段")
    refs = field_references(g, name)
    if refs:
        raise GuidedError(f"字段「{g.fields[i].label}」仍被{'、'.join(refs)}使用，请先修改这些条件")
    form_extra = dict(g.form_extra)
    if isinstance(form_extra.get("required"), list):
        form_extra["required"] = [n for n in form_extra["required"] if n != name]
    if isinstance(form_extra.get("allOf"), list):
        rules = [r for r in (_without(rule, name) for rule in form_extra["allOf"]) if r]
        if rules:
            form_extra["allOf"] = rules
        else:
            del form_extra["allOf"]
    order = g.field_order and tuple(n for n in g.field_order if n != name)
    hints = {p: h for p, h in g.hints_extra.items() if p.split(".")[0] != name}
    return _canonical(replace(g, fields=g.fields[:i] + g.fields[i + 1:], field_order=order,
                              form_extra=form_extra, hints_extra=hints))


def _without(rule: Any, name: str) -> Any:
    """An ``allOf`` rule without ``name``: None when the rule tests it or only it is left."""
    if not isinstance(rule, dict) or name not in condition_fields(rule):
        return rule
    if name in condition_fields(rule.get("if")):
        return None
    out = copy.deepcopy(rule)
    for key in ("then", "else"):
        part = out.get(key)
        if isinstance(part, dict) and isinstance(part.get("required"), list):
            part["required"] = [n for n in part["required"] if n != name]
            if not part["required"]:
                del part["required"]
    return out if any(out.get(k) for k in ("then", "else")) else None


def rename_field(g: GuidedMatter, old: str, new: str) -> GuidedMatter:
    """Rename a field everywhere: order, hints, required, conditions and rules."""
    _index(g.fields, "name", old, "字段")
    if any(f.name == new for f in g.fields):
        raise GuidedError(f"字段「{new}」已存在，请换一个标识")
    doc = to_doc(g)
    form, ui = doc["form"], doc.get("ui", {})
    form["properties"] = {new if k == old else k: v for k, v in form["properties"].items()}
    if isinstance(form.get("required"), list):
        form["required"] = [new if n == old else n for n in form["required"]]
    for rule in form.get("allOf", []):
        _rename_in(rule, old, new)
    if isinstance(ui.get("order"), list):
        ui["order"] = [new if n == old else n for n in ui["order"]]
    if isinstance(ui.get("fields"), dict):
        ui["fields"] = {_renamed_path(p, old, new): h for p, h in ui["fields"].items()}
        for hint in ui["fields"].values():
            _rename_in(hint.get("visible_when") if isinstance(hint, dict) else None, old, new)
    for item in [*doc.get("materials", []), *doc["steps"]]:
        _rename_in(item.get("when"), old, new)
    return from_doc(doc)


def _renamed_path(path: str, old: str, new: str) -> str:
    head, dot, rest = path.partition(".")
    return f"{new}{dot}{rest}" if head == old else path


def _rename_in(schema: Any, old: str, new: str) -> None:
    if not isinstance(schema, dict):
        return
    if isinstance(schema.get("properties"), dict) and old in schema["properties"]:
        schema["properties"] = {new if k == old else k: v
                                for k, v in schema["properties"].items()}
    if isinstance(schema.get("required"), list):
        schema["required"] = [new if n == old else n for n in schema["required"]]
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key) or []:
            _rename_in(sub, old, new)
    for key in ("not", "if", "then", "else"):
        _rename_in(schema.get(key), old, new)


def move_field(g: GuidedMatter, name: str, direction: Literal["up", "down"]) -> GuidedMatter:
    """Move a field one place up or down in the order the applicant sees."""
    _index(g.fields, "name", name, "字段")
    order = _moved(list(g.display_order), name, direction)
    rank = {n: i for i, n in enumerate(order)}
    fields = tuple(sorted(g.fields, key=lambda f: rank[f.name]))
    field_order = None if g.field_order is None else tuple(
        [n for n in order if n in g.field_order or n == name]
        + [n for n in g.field_order if n not in rank])
    return _canonical(replace(g, fields=fields, field_order=field_order))


def add_material(g: GuidedMatter, m: GuidedMaterial, after: str | None = None) -> GuidedMatter:
    """Add a material to the checklist."""
    return _canonical(replace(g, materials=_insert(g.materials, m, after, "id", "材料")))


def update_material(g: GuidedMatter, material_id: str, **changes: Any) -> GuidedMatter:
    """Change a material; a new id is also changed in the steps that use it."""
    i = _index(g.materials, "id", material_id, "材料")
    new_id = changes.get("id", material_id)
    if new_id != material_id and any(m.id == new_id for m in g.materials):
        raise GuidedError(f"材料「{new_id}」已存在，请换一个标识")
    steps = tuple(replace(s, materials=tuple(new_id if x == material_id else x
                                             for x in s.materials)) for s in g.steps)
    materials = _replaced(g.materials, i, replace(g.materials[i], **changes))
    return _canonical(replace(g, materials=materials, steps=steps))


def remove_material(g: GuidedMatter, material_id: str) -> GuidedMatter:
    """Remove a material, also from the steps that use it."""
    i = _index(g.materials, "id", material_id, "材料")
    steps = tuple(replace(s, materials=tuple(x for x in s.materials if x != material_id))
                  for s in g.steps)
    return _canonical(replace(g, materials=g.materials[:i] + g.materials[i + 1:], steps=steps))


def add_step(g: GuidedMatter, s: GuidedStep, after: str | None = None) -> GuidedMatter:
    """Add a step (at the end, or after the step ``after``)."""
    return _canonical(replace(g, steps=_insert(g.steps, s, after, "id", "环节")))


def update_step(g: GuidedMatter, step_id: str, **changes: Any) -> GuidedMatter:
    """Change a step's attributes (use ``rename_step`` for its id)."""
    if changes.get("id", step_id) != step_id:
        raise GuidedError("修改环节标识请使用 rename_step")
    i = _index(g.steps, "id", step_id, "环节")
    step = replace(g.steps[i], **changes)
    if "fields" in changes:  # a written order of required/outputs no longer applies
        step = replace(step, form_extra={k: v for k, v in step.form_extra.items()
                                         if k != "required"},
                       extra={k: v for k, v in step.extra.items() if k != "outputs"})
    return _canonical(replace(g, steps=_replaced(g.steps, i, step)))


def remove_step(g: GuidedMatter, step_id: str) -> GuidedMatter:
    """Remove a step and every need and read that points at it."""
    i = _index(g.steps, "id", step_id, "环节")
    steps = tuple(replace(s, needs=tuple(n for n in s.needs if n.step != step_id),
                          reads=tuple(r for r in s.reads if r.split(".")[0] != step_id))
                  for s in g.steps[:i] + g.steps[i + 1:])
    return _canonical(replace(g, steps=steps))


def rename_step(g: GuidedMatter, old: str, new: str) -> GuidedMatter:
    """Give a step a new id; needs and reads follow."""
    i = _index(g.steps, "id", old, "环节")
    if any(s.id == new for s in g.steps):
        raise GuidedError(f"环节「{new}」已存在，请换一个标识")

    def read(ref: str) -> str:
        up, dot, out = ref.partition(".")
        return f"{new}{dot}{out}" if up == old else ref

    steps = tuple(replace(s, id=new if j == i else s.id,
                          needs=tuple(replace(n, step=new) if n.step == old else n
                                      for n in s.needs),
                          reads=tuple(map(read, s.reads))) for j, s in enumerate(g.steps))
    return _canonical(replace(g, steps=steps))


def move_step(g: GuidedMatter, step_id: str, direction: Literal["up", "down"]) -> GuidedMatter:
    """Move a step one place up or down in the list (the plan follows ``needs``)."""
    _index(g.steps, "id", step_id, "环节")
    order = _moved([s.id for s in g.steps], step_id, direction)
    return _canonical(replace(g, steps=tuple(sorted(g.steps, key=lambda s: order.index(s.id)))))


def _replaced(items: tuple[Any, ...], i: int, item: Any) -> tuple[Any, ...]:
    return (*items[:i], item, *items[i + 1:])
