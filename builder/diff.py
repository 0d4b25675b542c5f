"""What changed between two versions of a matter, in words centre staff read.

``diff(old, new)`` compares two matter documents through the guided model, so a default
written out (``copies: 1``) or a need spelled ``{step: a}`` is no change, and returns one
``Change`` per fact in Simplified Chinese, area by area in the order of the editor.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from builder.guided import (
    Condition,
    GuidedField,
    GuidedMaterial,
    GuidedMatter,
    GuidedStep,
    condition_schema,
    describe_condition,
    from_doc,
    parse_simple_condition,
)

AREAS = ("基本信息", "时限", "申请表", "申请材料", "办理环节", "环节依赖")
ADDED, REMOVED, CHANGED = "新增", "删除", "修改"
WIDGET_NAMES = {"text": "单行文本框", "textarea": "多行文本框", "select": "下拉选择",
                "radio": "单选按钮", "checkbox": "复选框", "date": "日期选择",
                "email": "邮箱输入框", "number": "数字输入框", "hidden": "隐藏", "": "自动"}
TYPE_NAMES = {"string": "文本", "textarea": "多行文本", "number": "数字", "integer": "整数",
              "boolean": "是/否", "date": "日期", "email": "电子邮箱", "enum": "选项",
              "raw": "复合（对象或列表）"}


@dataclass(frozen=True)
class Change:
    """One difference: ``【申请表】修改 字段「企业名称」：改为必填``."""

    area: str  # one of AREAS
    kind: str  # 新增 / 删除 / 修改
    subject: str
    detail: str = ""

    def __str__(self) -> str:
        return f"【{self.area}】{self.kind} {self.subject}" + (
            f"：{self.detail}" if self.detail else "")


def render(changes: Sequence[Change]) -> str:
    """The changes as lines of text, or a line saying there are none."""
    return "\n".join(map(str, changes)) if changes else "两个版本没有差别。"


def diff(old: Mapping[str, Any], new: Mapping[str, Any],
         departments: Mapping[str, str] | None = None) -> list[Change]:
    """Every difference from ``old`` to ``new`` (matter documents); ``departments`` maps
    department ids to names for the text."""
    a, b = from_doc(old), from_doc(new)
    names = dict(departments or {})
    out = [*_basics(a, b, names), *_limits(a, b), *_form(a, b), *_materials(a, b),
           *_steps(a, b, names), *_edges(a, b)]
    return sorted(out, key=lambda c: AREAS.index(c.area))  # stable: document order inside


# -- helpers ----------------------------------------------------------------------------

def _q(text: Any) -> str:
    return f"「{text}」"


def _days(value: Any) -> str:
    return f"{_num(value)} 个工作日"


def _num(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value


def _from_to(what: str, old: str, new: str) -> str:
    return f"{what}由{old}改为{new}"


def _text(area: str, subject: str, old: str, new: str, *, long: bool = False) -> list[Change]:
    """A text value added, removed or changed (long texts: counted in lines)."""
    if old == new:
        return []
    if not old:
        return [Change(area, ADDED, subject, f"共 {len(new.splitlines())} 行" if long else _q(new))]
    if not new:
        return [Change(area, REMOVED, subject, "" if long else _q(old))]
    if long:
        lines = list(difflib.ndiff(old.splitlines(), new.splitlines()))
        plus, minus = sum(x[0] == "+" for x in lines), sum(x[0] == "-" for x in lines)
        return [Change(area, CHANGED, subject, f"内容已修改（新增 {plus} 行、删除 {minus} 行）")]
    return [Change(area, CHANGED, subject, _from_to("", _q(old), _q(new)))]


def _listed(items: Sequence[Any], quote: bool = True) -> str:
    return "、".join(_q(i) if quote else str(i) for i in items) or "无"


def _set_change(what: str, old: Sequence[Any], new: Sequence[Any],
                label: Callable[[Any], str] = str) -> list[str]:
    added = [label(x) for x in new if x not in old]
    removed = [label(x) for x in old if x not in new]
    parts = ([f"{what}新增{_listed(added)}"] if added else []) + (
        [f"{what}删除{_listed(removed)}"] if removed else [])
    if not parts and list(old) != list(new):
        parts.append(f"{what}顺序已调整")
    return parts


T = TypeVar("T")


def _pairs(old: Sequence[T], new: Sequence[T], key: Callable[[T], str]
           ) -> Iterator[tuple[T | None, T | None]]:
    """(old, new) by id: new ones in their order with their old self, then the removed."""
    before = {key(x): x for x in old}
    after = {key(x) for x in new}
    for item in new:
        yield before.get(key(item)), item
    for item in old:
        if key(item) not in after:
            yield item, None


def _cond_change(what: str, old: Condition | None, new: Condition | None,
                 titles: Mapping[str, str]) -> list[str]:
    """``显示条件改为：…（原为：…）``; nothing when both say the same."""
    if (old is None and new is None) or (old is not None and new is not None and
                                         condition_schema(old) == condition_schema(new)):
        return []
    if old is None:
        return [f"新增{what}：{describe_condition(new, titles)}"]
    if new is None:
        return [f"取消{what}（原为：{describe_condition(old, titles)}）"]
    return [f"{what}改为：{describe_condition(new, titles)}"
            f"（原为：{describe_condition(old, titles)}）"]


# -- 基本信息 and 时限 --------------------------------------------------------------------

def _basics(a: GuidedMatter, b: GuidedMatter, names: Mapping[str, str]) -> list[Change]:
    area = "基本信息"
    out = _text(area, "事项名称", a.name, b.name) + _text(area, "事项分类", a.category,
                                                       b.category)
    if a.version != b.version:
        out.append(Change(area, CHANGED, "版本", _from_to("", f" {a.version} ", f" {b.version}")))
    if a.lead != b.lead:
        out.append(Change(area, CHANGED, "牵头部门", _from_to(
            "", _q(names.get(a.lead, a.lead)), _q(names.get(b.lead, b.lead)))))
    out += _text(area, "一次性告知", a.notice, b.notice, long=True)
    out += _text(area, "受理条件", a.conditions, b.conditions, long=True)
    for old, new in _pairs(a.fees, b.fees, lambda f: f.name):
        if old is None and new is not None:
            out.append(Change(area, ADDED, f"收费项目{_q(new.name)}", f"{_num(new.amount)} 元"))
        elif new is None and old is not None:
            out.append(Change(area, REMOVED, f"收费项目{_q(old.name)}"))
        elif old is not None and new is not None:
            if old.amount != new.amount:
                out.append(Change(area, CHANGED, f"收费项目{_q(new.name)}", _from_to(
                    "金额", f" {_num(old.amount)} 元", f" {_num(new.amount)} 元")))
            if old.basis != new.basis:
                out.append(Change(area, CHANGED, f"收费项目{_q(new.name)}", "收费依据已修改"))
    return out


def _limits(a: GuidedMatter, b: GuidedMatter) -> list[Change]:
    return [Change("时限", CHANGED, label, _from_to("", f" {_days(x)}", f" {_days(y)}"))
            for label, x, y in (("承诺时限", a.time_limit, b.time_limit),
                                ("法定时限", a.statutory_limit, b.statutory_limit)) if x != y]


# -- 申请表 -------------------------------------------------------------------------------

def _titles(g: GuidedMatter) -> dict[str, str]:
    return {f.name: f.label for f in g.fields}


def _form(a: GuidedMatter, b: GuidedMatter) -> list[Change]:
    area, titles = "申请表", {**_titles(a), **_titles(b)}
    out: list[Change] = []
    for old, new in _pairs(a.fields, b.fields, lambda f: f.name):
        if old is None and new is not None:
            detail = [TYPE_NAMES[new.type], "必填" if new.required else "选填"]
            if new.visible_when is not None:
                detail.append(f"显示条件：{describe_condition(new.visible_when, titles)}")
            out.append(Change(area, ADDED, f"字段{_q(new.label)}", "；".join(detail)))
        elif new is None and old is not None:
            out.append(Change(area, REMOVED, f"字段{_q(old.label)}"))
        elif old is not None and new is not None:
            out += [Change(area, CHANGED, f"字段{_q(new.label)}", d)
                    for d in _field_details(old, new, titles)]
    kept = [n for n in a.display_order if n in b.display_order]
    if kept != [n for n in b.display_order if n in a.display_order]:
        out.append(Change(area, CHANGED, "字段顺序", "已调整"))
    old_rules, new_rules = _rules(a, titles), _rules(b, titles)
    out += [Change(area, ADDED, "条件必填规则", r) for r in new_rules if r not in old_rules]
    out += [Change(area, REMOVED, "条件必填规则", r) for r in old_rules if r not in new_rules]
    out += _text(area, "申请表标题", str(a.form_extra.get("title", "")),
                 str(b.form_extra.get("title", "")))
    other = {"title", "allOf", "required", "properties"}
    if {k: v for k, v in a.form_extra.items() if k not in other} != {
            k: v for k, v in b.form_extra.items() if k not in other}:
        out.append(Change(area, CHANGED, "申请表", "其他校验设置已修改"))
    return out


def _field_details(old: GuidedField, new: GuidedField, titles: Mapping[str, str]) -> list[str]:
    out: list[str] = []
    if old.label != new.label:
        out.append(_from_to("标题", _q(old.label), _q(new.label)))
    if old.type != new.type:
        out.append(_from_to("类型", _q(TYPE_NAMES[old.type]), _q(TYPE_NAMES[new.type])))
    if old.required != new.required:
        out.append("改为必填" if new.required else "改为选填")
    if new.type == old.type == "enum":
        out += _set_change("选项", old.options, new.options)
    out += _cond_change("显示条件", old.visible_when, new.visible_when, titles)
    for label, x, y in (("最小值", old.minimum, new.minimum), ("最大值", old.maximum, new.maximum),
                        ("最少字数", old.min_length, new.min_length),
                        ("最多字数", old.max_length, new.max_length),
                        ("格式要求", old.pattern or None, new.pattern or None),
                        ("默认值", old.default, new.default)):
        if x != y:
            out.append(f"取消{label}" if y is None else (
                f"新增{label} {_num(y)}" if x is None else _from_to(label, f" {_num(x)} ",
                                                                 f" {_num(y)}")))
    for label, x, y in (("填写说明", old.help, new.help), ("示例文字", old.placeholder,
                                                          new.placeholder),
                        ("字段说明", old.description, new.description)):
        if x != y:
            out.append(f"{label}已修改")
    if old.widget != new.widget and old.type == new.type:
        out.append(_from_to("控件", _q(WIDGET_NAMES.get(old.widget, old.widget)),
                            _q(WIDGET_NAMES.get(new.widget, new.widget))))
    if old.type == new.type == "raw" and old.raw != new.raw:
        out.append("内部结构已修改")
    if (old.extra, old.hint_extra) != (new.extra, new.hint_extra) and not out:
        out.append("其他校验设置已修改")
    return out


def _rules(g: GuidedMatter, titles: Mapping[str, str]) -> list[str]:
    """The ``allOf`` if/then rules in words: 当「…」为"是"时必填：「…」."""
    out = []
    for rule in g.form_extra.get("allOf", []) or []:
        cond = parse_simple_condition(rule.get("if")) if isinstance(rule, dict) else None
        then = rule.get("then") if isinstance(rule, dict) else None
        required = then.get("required") if isinstance(then, dict) else None
        if cond is not None and isinstance(then, dict) and isinstance(required, list) \
                and set(then) == {"required"}:
            out.append(f"当{describe_condition(cond, titles)}时必填："
                       f"{_listed([titles.get(n, n) for n in required])}")
        else:
            out.append("自定义规则 " + json.dumps(rule, ensure_ascii=False, sort_keys=True))
    return out


# -- 申请材料 -----------------------------------------------------------------------------

def _materials(a: GuidedMatter, b: GuidedMatter) -> list[Change]:
    area, titles = "申请材料", {**_titles(a), **_titles(b)}
    out: list[Change] = []
    for old, new in _pairs(a.materials, b.materials, lambda m: m.id):
        if old is None and new is not None:
            out.append(Change(area, ADDED, f"材料{_q(new.name)}", _material_summary(new, titles)))
        elif new is None and old is not None:
            out.append(Change(area, REMOVED, f"材料{_q(old.name)}"))
        elif old is not None and new is not None:
            out += [Change(area, CHANGED, f"材料{_q(new.name)}", d)
                    for d in _material_details(old, new, titles)]
    return out


def _material_summary(m: GuidedMaterial, titles: Mapping[str, str]) -> str:
    parts = ["必交" if m.required else "选交"]
    parts += ["可容缺受理"] * m.deferrable + ["须核验原件"] * m.original
    if m.when is not None:
        parts.append(f"收取条件：{describe_condition(m.when, titles)}")
    return "；".join(parts)


def _material_details(old: GuidedMaterial, new: GuidedMaterial,
                      titles: Mapping[str, str]) -> list[str]:
    out: list[str] = []
    if old.name != new.name:
        out.append(_from_to("名称", _q(old.name), _q(new.name)))
    if old.required != new.required:
        out.append("改为必交" if new.required else "改为选交")
    out += _cond_change("收取条件", old.when, new.when, titles)
    if old.accept != new.accept:
        out.append(_from_to("文件类型", f" {'、'.join(old.accept)} ", f" {'、'.join(new.accept)}"))
    if old.max_mb != new.max_mb:
        out.append(_from_to("大小上限", f" {_num(old.max_mb)} MB ", f" {_num(new.max_mb)} MB"))
    if old.deferrable != new.deferrable:
        out.append("改为可容缺受理" if new.deferrable else "取消容缺受理")
    if old.copies != new.copies:
        out.append(_from_to("纸质份数", f" {old.copies} ", f" {new.copies}"))
    if old.original != new.original:
        out.append("改为须核验原件" if new.original else "改为无须核验原件")
    if old.note != new.note:
        out.append("备注已修改")
    return out


# -- 办理环节 and 环节依赖 ------------------------------------------------------------------

def _steps(a: GuidedMatter, b: GuidedMatter, names: Mapping[str, str]) -> list[Change]:
    area, titles = "办理环节", {**_titles(a), **_titles(b)}
    out: list[Change] = []
    for old, new in _pairs(a.steps, b.steps, lambda s: s.id):
        if old is None and new is not None:
            detail = [f"办理部门：{_listed([names.get(d, d) for d in new.departments])}",
                      f"时限 {_days(new.days)}"]
            if new.when is not None:
                detail.append(f"办理条件：{describe_condition(new.when, titles)}")
            out.append(Change(area, ADDED, f"环节{_q(new.name)}", "；".join(detail)))
        elif new is None and old is not None:
            out.append(Change(area, REMOVED, f"环节{_q(old.name)}"))
        elif old is not None and new is not None:
            out += [Change(area, CHANGED, f"环节{_q(new.name)}", d)
                    for d in _step_details(old, new, a, b, names, titles)]
    return out


def _step_details(old: GuidedStep, new: GuidedStep, a: GuidedMatter, b: GuidedMatter,
                  names: Mapping[str, str], titles: Mapping[str, str]) -> list[str]:
    out: list[str] = []
    if old.name != new.name:
        out.append(_from_to("名称", _q(old.name), _q(new.name)))
    out += _set_change("办理部门", old.departments, new.departments,
                       lambda d: names.get(d, d))
    join = {"all": "会签（全部部门同意）", "any": "或签（任一部门同意即可）"}
    if old.join != new.join and len(new.departments) > 1:
        out.append(_from_to("办结方式", _q(join.get(old.join, old.join)),
                            _q(join.get(new.join, new.join))))
    if old.days != new.days:
        out.append(_from_to("办理时限", f" {_days(old.days)}", f" {_days(new.days)}"))
    if old.preliminary_days != new.preliminary_days:
        out.append("取消初审意见时限" if new.preliminary_days is None else (
            f"新增初审意见时限 {_days(new.preliminary_days)}" if old.preliminary_days is None
            else _from_to("初审意见时限", f" {_days(old.preliminary_days)}",
                          f" {_days(new.preliminary_days)}")))
    out += _cond_change("办理条件", old.when, new.when, titles)
    materials = {m.id: m.name for m in (*a.materials, *b.materials)}
    out += _set_change("审查材料", old.materials, new.materials, lambda m: materials.get(m, m))
    old_titles = {f.name: f.title or f.name for f in old.fields}
    new_titles = {f.name: f.title or f.name for f in new.fields}
    out += _set_change("办理结果", old.outputs, new.outputs,
                       lambda n: new_titles.get(n) or old_titles.get(n, n))
    out += _form_fields(old, new)
    out += _set_change("读取上游结果", old.reads, new.reads, lambda r: _read_label(r, a, b))
    out += _certificate(old, new)
    if old.on_timeout != new.on_timeout:
        out.append("改为超时默许" if new.on_timeout == "consent" else "取消超时默许")
    if old.reply_options != new.reply_options:
        out.append(_from_to("回复意见选项", _q(_listed(old.reply_options, False)),
                            _q(_listed(new.reply_options, False))))
    if old.note != new.note:
        out.append("环节说明已修改")
    return out


def _form_fields(old: GuidedStep, new: GuidedStep) -> list[str]:
    """The reviewer's form: fields that are not outputs added or removed, fields changed."""
    before = {f.name: f for f in old.fields}
    after = {f.name: f for f in new.fields}
    added = [after[n].title or n for n in after if n not in before and not after[n].output]
    removed = [before[n].title or n for n in before if n not in after and not before[n].output]
    out = ([f"审批表单新增字段{_listed(added)}"] if added else []) + (
        [f"审批表单删除字段{_listed(removed)}"] if removed else [])
    for name in (n for n in after if n in before):
        x, y = before[name], after[name]
        if (x.title, x.type, x.pattern, x.required, x.description, x.extra) != (
                y.title, y.type, y.pattern, y.required, y.description, y.extra):
            out.append(f"审批表单字段{_q(y.title or name)}已修改")
    if old.form_extra != new.form_extra:
        out.append("审批表单其他设置已修改")
    return out


def _read_label(ref: str, a: GuidedMatter, b: GuidedMatter) -> str:
    step_id, _, output = ref.partition(".")
    for g in (b, a):
        for s in g.steps:
            if s.id == step_id:
                title = next((f.title for f in s.fields if f.name == output and f.title), output)
                return f"{s.name} · {title}"
    return ref


def _certificate(old: GuidedStep, new: GuidedStep) -> list[str]:
    if old.certificate == new.certificate:
        if old.certificate_number == new.certificate_number or not new.certificate:
            return []
        titles = {f.name: f.title or f.name for f in (*old.fields, *new.fields)}
        return [_from_to("证照编号字段", _q(titles.get(old.certificate_number, "无")),
                         _q(titles.get(new.certificate_number, "无")))]
    if not old.certificate:
        return [f"新增证照{_q(new.certificate)}"]
    if not new.certificate:
        return [f"取消证照{_q(old.certificate)}"]
    return [_from_to("证照", _q(old.certificate), _q(new.certificate))]


def _edge_map(g: GuidedMatter) -> dict[tuple[str, str], str]:
    """Effective edges: needing a step at finish and at preliminary waits for the finish."""
    ids = {s.id for s in g.steps}
    edges: dict[tuple[str, str], str] = {}
    for s in g.steps:
        for need in s.needs:
            if need.step in ids and need.step != s.id and (
                    need.at == "finish" or (need.step, s.id) not in edges):
                edges[need.step, s.id] = need.at
    return edges


def _edges(a: GuidedMatter, b: GuidedMatter) -> list[Change]:
    area = "环节依赖"
    label = {s.id: s.name for s in (*a.steps, *b.steps)}
    old, new = _edge_map(a), _edge_map(b)
    moment = {"finish": "办结后开始", "preliminary": "出具初审意见后即开始（分段并联）"}
    out: list[Change] = []
    for (u, v), at in new.items():
        subject = f"{_q(label[u])}→{_q(label[v])}"
        if (u, v) not in old:
            out.append(Change(area, ADDED, subject, f"{_q(label[v])}在{_q(label[u])}"
                                                    f"{moment.get(at, at)}"))
        elif old[u, v] != at:
            out.append(Change(area, CHANGED, subject, _from_to(
                "", moment.get(old[u, v], old[u, v]), moment.get(at, at))))
    out += [Change(area, REMOVED, f"{_q(label[u])}→{_q(label[v])}",
                   f"{_q(label[v])}不再等待{_q(label[u])}") for u, v in old if (u, v) not in new]
    return out
