"""The guided editor's model: exact round trips, YAML the builder reads back, edit helpers.

Random matters are generated *through the guided model* (fields, materials, steps whose
needs point to earlier steps, staged edges where the upstream has preliminary_days,
conditions on earlier fields); each must survive model -> document -> model, and its
YAML must be read by the builder as a valid matter equal to the document.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder.catalog import read_files
from builder.compile import compile_matter
from builder.guided import (
    DEFAULT_ACCEPT,
    FieldType,
    GuidedError,
    GuidedField,
    GuidedMaterial,
    GuidedMatter,
    GuidedNeed,
    GuidedStep,
    GuidedStepField,
    SimpleCondition,
    add_field,
    add_material,
    add_step,
    condition_schema,
    describe_condition,
    from_doc,
    move_field,
    move_step,
    parse_simple_condition,
    remove_field,
    remove_material,
    remove_step,
    rename_field,
    rename_step,
    to_doc,
    to_yaml,
    update_field,
    update_material,
    update_step,
)
from builder.source import load_source, read_source

ROOT = Path(__file__).parents[2]
CATALOG = sorted((ROOT / "catalog" / "matters").glob("*.yaml"))
FIXTURES = sorted((ROOT / "tests" / "fixtures" / "matters" / "valid").glob("*.yaml"))
DEPARTMENTS = ("amr", "psb", "tax", "env", "fire")
PROPERTY = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _doc(path: Path) -> dict[str, Any]:
    src, problems = read_source(path)
    assert src is not None, problems
    value: dict[str, Any] = src.value
    return value


# -- exact round trips of real matters ------------------------------------------------

@pytest.mark.parametrize("path", CATALOG + FIXTURES, ids=lambda p: p.stem)
def test_real_matters_round_trip_exactly(path: Path) -> None:
    doc = _doc(path)
    g = from_doc(doc)
    assert to_doc(g) == doc
    assert from_doc(to_doc(g)) == g
    src, problems = load_source(to_yaml(to_doc(g)), "x.yaml")
    assert src is not None and not problems and src.value == doc


def test_catalog_keys_come_out_in_the_canonical_order() -> None:
    doc = to_doc(from_doc(_doc(ROOT / "catalog/matters/government-investment-project.yaml")))
    assert list(doc) == ["id", "name", "version", "category", "lead", "time_limit",
                         "statutory_limit", "notice", "conditions", "fees", "form", "ui",
                         "register", "materials", "steps"]
    drawing = doc["steps"][8]
    assert list(drawing) == ["id", "name", "department", "days", "needs", "materials", "form",
                             "outputs", "reads", "certificate", "note"]


def test_what_the_model_sees_in_a_catalog_matter() -> None:
    g = from_doc(_doc(ROOT / "catalog/matters/enterprise-establishment.yaml"))
    by_name = {f.name: f for f in g.fields}
    assert by_name["business_scope"].type == "textarea"
    assert by_name["company_type"].type == "enum" and by_name["company_type"].widget == "select"
    assert by_name["legal_representative"].type == "raw"
    assert by_name["legal_representative"].label == "法定代表人"
    assert by_name["seal_count"].visible_when == SimpleCondition("needs_seal", "equals", True)
    assert "shareholders.contribution_deadline" in g.hints_extra
    assert "allOf" in g.form_extra and g.extra == {"version": 1}
    license_step = g.steps[0]
    assert license_step.outputs == ("license_no", "established_on")
    assert (license_step.certificate, license_step.certificate_number) == ("营业执照", "license_no")
    legal_rep = next(m for m in g.materials if m.id == "legal-rep-id")
    assert legal_rep.original and legal_rep.extra == {"accept": list(DEFAULT_ACCEPT), "copies": 1}


UNUSUAL = """
id: unusual
name: 写法少见但有效的事项
version: 1
lead: amr
time_limit: 3
statutory_limit: 3.0
category: ''
fees: []
form:
  type: object
  title: 申请表
  required: [b, a]
  properties:
    a: {type: string, title: '', format: uri, default: null}
    b: {type: integer, enum: [1, 2]}
    c: true
    d: {type: [string, 'null']}
ui:
  fields:
    a: {}
    b: {help: ''}
materials:
  - {id: m, name: 材料, required: true, accept: [pdf, jpg, jpeg, png], max_mb: 20.0, copies: 1}
steps:
  - id: s1
    name: 一
    departments: [amr]
    join: all
    days: 1
    preliminary_days: 0.5
    materials: []
    form: {type: object}
    certificate: {name: 证}
  - id: s2
    name: 二
    department: psb
    days: 2
    needs: [{step: s1}, {step: s1, at: finish}, {step: s1, at: preliminary}]
    when: {properties: {b: {const: 1}}, required: [b], title: 附加}
    form:
      type: object
      required: [y, x]
      properties:
        x: {type: string, title: 号}
        y: {title: 无类型}
    outputs: [y, x]
    certificate: {name: 证书, number: ''}
    on_timeout: none
    reply_options: []
    note: ''
"""


def test_unusual_but_valid_spellings_round_trip() -> None:
    doc = yaml.safe_load(UNUSUAL)
    g = from_doc(doc)
    assert to_doc(g) == doc
    assert from_doc(to_doc(g)) == g
    s2 = g.steps[1]
    assert s2.needs == (GuidedNeed("s1"), GuidedNeed("s1"), GuidedNeed("s1", "preliminary"))
    assert g.steps[0].listed and g.steps[0].certificate == "证"
    assert [f.type for f in g.fields] == ["string", "integer", "raw", "raw"]


def test_edits_drop_a_written_spelling_that_no_longer_holds() -> None:
    g = from_doc(yaml.safe_load(UNUSUAL))
    g = rename_step(g, "s1", "first")
    assert to_doc(g)["steps"][1]["needs"] == ["first", "first",
                                              {"step": "first", "at": "preliminary"}]
    g = update_field(g, "a", required=False)
    assert to_doc(g)["form"]["required"] == ["b"]


# -- conditions ---------------------------------------------------------------------

@pytest.mark.parametrize(("cond", "schema"), [
    (SimpleCondition("x", "equals", True),
     {"properties": {"x": {"const": True}}, "required": ["x"]}),
    (SimpleCondition("x", "not_equals", "甲"),
     {"not": {"properties": {"x": {"const": "甲"}}, "required": ["x"]}}),
    (SimpleCondition("x", "at_least", 1000),
     {"properties": {"x": {"minimum": 1000}}, "required": ["x"]}),
    (SimpleCondition("x", "at_most", 0.5),
     {"properties": {"x": {"maximum": 0.5}}, "required": ["x"]}),
    (SimpleCondition("x", "one_of", ("划拨", "出让")),
     {"properties": {"x": {"enum": ["划拨", "出让"]}}, "required": ["x"]}),
])
def test_simple_conditions_and_their_schemas(cond: SimpleCondition, schema: dict[str, Any]) -> None:
    assert condition_schema(cond) == schema
    assert parse_simple_condition(schema) == cond


@pytest.mark.parametrize("schema", [
    {"properties": {"x": {"const": True}}},                       # no required: not the same
    {"properties": {"x": {"const": True}}, "required": ["y"]},
    {"properties": {"x": {"minimum": "1"}}, "required": ["x"]},
    {"properties": {"x": {"const": [1]}}, "required": ["x"]},
    {"not": {"properties": {"x": {"minimum": 1}}, "required": ["x"]}},
    {"anyOf": [{"properties": {"x": {"const": 1}}, "required": ["x"]}]},
    {"properties": {"x": {"const": 1, "type": "integer"}}, "required": ["x"]},
])
def test_other_conditions_stay_raw(schema: dict[str, Any]) -> None:
    assert parse_simple_condition(schema) is None


def test_conditions_in_words() -> None:
    titles = {"needs_seal": "是否同步刻制印章", "area": "地下建筑面积"}
    assert describe_condition(SimpleCondition("needs_seal", "equals", True), titles) \
        == "「是否同步刻制印章」为“是”"
    assert describe_condition({"properties": {"area": {"minimum": 1000}}, "required": ["area"]},
                              titles) == "「地下建筑面积」不小于 1000"
    assert describe_condition(SimpleCondition("kind", "one_of", ("划拨", "出让"))) \
        == "「kind」为「划拨」、「出让」之一"
    either = {"anyOf": [condition_schema(SimpleCondition("a", "equals", 1)),
                        condition_schema(SimpleCondition("b", "not_equals", 2))]}
    assert describe_condition(either) == "（「a」为 1，或「b」不为 2）"
    assert describe_condition(None) == "始终适用"


# -- YAML text ----------------------------------------------------------------------

def test_yaml_reads_like_the_catalog() -> None:
    text = to_yaml(to_doc(from_doc(_doc(ROOT / "catalog/matters/enterprise-establishment.yaml"))))
    assert "notice: |\n  一、办理对象\n" in text
    assert 'pattern: "^[0-9]{8,20}$"' in text and "          format: cn-mobile\n" in text
    assert "    needs: [license]\n" in text
    assert "    certificate: {name: 营业执照, number: license_no, kind: business-licence, " \
        "holder: license_no}\n" in text
    assert "\n\nsteps:\n  - id: license\n" in text and "\n\n  - id: seal\n" in text
    assert "&id" not in text and "*id" not in text


@pytest.mark.parametrize("value", ["yes", "no", "null", "~", "1.0", "0x1F", "2024-01-01", "#x",
                                   "a: b", "- x", "'q'", '"', "  lead", "tail  ", "a\nb",
                                   "a\n\n", "\ttab", "x\r\ny", "\x85", "\u2028", "{[", "@", "`",
                                   "多行\n  缩进\n", ""])
def test_yaml_keeps_every_string(value: str) -> None:
    doc = {"id": "x", "name": value, "notice": value, "steps": [{"id": "s", "note": value}],
           "form": {"type": "object", "properties": {"f": {"type": "string", "pattern": value,
                                                          "enum": [value]}}}}
    src, problems = load_source(to_yaml(doc), "x.yaml")
    assert not problems and src is not None and src.value == doc


# -- edit helpers -------------------------------------------------------------------

def _small() -> GuidedMatter:
    return GuidedMatter(
        "small", "小事项", "amr", 3, 5,
        fields=(GuidedField("needs_seal", "boolean", "是否刻章", required=True),
                GuidedField("seal_count", "integer", "印章数量", minimum=1,
                            visible_when=SimpleCondition("needs_seal", "equals", True))),
        field_order=("needs_seal", "seal_count"),
        form_extra={"allOf": [{"if": condition_schema(SimpleCondition("needs_seal", "equals",
                                                                      True)),
                               "then": {"required": ["seal_count"]}}]},
        materials=(GuidedMaterial("id-card", "身份证"),),
        steps=(GuidedStep("license", "执照", ("amr",), 1, preliminary_days=0.5,
                          materials=("id-card",),
                          fields=(GuidedStepField("license_no", "执照号", pattern="^\\d+$"),),
                          certificate="营业执照", certificate_number="license_no"),
               GuidedStep("seal", "刻章", ("psb",), 1,
                          needs=(GuidedNeed("license", "preliminary"),),
                          when=SimpleCondition("needs_seal", "equals", True)),
               GuidedStep("tax", "税务", ("tax", "amr"), 1, join="any",
                          needs=(GuidedNeed("license"), GuidedNeed("seal")),
                          reads=("license.license_no",))))


def test_add_move_and_remove_fields() -> None:
    g = add_field(_small(), GuidedField("mobile", "string", "手机", pattern="^1\\d{10}$"),
                  after="needs_seal")
    assert g.display_order == ("needs_seal", "mobile", "seal_count")
    assert to_doc(g)["ui"]["order"] == ["needs_seal", "mobile", "seal_count"]
    g = move_field(g, "mobile", "down")
    assert g.display_order == ("needs_seal", "seal_count", "mobile")
    assert list(to_doc(g)["form"]["properties"]) == ["needs_seal", "seal_count", "mobile"]
    assert move_field(g, "mobile", "down") == g  # already last
    with pytest.raises(GuidedError, match="字段「mobile」已存在"):
        add_field(g, GuidedField("mobile"))
    with pytest.raises(GuidedError, match="仍被字段「印章数量」的显示条件、环节「刻章」的办理条件"):
        remove_field(g, "needs_seal")
    g = remove_field(g, "seal_count")
    doc = to_doc(g)
    assert "allOf" not in doc["form"] and doc["ui"]["order"] == ["needs_seal", "mobile"]


def test_rename_field_follows_every_condition() -> None:
    g = rename_field(_small(), "needs_seal", "seal")
    doc = to_doc(g)
    assert doc["form"]["required"] == ["seal"]
    assert doc["form"]["allOf"][0]["if"] == condition_schema(SimpleCondition("seal", "equals",
                                                                             True))
    assert doc["ui"]["fields"]["seal_count"]["visible_when"]["required"] == ["seal"]
    assert doc["steps"][1]["when"]["required"] == ["seal"]
    with pytest.raises(GuidedError, match="没有字段「nope」"):
        rename_field(g, "nope", "x")


def test_materials_follow_into_steps() -> None:
    g = update_material(_small(), "id-card", id="id-doc", original=True)
    assert g.steps[0].materials == ("id-doc",)
    assert to_doc(g)["materials"] == [{"id": "id-doc", "name": "身份证", "original": True}]
    g = add_material(g, GuidedMaterial("photo", "照片", accept=("jpg",), deferrable=True))
    assert to_doc(g)["materials"][1] == {"id": "photo", "name": "照片", "accept": ["jpg"],
                                         "deferrable": True}
    g = remove_material(g, "id-doc")
    assert g.steps[0].materials == () and [m.id for m in g.materials] == ["photo"]


def test_steps_rename_remove_and_move() -> None:
    g = rename_step(_small(), "license", "lic")
    doc = to_doc(g)
    assert doc["steps"][1]["needs"] == [{"step": "lic", "at": "preliminary"}]
    assert doc["steps"][2]["needs"] == ["lic", "seal"]
    assert doc["steps"][2]["reads"] == ["lic.license_no"]
    assert doc["steps"][2]["departments"] == ["tax", "amr"] and doc["steps"][2]["join"] == "any"
    g = remove_step(g, "lic")
    doc = to_doc(g)
    assert [s["id"] for s in doc["steps"]] == ["seal", "tax"]
    assert "needs" not in doc["steps"][0] and doc["steps"][1]["needs"] == ["seal"]
    assert "reads" not in doc["steps"][1]
    g = move_step(g, "tax", "up")
    assert [s.id for s in g.steps] == ["tax", "seal"]
    g = add_step(g, GuidedStep("bank", "银行", ("amr",), 0.5), after="tax")
    assert [s.id for s in g.steps] == ["tax", "bank", "seal"]
    with pytest.raises(GuidedError, match="环节「seal」已存在"):
        rename_step(g, "bank", "seal")


def test_update_step_outputs_become_form_and_outputs() -> None:
    g = update_step(_small(), "seal", fields=(
        GuidedStepField("maker", "刻制单位"),
        GuidedStepField("remark", "备注", required=False, output=False)),
        certificate="印章")
    step = to_doc(g)["steps"][1]
    assert step["form"] == {"type": "object", "required": ["maker"], "properties": {
        "maker": {"type": "string", "title": "刻制单位"},
        "remark": {"type": "string", "title": "备注"}}}
    assert step["outputs"] == ["maker"] and step["certificate"] == "印章"


def test_the_small_matter_is_a_valid_matter(tmp_path: Path) -> None:
    _check_valid(tmp_path, _small())


# -- random matters through the guided model ------------------------------------------

TEXT = st.text(st.sampled_from("办理事项材料环节甲乙丙 ab:#-'\"{}[]|>&*!%@,?\\"), min_size=1,
               max_size=12)
LINES = st.lists(TEXT, min_size=1, max_size=3).map("\n".join) | TEXT
PATTERNS = st.sampled_from(["", "^\\d{6}$", "^[A-Z]{2}[0-9]+$", "^1[3-9]\\d{9}$"])
WIDGETS = {"string": ["", "text", "hidden"], "textarea": [""], "number": ["", "number"],
           "integer": ["", "number"], "boolean": ["", "radio", "checkbox"],
           "date": ["", "date"], "email": ["", "email"], "enum": ["", "select", "radio"]}
RAW_FIELD = {"type": "object", "title": "联系人", "required": ["name"],
             "properties": {"name": {"type": "string", "title": "姓名"},
                            "mobile": {"type": "string", "pattern": "^1\\d{10}$"}}}


@st.composite
def conditions(draw: st.DrawFn, fields: list[GuidedField]) -> Any:
    usable = [f for f in fields if f.type in ("boolean", "enum", "number", "integer", "string")]
    if not usable:
        return None
    f = draw(st.sampled_from(usable))
    if f.type == "boolean":
        cond = SimpleCondition(f.name, draw(st.sampled_from(["equals", "not_equals"])),
                               draw(st.booleans()))
    elif f.type == "enum":
        cond = draw(st.sampled_from([
            SimpleCondition(f.name, "equals", f.options[0]),
            SimpleCondition(f.name, "one_of", f.options[: 2])]))
    elif f.type in ("number", "integer"):
        cond = SimpleCondition(f.name, draw(st.sampled_from(["at_least", "at_most"])),
                               draw(st.integers(0, 100)))
    else:
        cond = SimpleCondition(f.name, "equals", draw(TEXT))
    if draw(st.integers(0, 4)) == 0:  # a raw fragment the guided editor cannot show simply
        return {"anyOf": [condition_schema(cond), {"required": [f.name]}]}
    return cond


@st.composite
def guided_fields(draw: st.DrawFn) -> list[GuidedField]:
    fields: list[GuidedField] = []
    for i in range(draw(st.integers(0, 6))):
        kind: FieldType = draw(st.sampled_from(get_args(FieldType)))
        name = f"field_{i}"
        if kind == "raw":
            f = GuidedField(name, "raw", required=draw(st.booleans()),
                            help=draw(TEXT | st.just("")), raw=copy.deepcopy(RAW_FIELD))
        else:
            options = tuple(draw(st.lists(TEXT, min_size=1, max_size=4, unique=True))) \
                if kind == "enum" else ()
            numeric = kind in ("number", "integer")
            default = {"boolean": draw(st.booleans()), "enum": options[0] if options else None,
                       "integer": 1}.get(kind) if draw(st.booleans()) else None
            f = GuidedField(
                name, kind, draw(TEXT), draw(st.booleans()), draw(LINES | st.just("")),
                draw(TEXT | st.just("")), draw(st.sampled_from(WIDGETS[kind])),
                draw(TEXT | st.just("")), options,
                minimum=draw(st.none() | st.integers(0, 10)) if numeric else None,
                maximum=draw(st.none() | st.integers(10, 1000)) if numeric else None,
                max_length=draw(st.none() | st.integers(1, 200)) if kind == "string" else None,
                pattern=draw(PATTERNS) if kind == "string" else "", default=default,
                extra={"$comment": draw(TEXT)} if draw(st.integers(0, 5)) == 0 else {})
        if len(fields) > 0 and draw(st.booleans()):
            f = replace(f, visible_when=draw(conditions(fields)))
        fields.append(f)
    return fields


@st.composite
def guided_steps(draw: st.DrawFn, fields: list[GuidedField],
                 materials: list[GuidedMaterial]) -> list[GuidedStep]:
    steps: list[GuidedStep] = []
    for i in range(draw(st.integers(1, 6))):
        departments = tuple(draw(st.lists(st.sampled_from(DEPARTMENTS), min_size=1, max_size=3,
                                          unique=True)))
        days = draw(st.integers(1, 20)) / 2
        prelim = draw(st.none() | st.integers(0, int(days * 2) - 1).map(lambda n: n / 2))
        ups = draw(st.lists(st.sampled_from(steps), max_size=3)) if steps else []
        needs = tuple(GuidedNeed(u.id, "preliminary" if u.preliminary_days is not None
                                 and draw(st.booleans()) else "finish") for u in ups)
        finished = {n.step for n in needs if n.at == "finish"}
        readable = [f"{s.id}.{o}" for s in steps if s.id in finished for o in s.outputs]
        outputs = [GuidedStepField(f"no_{i}_{j}", draw(TEXT), draw(st.sampled_from(
            ["string", "integer"])), required=draw(st.booleans()), output=draw(st.booleans()))
            for j in range(draw(st.integers(0, 3)))]
        outputs = [replace(o, pattern=draw(PATTERNS)) if o.type == "string" else o
                   for o in outputs]
        numbers = [o.name for o in outputs if o.output]
        certificate = draw(st.just("") | TEXT)
        steps.append(GuidedStep(
            f"step-{i}", draw(TEXT), departments, days,
            listed=len(departments) == 1 and draw(st.booleans()),
            join=draw(st.sampled_from(["all", "any"])) if len(departments) > 1 else "all",
            preliminary_days=prelim, needs=needs,
            when=draw(st.none() | conditions(fields)),
            materials=tuple(draw(st.lists(st.sampled_from([m.id for m in materials]),
                                          unique=True))) if materials else (),
            fields=tuple(outputs),
            reads=tuple(draw(st.lists(st.sampled_from(readable), unique=True)))
            if readable else (),
            certificate=certificate,
            certificate_number=draw(st.sampled_from(["", *numbers])) if certificate else "",
            on_timeout=draw(st.sampled_from(["none", "consent"])),
            reply_options=tuple(draw(st.lists(TEXT, max_size=3, unique=True))),
            note=draw(LINES | st.just(""))))
    return steps


@st.composite
def guided_matters(draw: st.DrawFn) -> GuidedMatter:
    fields = draw(guided_fields())
    names = [f.name for f in fields]
    materials = [GuidedMaterial(
        f"mat-{i}", draw(TEXT), draw(st.booleans()), draw(st.none() | conditions(fields)),
        tuple(draw(st.lists(st.sampled_from(["pdf", "jpg", "png", "ofd", "docx"]), min_size=1,
                            unique=True))),
        draw(st.sampled_from([20, 5, 2.5, 200])), draw(st.booleans()), draw(st.integers(0, 3)),
        draw(st.booleans()), draw(st.just("") | TEXT)) for i in range(draw(st.integers(0, 4)))]
    steps = draw(guided_steps(fields, materials))
    serial = sum(s.days for s in steps)
    booleans = [f.name for f in fields if f.type == "boolean"]
    rules = [{"if": condition_schema(SimpleCondition(booleans[0], "equals", True)),
              "then": {"required": [n for n in names if n != booleans[0]][:1]}}] \
        if booleans and len(names) > 1 and draw(st.booleans()) else []
    return GuidedMatter(
        "random", draw(TEXT), draw(st.sampled_from(DEPARTMENTS)), serial,
        serial + draw(st.integers(0, 10)), version=draw(st.integers(1, 3)),
        category=draw(st.just("") | TEXT), notice=draw(st.just("") | LINES),
        conditions=draw(st.just("") | LINES),
        fields=tuple(fields),
        field_order=tuple(draw(st.permutations(names))) if draw(st.booleans()) else None,
        materials=tuple(materials), steps=tuple(steps),
        form_extra={k: v for k, v in (("title", draw(TEXT)), ("allOf", rules)) if v},
        hints_extra={f"{f.name}.mobile": {"help": "手机"} for f in fields if f.type == "raw"})


def _check_valid(tmp_path: Path, g: GuidedMatter) -> None:
    """The YAML of ``g`` is a valid matter for the builder, equal to ``to_doc(g)``."""
    doc = to_doc(g)
    text = to_yaml(doc)
    src, problems = load_source(text, "m.yaml")
    assert not problems and src is not None and src.value == doc, text
    folder = tmp_path / "catalog"
    (folder / "matters").mkdir(parents=True, exist_ok=True)
    (folder / "departments.yaml").write_text(yaml.safe_dump(
        {"departments": [{"id": d, "name": d.upper()} for d in DEPARTMENTS]}), "utf-8")
    path = folder / "matters" / f"{g.id}.yaml"
    path.write_text(text, "utf-8")
    loaded = read_files([path])
    errors = [str(p) for p in loaded.problems if p.is_error]
    assert not errors, "\n".join(errors) + "\n" + text
    assert loaded.matters[0].value == doc
    assert compile_matter(src.value) == loaded.specs[str(path)]


@PROPERTY
@given(guided_matters())
def test_random_guided_matters_round_trip_and_load(tmp_path_factory: pytest.TempPathFactory,
                                                  g: GuidedMatter) -> None:
    assert from_doc(to_doc(g)) == g
    _check_valid(tmp_path_factory.mktemp("m"), g)


@st.composite
def unusual_docs(draw: st.DrawFn) -> dict[str, Any]:
    """A document the guided editor would not write but a user may: defaults written out,
    needs spelled as mappings, one department as a list, required in another order."""
    doc = to_doc(draw(guided_matters()))
    for m in doc.get("materials", []):
        for key, value in (("required", True), ("copies", 1), ("original", False),
                           ("accept", list(DEFAULT_ACCEPT)), ("max_mb", 20.0)):
            if key not in m and draw(st.booleans()):
                m[key] = value
    for s in doc["steps"]:
        if "department" in s and draw(st.booleans()):
            s["departments"] = [s.pop("department")]
        s["needs"] = [{"step": n} if isinstance(n, str) and draw(st.booleans()) else n
                      for n in s.get("needs", [])]
        defaults: list[tuple[str, Any]] = [("materials", []), ("on_timeout", "none"),
                                           ("note", "")]
        for key, value in defaults:
            if key not in s and draw(st.booleans()):
                s[key] = value
        if isinstance(s.get("certificate"), str) and draw(st.booleans()):
            s["certificate"] = {"name": s["certificate"]}
    required = doc["form"].get("required", [])
    if len(required) > 1:
        doc["form"]["required"] = draw(st.permutations(required))
    if "ui" not in doc and draw(st.booleans()):
        doc["ui"] = {}
    return doc


@PROPERTY
@given(unusual_docs())
def test_documents_round_trip_exactly(doc: dict[str, Any]) -> None:
    g = from_doc(doc)
    assert to_doc(g) == doc
    assert from_doc(to_doc(g)) == g
