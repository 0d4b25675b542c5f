"""The builder's problems in Simplified Chinese, for the administrator's matter editor.

``onewindow check`` keeps the English ``Problem.message``; here each ``code`` has a
template over the problem's ``params``. A problem with no code, or a code without a
template, is shown in English rather than not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from builder.errors import Problem

Params = Mapping[str, Any]

_KINDS = {"step": "环节", "material": "材料", "department": "部门"}
_TOP = {"lead": "牵头部门 lead"}  # places outside any step or material that need a word
_WHAT = {"form": "申请表", "step_form": "环节表单", "condition": "条件"}
_TYPES = {"string": "文字", "number": "数字", "integer": "整数",
          "boolean": "布尔值（true 或 false）", "object": "映射（键: 值）", "array": "列表",
          "null": "空值"}
_BOUNDS = {"minimum": "不小于", "maximum": "不大于", "exclusiveMinimum": "大于",
           "exclusiveMaximum": "小于"}

# libyaml's own words (the C loader's), and what they mean to someone new to YAML.
_YAML_PROBLEMS = {
    "mapping values are not allowed in this context":
        "此处不能出现“键: 值”（冒号后要有空格；含冒号的文字请加引号；检查缩进）",
    "did not find expected ',' or ']'": "缺少 “,” 或 “]”",
    "did not find expected ',' or '}'": "缺少 “,” 或 “}”",
    "did not find expected key": "此处应是一个键（检查缩进是否对齐）",
    "did not find expected '-' indicator": "此处应是以 “-” 开头的列表项（检查缩进是否对齐）",
    "found character that cannot start any token":
        "出现了不能放在开头的字符（如 Tab、@、`、%；含这些字符的文字请加引号）",
    "found unexpected end of stream": "文件意外结束（引号没有闭合？）",
    "found unknown escape character":
        "未知的转义字符（双引号中的 “\\” 要写成 “\\\\”，或改用单引号）",
    "found undefined alias": "引用了未定义的锚点（*名称）",
    "did not find expected <document start>": "有多余的内容（检查首行的缩进或多余的括号）",
    "but found another document": "出现了第二个文档",
    "did not find expected node content": "此处缺少内容",
    "could not find expected ':'": "缺少 “:”",
    "found a tab character that violates indentation": "缩进中不能使用 Tab，请改用空格",
    "block sequence entries are not allowed in this context": "此处不能出现列表项 “-”（检查缩进）",
    "found unknown directive name": "未知的指令（以 % 开头的行）",
}
_YAML_CONTEXTS = {
    "while parsing a flow sequence": "在方括号列表 [...] 中",
    "while parsing a flow mapping": "在花括号映射 {...} 中",
    "while parsing a block mapping": "在映射中",
    "while parsing a block collection": "在列表中",
    "while scanning for the next token": "读取时",
    "while scanning a quoted scalar": "在引号中的文字里",
    "while parsing a quoted scalar": "在引号中的文字里",
    "while scanning a plain scalar": "在文字中",
    "while scanning a simple key": "在键中",
    "while parsing a flow node": "在括号中",
    "while scanning a directive": "在指令中",
    "expected a single document in the stream": "一个文件只能有一个文档，请删掉 “---”",
}


def render(problem: Problem) -> str:
    """``problem`` in Simplified Chinese; its English message when there is no template."""
    return _say(problem.code, problem.params, problem.message)


def codes() -> frozenset[str]:
    """Every code with a Chinese template."""
    return frozenset(_PROBLEMS) | frozenset(_RULES)


def _say(code: str, params: Params, english: str) -> str:
    if code in _PROBLEMS:
        return _PROBLEMS[code](params)
    if code in _RULES:
        return _subject(params) + _RULES[code](params)
    return english


def place(where: Any) -> str:
    """A ``builder.metaschema.Place`` in Chinese: ``环节 seal``, ``第 2 个材料 的 accept[1]``."""
    kind, item, rest = where
    if not kind:
        return _TOP.get(rest, str(rest))
    head = f"{_KINDS.get(kind, kind)} {item}" if isinstance(item, str) else \
        f"第 {item} 个{_KINDS.get(kind, kind)}"
    return f"{head} 的 {rest}" if rest else head


def _where(p: Params) -> str:
    """``「环节 seal」：`` before a message, nothing for the whole document."""
    name = place(p["where"])
    return f"「{name}」：" if name else ""


def _subject(p: Params) -> str:
    """What a meta-schema rule speaks of: ``「环节 seal」的 “days” `` or ``「…」：``."""
    if p.get("field") is None:
        return _where(p)
    owner = place(p["where"])
    return (f"「{owner}」的 " if owner else "") + f"“{p['field']}” "


def _hint(p: Params) -> str:
    return f"（是否应为 “{p['hint']}”？）" if p.get("hint") else ""


def _list(items: Iterable[Any]) -> str:
    return "、".join(map(str, items))


def _yaml(p: Params) -> str:
    what = _YAML_PROBLEMS.get(p["problem"], p["problem"])
    context = _YAML_CONTEXTS.get(p["context"], p["context"])
    return f"YAML 语法错误：{what}" + (f"（{context}）" if context else "")


def _inner(said: Any) -> str:
    """A user JSON Schema's own error (a ``metaschema.Said``), at its place in the schema."""
    at = said.params.get("at")
    return (f"“{at}” " if at else "") + _say(said.code, {**said.params, "field": None,
                                                          "where": ("", "", "")}, said.text)


def _reads(p: Params) -> str:
    return f"{_where(p)}读取 “{p['ref']}”，但"


# Meta-schema rules: what is wrong with a value; ``_subject`` says which value.
_RULES: dict[str, Callable[[Params], str]] = {
    "wrong_type": lambda p: f"必须是{'或'.join(_TYPES.get(t, t) for t in p['types'])}，"
                            f"实际为 {p['got']}",
    "not_one_of": lambda p: f"必须是以下之一：{_list(p['options'])}；实际为 {p['got']}",
    "not_const": lambda p: f"必须是 {p['expected']}，实际为 {p['got']}",
    "invalid_id": lambda p: f"{p['got']} 不是有效的编号：只能使用小写字母、数字和 “-”，"
                            "并以字母开头",
    "invalid_output_ref": lambda p: f"{p['got']} 必须写成“环节.输出项”，例如 license.license_no",
    "pattern_mismatch": lambda p: f"{p['got']} 不符合格式 {p['pattern']}",
    "out_of_bounds": lambda p: f"必须{_BOUNDS[p['bound']]} {p['limit']}，实际为 {p['got']}",
    "item_count": lambda p: (f"至少要列出 {p['limit']} 项" if p["bound"] == "minItems" else
                             f"最多只能列出 {p['limit']} 项"),
    "empty": lambda p: "不能为空",
    "too_short": lambda p: f"至少要有 {p['limit']} 个字符",
    "too_long": lambda p: f"最多只能有 {p['limit']} 个字符",
    "repeated_item": lambda p: f"同一项列了两次：{p['got']}",
    "invalid_regex": lambda p: f"必须是有效的正则表达式，实际为 {p['got']}"
                               + (f"（{p['reason']}）" if p["reason"] else ""),
    "need_form": lambda p: "前置环节必须是环节编号，或 {step: 环节编号, at: finish|preliminary}，"
                           f"实际为 {p['got']}",
    "certificate_form": lambda p: "必须是证照名称，或 {name: 名称, number: 输出项}，"
                                  f"实际为 {p['got']}",
    "holiday_form": lambda p: "节假日必须写成 {date: 日期, name: 名称} 或 "
                              f"{{from: 日期, to: 日期, name: 名称}}，实际为 {p['got']}",
    "not_valid": lambda p: f"不符合要求：{p['got']}",
    "invalid_key_name": lambda p: f"有无效的键：{p['detail']}",
    "schema_rule": lambda p: f"不符合要求：{p['detail']}",
    "not_a_type": lambda p: f"“{p['got']}” 不是类型；请使用 {_list(p['types'])} 之一{_hint(p)}",
}

_PROBLEMS: dict[str, Callable[[Params], str]] = {
    # reading files
    "yaml_syntax": _yaml,
    "yaml_error": lambda p: f"YAML 语法错误：{p['detail']}",
    "yaml_tag": lambda p: f"YAML 语法错误：不允许使用标签 “{p['tag']}”"
                          "（只能写文字、数字、列表和映射）",
    "yaml_key_not_plain": lambda p: "键必须是简单的名称，不能是列表或映射",
    "yaml_unreadable_value": lambda p: f"YAML 语法错误：{p['value']} 无法按 {p['tag']} 读取",
    "duplicate_key": lambda p: f"重复的键 “{p['key']}”（第一次出现在第 {p['first']} 行）",
    "empty_file": lambda p: "文件是空的",
    "file_too_large": lambda p: f"文件有 {p['size']:,} 字节，目录文件最多 {p['limit']:,} 字节",
    "yaml_alias_bomb": lambda p: f"YAML 中的别名（*名称）重复展开的内容超过 {p['limit']:,} 项；"
                                 "请直接写出内容，或减少嵌套的锚点",
    "yaml_recursive_alias": lambda p: "YAML 中的别名引用了包含它自己的锚点（循环引用）",
    "yaml_too_deep": lambda p: f"内容嵌套超过 {p['limit']} 层",
    "not_utf8": lambda p: f"文件不是 UTF-8 编码的文本：{p['reason']}",
    "unreadable_file": lambda p: f"无法读取文件：{p['reason']}",
    "no_catalog_folder": lambda p: "找不到目录文件夹",
    "unknown_placeholder": lambda p: f"通知模板“{p['kind']}”的 {p['part']} 中没有 "
                                     f"{{{p['name']}}} 这个名称，可用："
                                     f"{'、'.join('{' + n + '}' for n in p['allowed'])}",
    "template_braces": lambda p: f"通知模板“{p['kind']}”的 {p['part']} 花括号不成对："
                                 "写 {名称}，或用 {{ 和 }} 表示花括号本身",
    "missing_catalog_file": lambda p: f"缺少 {p['name']}：每个目录都必须有这个文件",
    "no_matters_folder": lambda p: "缺少 matters/ 文件夹",
    "no_such_file": lambda p: "没有这个文件或文件夹",
    # keys and ids
    "unknown_key": lambda p: f"{_where(p)}未知的键 “{p['key']}”{_hint(p)}"
                             + (f"；可用的键：{_list(p['valid'])}" if p["valid"] else ""),
    "missing_key": lambda p: f"{_where(p)}缺少必填的键 “{p['key']}”",
    "duplicate_id": lambda p: f"{_KINDS[p['kind']]}编号 “{p['id']}” 重复（第一次出现在第 "
                              f"{p['first']} 行）",
    "duplicate_matter_id": lambda p: f"事项编号 “{p['id']}” 重复（{p['other']} 中也有）",
    "id_not_file_name": lambda p: f"事项编号 “{p['id']}” 必须与文件名 “{p['expected']}” 相同",
    # forms and conditions written by hand
    "invalid_json_schema": lambda p: f"{_where(p)}{_WHAT[p['what']]}不是有效的 JSON Schema："
                                     f"{_inner(p['inner'])}",
    "remote_ref": lambda p: f"{_where(p)}{_WHAT[p['what']]}只能使用本地的 “$ref”（以 “#” 开头），"
                            f"不能用 “{p['ref']}”：系统不会获取远程的 schema",
    "unsafe_pattern": lambda p: f"{_where(p)}{_WHAT[p['what']]}中的格式 “{p['pattern']}” 无法使用："
                                f"{p['reason']}（格式用 RE2 检查，耗时与答案长度成正比："
                                "不支持反向引用 \\1、先行断言 (?=…)、后行断言 (?<=…)）",
    "unknown_format": lambda p: f"{_where(p)}{_WHAT[p['what']]}中的 format “{p['format']}” "
                                f"未知{_hint(p)}；可用的 format：{_list(p['known'])}",
    "unevaluated_with_patterns": lambda p: f"{_where(p)}{_WHAT[p['what']]}中的 "
                                           "“unevaluatedProperties” 不能与 “patternProperties” "
                                           "同时使用，请改用 “additionalProperties”",
    "condition_not_a_field": lambda p: f"{_where(p)}条件引用了 “{p['field']}”，但申请表中没有"
                                       f"这个字段{_hint(p)}",
    "fee_per_not_a_number": lambda p: f"收费项目按 “{p['field']}” 计费，但它不是申请表中的数字字段"
                                      f"{_hint(p)}",
    "ui_not_a_field": lambda p: f"「{p['section']}」：“{p['field']}” 不是申请表字段{_hint(p)}",
    # references between parts of the matter
    "duplicate_scoring_rule": lambda p: f"考核规则编号 “{p['id']}” 重复",
    "grades_not_descending": lambda p: f"考核等次须从高到低排列：{p['min']:g} 不低于上一等次的 "
                                       f"{p['previous']:g}",
    "duplicate_peer": lambda p: f"协同中心编号 “{p['id']}” 重复",
    "peer_is_self": lambda p: f"协同中心 “{p['id']}” 与本中心编号相同",
    "duplicate_peer_url": lambda p: f"协同中心 “{p['id']}” 的地址与 “{p['other']}” 相同",
    "peers_without_id": lambda p: "列出协同中心（peers）时须填写本中心的编号 “id”",
    "unknown_peer": lambda p: f"部门 “{p['department']}” 所在的协同中心 “{p['centre']}” "
                              f"不存在{_hint(p)}",
    "remote_without_centre": lambda p: f"部门 “{p['department']}” 填写了 “remote” 但没有填写 "
                                       "所在中心 “centre”",
    "unknown_announced_matter": lambda p: f"办件结果公告（announce）中的事项 “{p['matter']}” "
                                          f"不存在{_hint(p)}",
    "unknown_department": lambda p: f"{_where(p)}未知的部门 “{p['department']}”{_hint(p)}",
    "unknown_material": lambda p: f"{_where(p)}未知的材料 “{p['material']}”{_hint(p)}",
    "department_twice": lambda p: f"{_where(p)}“department” 和 “departments” 只能填一个",
    "department_missing": lambda p: f"{_where(p)}缺少 “department”（由多个部门共同审批的环节"
                                    "请填 “departments”）",
    "join_needs_departments": lambda p: f"{_where(p)}只有多个部门共同审批时，“join” 才有作用",
    "needs_itself": lambda p: f"{_where(p)}不能把自己列为前置环节",
    "unknown_step": lambda p: f"{_where(p)}前置环节 “{p['step']}” 不存在{_hint(p)}",
    "no_preliminary_opinion": lambda p: f"{_where(p)}要在 “{p['step']}” 出具初审意见后开始，但 "
                                        f"“{p['step']}” 没有设置初审时限 preliminary_days",
    "cycle": lambda p: f"前置环节形成了循环：{' → '.join(p['steps'])}（这些环节互相等待；"
                       "请删掉其中一个前置关系）",
    # outputs and reads
    "output_not_in_form": lambda p: f"{_where(p)}输出项 “{p['output']}” 不是本环节表单中的字段"
                                    f"{_hint(p)}；" + (
                                        f"表单字段有：{_list(p['fields'])}" if p["fields"]
                                        else "请添加包含该字段的表单 “form”"),
    "certificate_not_an_output": lambda p: f"{_where(p)}证照编号 “{p['number']}” 必须是本环节的"
                                           f"输出项之一{_hint(p)}",
    # the certificate register (证照库, 免提交)
    "duplicate_certificate_kind": lambda p: f"证照种类 “{p['id']}” 重复定义",
    "unknown_certificate_kind": lambda p: f"{_where(p)}证照种类 “{p['kind']}” 未在 "
                                          f"certificates.yaml 中定义{_hint(p)}",
    "certificate_kind_needs": lambda p: f"{_where(p)}登记入证照库的证照须写明 "
                                        f"{' 和 '.join(p['missing'])}",
    "certificate_holder_unknown": lambda p: f"{_where(p)}持证主体 “{p['holder']}” 既不是本环节的"
                                            f"输出项，也不是申请表字段{_hint(p)}",
    "register_missing": lambda p: f"{_where(p)}材料可由证照库免提交，但事项没有写明 "
                                  "register: {holder: 字段}（按谁的证件号码查询证照库）",
    "register_holder_unknown": lambda p: f"register 的持证主体字段 “{p['holder']}” 不是申请表"
                                         f"字段{_hint(p)}",
    "register_field_unknown": lambda p: f"register 中的 “{p['field']}” 不是申请表字段{_hint(p)}",
    "register_bad_attribute": lambda p: f"register 中的 “{p['ref']}” 须写成 证照种类.属性，属性为 "
                                        f"number、holder_name 或 valid_until{_hint(p)}",
    "read_unknown_step": lambda p: f"{_reads(p)}环节 “{p['step']}” 不存在{_hint(p)}",
    "read_not_published": lambda p: f"{_reads(p)}环节 “{p['step']}” 没有输出 “{p['output']}”"
                                    f"{_hint(p)}；" + (f"它输出的有：{_list(p['published'])}" if
                                                      p["published"] else "它没有任何输出项"),
    "read_not_upstream": lambda p: f"{_reads(p)}不能保证 “{p['step']}” 在 “{p['reader']}” "
                                   "开始前已审批完成（" + (
                                       "它只等待上游环节的初审意见，那时这个值还不存在"
                                       if p["staged"] else "两个环节并行办理，或顺序相反")
                                   + f"）；请把 “{p['step']}” 加入 “{p['reader']}” 的前置"
                                     "环节 needs",
    "read_conditional": lambda p: f"{_where(p)}从有条件的环节读取 “{p['ref']}”；对不适用 "
                                  f"“{p['step']}” 的办件，这个值为空",
    # time limits and materials
    "promise_over_statutory": lambda p: f"承诺时限 time_limit（{p['limit']} 个工作日）长于法定时限 "
                                        f"statutory_limit（{p['statutory']}）；承诺不能超过法律规定",
    "preliminary_not_shorter": lambda p: f"{_where(p)}初审时限 preliminary_days"
                                         f"（{p['preliminary']}）必须小于办理时限 days"
                                         f"（{p['days']}）",
    "time_limit_too_short": lambda p: f"承诺时限 time_limit {p['limit']} 个工作日短于并联方案"
                                      f"所需的 {p['parallel_days']} 个工作日（关键路径："
                                      f"{' → '.join(p['critical_path'])}）",
    "unused_material": lambda p: f"材料 “{p['material']}” 没有被任何环节的审批人使用",
    "deferral_not_deferrable": lambda p: f"材料 “{p['material']}” 设置了 {p['key']}，"
                                         "须同时设置 deferrable: true（可容缺受理）",
    "deferral_unknown_step": lambda p: f"材料 “{p['material']}” 的 deferred_after 环节 "
                                       f"“{p['step']}” 不存在{_hint(p)}",
    "deferral_without_days": lambda p: f"材料 “{p['material']}” 设置了 deferred_after，"
                                       "须同时用 deferred_days 写明其后多少日内补交",
}
