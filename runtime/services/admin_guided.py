"""One guided edit of a matter's YAML: the posted form in, the text with only that change out.

The guided editor's forms post every input of an item (a step, a field, a material).
Only the attributes whose inputs are posted *and* whose value really differs from the
current one are changed (a number re-typed as ``5.0``, a textarea sent back with CRLF
line ends, a condition too complex for the form: all kept as written). The edit itself
is a ``builder.guided`` function; ``builder.guided.patch_text`` then writes it into the
text as the smallest change, so every comment and every other key stays byte-identical.

Checkboxes are not posted when unticked: a form lists the checkbox names it shows in
hidden ``has`` inputs, and a checkbox absent from both is left as it is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from builder.errors import BuilderError
from builder.guided import (
    DEFAULT_ACCEPT,
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
    from_doc,
    move_field,
    move_step,
    remove_field,
    remove_material,
    remove_step,
    to_doc,
    update_field,
    update_material,
    update_step,
)
from builder.guided.patch import patch_text
from builder.source import load_source
from runtime.services.errors import Invalid

#: What a posted form is: each input name with its values, in order.
Fields = Mapping[str, Sequence[str]]

FIELD_TYPES = {"string": "单行文字", "textarea": "多行文字", "number": "数字", "integer": "整数",
               "boolean": "是/否", "date": "日期", "email": "电子邮箱", "enum": "选项"}
OPS = {"equals": "等于", "not_equals": "不等于", "at_least": "不小于", "at_most": "不大于",
       "one_of": "为其中之一"}
ACCEPTS = ("pdf", "jpg", "jpeg", "png", "ofd", "doc", "docx", "xls", "xlsx")
EDIT_WORDS = {"basic": "基本信息", "add_field": "新增字段", "update_field": "修改字段",
              "remove_field": "删除字段", "field_up": "上移字段", "field_down": "下移字段",
              "add_material": "新增材料", "update_material": "修改材料",
              "remove_material": "删除材料", "add_step": "新增环节", "update_step": "修改环节",
              "remove_step": "删除环节", "step_up": "上移环节", "step_down": "下移环节"}
EDIT_OPS = tuple(EDIT_WORDS)


def guided_of(text: str) -> tuple[GuidedMatter | None, str]:
    """The guided model of a draft, or None and why the guided editor cannot show it."""
    src, _ = load_source(text, "draft.yaml")
    if src is None or not isinstance(src.value, dict):
        return None, "YAML 有语法错误，请先在右侧修正，向导才能显示。"
    try:
        return from_doc(src.value), ""
    except (BuilderError, KeyError, TypeError, ValueError, AttributeError) as exc:
        return None, f"向导无法理解这份草稿（{exc}），请在右侧 YAML 中修正。"


def apply_edit(text: str, op: str, fields: Fields) -> tuple[str, str]:
    """``text`` after one guided edit (``Invalid`` when the edit is refused), and the edit
    in words for the audit (修改环节「印章刻制及备案」)."""
    g, problem = guided_of(text)
    if g is None:
        raise Invalid(problem, [{"pointer": "/yaml", "message": problem}])
    if op not in EDIT_OPS:
        raise Invalid("没有这个编辑操作", [{"pointer": "/op", "message": f"未知操作：{op}"}])
    try:
        changed = _edit(g, op, _Form(fields))
    except BuilderError as exc:
        raise Invalid(f"未修改：{exc}", [{"pointer": "/op", "message": str(exc)}]) from None
    words = f"{EDIT_WORDS[op]}{_title(g, op, _Form(fields))}"
    if changed is g:
        return text, words
    return patch_text(text, to_doc(changed)), words


def _title(g: GuidedMatter, op: str, form: _Form) -> str:
    """The edited item's title (never its id) in 「」, or nothing for the basic information."""
    key = form.text("key")
    if op == "basic":
        return ""
    if op.startswith("add_"):
        title = form.text("title") if op == "add_field" else form.text("name")
        return f"「{title or form.text('name') or form.text('id')}」"
    if "field" in op:
        return f"「{next((f.label for f in g.fields if f.name == key), key)}」"
    items = g.materials if "material" in op else g.steps
    return f"「{next((i.name for i in items if i.id == key), key)}」"


class _Form:
    """The posted values, read the way the guided forms write them."""

    def __init__(self, fields: Fields) -> None:
        self.fields = fields
        self.shown = set(self.values("has"))

    def has(self, key: str) -> bool:
        return key in self.fields or key in self.shown

    def values(self, key: str) -> tuple[str, ...]:
        return tuple(v for v in self.fields.get(key, ()) if isinstance(v, str))

    def text(self, key: str) -> str:
        found = self.values(key)
        return found[0].replace("\r\n", "\n").strip() if found else ""

    def lines(self, key: str) -> tuple[str, ...]:
        return tuple(line.strip() for line in self.text(key).splitlines() if line.strip())

    def ticked(self, key: str) -> bool:
        return self.text(key) in ("yes", "true", "on")

    def number(self, key: str, label: str, *, optional: bool = False) -> Any:
        raw = self.text(key)
        if not raw and optional:
            return None
        try:
            value = float(raw)
        except ValueError:
            message = f"{label}须为数字，如 1 或 0.5"
            raise Invalid(f"{label}须为数字", [{"pointer": f"/{key}", "message": message}]) \
                from None
        if value != value or value in (float("inf"), float("-inf")):
            raise Invalid(f"{label}须为数字", [{"pointer": f"/{key}",
                                              "message": f"{label}须为有限的数字"}])
        return int(value) if value.is_integer() else value

    def condition(self, prefix: str, g: GuidedMatter) -> SimpleCondition | None:
        name = self.text(f"{prefix}_field")
        if not name:
            return None
        op = self.text(f"{prefix}_op") or "equals"
        if op not in OPS:
            raise Invalid("条件的比较方式无效", [{"pointer": f"/{prefix}_op",
                                          "message": f"比较方式须为：{'、'.join(OPS.values())}"}])
        kind = next((f.type for f in g.fields if f.name == name), "string")
        raw = self.text(f"{prefix}_value")
        value: Any
        if op == "one_of":
            value = tuple(_scalar(v.strip(), kind) for v in raw.replace("、", ",").split(",")
                          if v.strip())
        else:
            value = _scalar(raw, kind)
        return SimpleCondition(name, op, value)  # type: ignore[arg-type]


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


def _norm(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").strip().splitlines())


def _equivalent(old: Any, new: Any) -> bool:
    """The posted value says what the current one says (so the current one is kept)."""
    if isinstance(old, str) and isinstance(new, str):
        return _norm(old) == _norm(new)
    if isinstance(old, tuple | list) and isinstance(new, tuple | list):
        return len(old) == len(new) and all(map(_equivalent, old, new))
    if isinstance(old, bool) or isinstance(new, bool):
        return old is new
    return bool(old == new)


# Checkbox groups come in the page's order: the same set keeps the written order.
_UNORDERED = {"departments", "materials", "reads", "needs", "accept"}


def _changes(old: Any, posted: Mapping[str, Any]) -> dict[str, Any]:
    """The posted attributes that differ from ``old``; a changed text keeps its final
    line break (a ``|`` block stays a ``|`` block)."""
    out: dict[str, Any] = {}
    for key, value in posted.items():
        current = getattr(old, key)
        if _equivalent(current, value) or (key in _UNORDERED and isinstance(value, tuple) \
                and len(set(value)) == len(value) and set(value) == set(current)):
            continue
        if isinstance(value, str) and isinstance(current, str) and "\n" in value \
                and current.endswith("\n"):
            value += "\n"
        out[key] = value
    return out


def _keep_raw_condition(old: Any, new: Any) -> Any:
    # A condition the form cannot show is posted as "(总是)": keep it unless replaced.
    return old if new is None and old is not None and not isinstance(old, SimpleCondition) \
        else new


# -- reading the forms ------------------------------------------------------------------

def _field_attrs(form: _Form, g: GuidedMatter, old: GuidedField | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    kind = form.text("type") or (old.type if old else "string")
    if kind not in FIELD_TYPES and not (old and kind == old.type):
        raise Invalid("字段类型无效", [{"pointer": "/type", "message": "请选择字段类型：" +
                                        "、".join(FIELD_TYPES.values())}])
    if form.has("type"):
        out["type"] = kind
    for key in ("title", "help", "placeholder", "pattern"):
        if form.has(key):
            out[key] = form.text(key)
    if form.has("required"):
        out["required"] = form.ticked("required")
    if form.has("options"):
        out["options"] = form.lines("options") if kind == "enum" else (
            old.options if old else ())
    for key, name, label in (("minimum", "minimum", "最小值"), ("maximum", "maximum", "最大值"),
                             ("min_length", "min_length", "最短长度"),
                             ("max_length", "max_length", "最大长度")):
        if form.has(name):
            value = form.number(name, label, optional=True)
            if key.endswith("length") and value is not None and (
                    not isinstance(value, int) or value < 0):
                raise Invalid(f"{label}须为非负整数", [{"pointer": f"/{name}",
                                                   "message": f"{label}须为非负整数，如 50"}])
            out[key] = value
    if form.has("visible_field"):
        out["visible_when"] = _keep_raw_condition(old and old.visible_when,
                                                  form.condition("visible", g))
    return out


def _material_attrs(form: _Form, g: GuidedMatter, old: GuidedMaterial | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("name", "note"):
        if form.has(key):
            out[key] = form.text(key)
    for key in ("required", "deferrable", "original"):
        if form.has(key):
            out[key] = form.ticked(key)
    if form.has("accept"):
        out["accept"] = form.values("accept") or DEFAULT_ACCEPT
    if form.has("max_mb"):
        out["max_mb"] = form.number("max_mb", "单个文件上限", optional=True) or 20
    if form.has("copies"):
        out["copies"] = form.number("copies", "份数", optional=True) or 1
    if form.has("when_field"):
        out["when"] = _keep_raw_condition(old and old.when, form.condition("when", g))
    return out


def _step_fields(form: _Form, old: GuidedStep | None) -> tuple[GuidedStepField, ...]:
    """The reviewer's fields, one per line ``name|title|pattern``; a field already there
    keeps what the line does not say (type, length, description, required)."""
    known = {f.name: f for f in old.fields} if old else {}
    out = []
    for line in form.lines("outputs"):
        name, _, rest = line.partition("|")
        title, _, pattern = rest.partition("|")
        name, title, pattern = name.strip(), title.strip(), pattern.strip()
        if name in known:
            out.append(dataclasses.replace(known[name], title=title or known[name].title,
                                           pattern=pattern))
        else:
            out.append(GuidedStepField(name=name, title=title or name, pattern=pattern))
    return tuple(out)


def _step_attrs(form: _Form, g: GuidedMatter, old: GuidedStep | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("name", "certificate", "certificate_number", "note"):
        if form.has(key):
            out[key] = form.text(key)
    if form.has("departments"):
        out["departments"] = tuple(v for v in form.values("departments") if v)
    if form.has("join"):
        out["join"] = form.text("join") or "all"
    if form.has("days"):
        out["days"] = form.number("days", "办理时限")
    if form.has("preliminary_days"):
        out["preliminary_days"] = form.number("preliminary_days", "初审时限", optional=True)
    if form.has("needs"):
        staged = set(form.values("staged"))
        out["needs"] = tuple(GuidedNeed(v, "preliminary" if v in staged else "finish")
                             for v in form.values("needs") if v)
    if form.has("when_field"):
        out["when"] = _keep_raw_condition(old and old.when, form.condition("when", g))
    for key in ("materials", "reads"):
        if form.has(key):
            out[key] = tuple(v for v in form.values(key) if v)
    if form.has("outputs"):
        out["fields"] = _step_fields(form, old)
    if form.has("consent"):
        out["on_timeout"] = "consent" if form.ticked("consent") else (
            old.on_timeout if old and old.on_timeout != "consent" else "none")
    if form.has("reply_options"):
        out["reply_options"] = form.lines("reply_options")
    if "certificate" in out and not out["certificate"]:
        out["certificate_number"] = ""
    return out


def _find(items: Sequence[Any], attr: str, value: str, what: str) -> Any:
    for item in items:
        if getattr(item, attr) == value:
            return item
    message = f"没有{what}「{value}」"
    raise Invalid(message, [{"pointer": "/key", "message": message}])


def _edit(g: GuidedMatter, op: str, form: _Form) -> GuidedMatter:
    """One guided edit; ``g`` itself when nothing changes."""
    key = form.text("key")
    if op == "basic":
        posted: dict[str, Any] = {k: form.text(k) for k in ("name", "lead", "notice",
                                                            "conditions") if form.has(k)}
        posted = {k: v for k, v in posted.items() if v or k in ("notice", "conditions")}
        for name, label in (("time_limit", "承诺时限"), ("statutory_limit", "法定时限")):
            if form.has(name):
                posted[name] = form.number(name, label)
        changes = _changes(g, posted)
        return dataclasses.replace(g, **changes) if changes else g
    if op == "add_field":
        return add_field(g, GuidedField(name=form.text("name"),
                                        **_field_attrs(form, g, None)))
    if op == "update_field":
        old_field = _find(g.fields, "name", key, "字段")
        changes = _changes(old_field, _field_attrs(form, g, old_field))
        return update_field(g, key, **changes) if changes else g
    if op == "add_material":
        return add_material(g, GuidedMaterial(id=form.text("id"),
                                              **{"name": "", **_material_attrs(form, g, None)}))
    if op == "update_material":
        old_material = _find(g.materials, "id", key, "材料")
        changes = _changes(old_material, _material_attrs(form, g, old_material))
        return update_material(g, key, **changes) if changes else g
    if op == "add_step":
        attrs = {"name": "", "departments": (), "days": 1, **_step_attrs(form, g, None)}
        return add_step(g, GuidedStep(id=form.text("id"), **attrs))
    if op == "update_step":
        old_step = _find(g.steps, "id", key, "环节")
        changes = _changes(old_step, _step_attrs(form, g, old_step))
        return update_step(g, key, **changes) if changes else g
    if op in ("remove_field", "remove_material", "remove_step"):
        return {"remove_field": remove_field, "remove_material": remove_material,
                "remove_step": remove_step}[op](g, key)
    if op in ("field_up", "field_down"):
        return move_field(g, key, "up" if op == "field_up" else "down")
    return move_step(g, key, "up" if op == "step_up" else "down")
