"""Reading the guided editor's posted forms into builder.guided objects.

Pure translation of form fields (strings) into the guided model; the edit itself is a
builder.guided function, and the services save and check the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.datastructures import FormData

from builder.guided import (
    GuidedField,
    GuidedMaterial,
    GuidedMatter,
    GuidedNeed,
    GuidedStep,
    GuidedStepField,
    SimpleCondition,
)
from runtime.services.errors import Invalid

FIELD_TYPES = {"string": "单行文字", "textarea": "多行文字", "number": "数字", "integer": "整数",
               "boolean": "是/否", "date": "日期", "email": "电子邮箱", "enum": "选项"}
OPS = {"equals": "等于", "not_equals": "不等于", "at_least": "不小于", "at_most": "不大于",
       "one_of": "为其中之一"}


def text(form: FormData, key: str) -> str:
    """A posted text value, trimmed."""
    value = form.get(key, "")
    return value.strip() if isinstance(value, str) else ""


def lines(form: FormData, key: str) -> tuple[str, ...]:
    """A textarea as its non-empty lines."""
    return tuple(line.strip() for line in text(form, key).splitlines() if line.strip())


def number(form: FormData, key: str, label: str, *, optional: bool = False) -> Any:
    """A posted number (int when whole)."""
    raw = text(form, key)
    if not raw and optional:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise Invalid(f"{label}须为数字", [{"pointer": f"/{key}", "message": f"{label}须为数字"}]) \
            from None
    return int(value) if value.is_integer() else value


def _scalar(raw: str, kind: str) -> Any:
    if kind == "boolean":
        return raw in ("true", "是", "1")
    if kind in ("number", "integer"):
        try:
            value = float(raw)
        except ValueError:
            return raw
        return int(value) if value.is_integer() else value
    return raw


def condition(form: FormData, prefix: str, g: GuidedMatter) -> SimpleCondition | None:
    """``prefix_field``/``_op``/``_value`` as a simple condition (None when no field)."""
    name = text(form, f"{prefix}_field")
    if not name:
        return None
    op = text(form, f"{prefix}_op") or "equals"
    if op not in OPS:
        raise Invalid("条件的比较方式无效", [{"pointer": f"/{prefix}_op", "message": "无效"}])
    kind = next((f.type for f in g.fields if f.name == name), "string")
    raw = text(form, f"{prefix}_value")
    value: Any
    if op == "one_of":
        value = tuple(_scalar(v.strip(), kind) for v in raw.replace("、", ",").split(",")
                      if v.strip())
    else:
        value = _scalar(raw, kind)
    return SimpleCondition(name, op, value)  # type: ignore[arg-type]


def field_from(form: FormData, g: GuidedMatter) -> GuidedField:
    """An applicant form field."""
    kind = text(form, "type") or "string"
    if kind not in FIELD_TYPES:
        raise Invalid("字段类型无效", [{"pointer": "/type", "message": "请选择字段类型"}])
    return GuidedField(
        name=text(form, "name"), type=kind,  # type: ignore[arg-type]
        title=text(form, "title"), required=form.get("required") == "yes",
        help=text(form, "help"), placeholder=text(form, "placeholder"),
        options=lines(form, "options") if kind == "enum" else (),
        minimum=number(form, "minimum", "最小值", optional=True),
        maximum=number(form, "maximum", "最大值", optional=True),
        max_length=int(number(form, "max_length", "最大长度", optional=True) or 0) or None,
        pattern=text(form, "pattern"), visible_when=condition(form, "visible", g))


def material_from(form: FormData, g: GuidedMatter) -> GuidedMaterial:
    """An application material."""
    accept = tuple(v for v in form.getlist("accept") if isinstance(v, str))
    return GuidedMaterial(
        id=text(form, "id"), name=text(form, "name"), required=form.get("required") == "yes",
        when=condition(form, "when", g), accept=accept or ("pdf", "jpg", "jpeg", "png"),
        max_mb=number(form, "max_mb", "大小上限", optional=True) or 20,
        deferrable=form.get("deferrable") == "yes", note=text(form, "note"))


def step_fields(form: FormData) -> tuple[GuidedStepField, ...]:
    """The reviewer's fields, one per line: ``name|title|pattern`` (all published)."""
    out = []
    for line in lines(form, "outputs"):
        name, _, rest = line.partition("|")
        title, _, pattern = rest.partition("|")
        out.append(GuidedStepField(name=name.strip(), title=title.strip() or name.strip(),
                                   pattern=pattern.strip()))
    return tuple(out)


def step_from(form: FormData, g: GuidedMatter) -> GuidedStep:
    """A step: departments, days, needs (normal or staged), condition, outputs, reads."""
    departments = tuple(v for v in form.getlist("departments") if isinstance(v, str) and v)
    staged = {v for v in form.getlist("staged") if isinstance(v, str)}
    needs = tuple(GuidedNeed(v, "preliminary" if v in staged else "finish")
                  for v in form.getlist("needs") if isinstance(v, str) and v)
    fields = step_fields(form)
    certificate = text(form, "certificate")
    return GuidedStep(
        id=text(form, "id"), name=text(form, "name"), departments=departments,
        days=number(form, "days", "办理时限"), join=text(form, "join") or "all",
        preliminary_days=number(form, "preliminary_days", "初审时限", optional=True),
        needs=needs, when=condition(form, "when", g),
        materials=tuple(v for v in form.getlist("materials") if isinstance(v, str)),
        fields=fields, reads=tuple(v for v in form.getlist("reads") if isinstance(v, str)),
        certificate=certificate,
        certificate_number=text(form, "certificate_number") if certificate else "",
        on_timeout="consent" if form.get("consent") == "yes" else "none",
        reply_options=lines(form, "reply_options"), note=text(form, "note"))


def changes(obj: Any, keep: str) -> Mapping[str, Any]:
    """The attributes an edit form sets, without the identifying one."""
    names = {"GuidedField": ("type", "title", "required", "help", "placeholder", "options",
                             "minimum", "maximum", "max_length", "pattern", "visible_when"),
             "GuidedMaterial": ("name", "required", "when", "accept", "max_mb", "deferrable",
                                "note"),
             "GuidedStep": ("name", "departments", "join", "days", "preliminary_days", "needs",
                            "when", "materials", "fields", "reads", "certificate",
                            "certificate_number", "on_timeout", "reply_options", "note")}
    return {k: getattr(obj, k) for k in names[type(obj).__name__] if k != keep}
