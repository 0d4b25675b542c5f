"""Notification templates (通知模板): the kinds of message onewindow sends, the words
each may use, and the centre's own texts from ``catalog/notifications.yaml``.

A template is ``{title, body}``; ``{name}`` inserts a value (the matter's, step's or
department's title, never an id). Each kind allows a fixed set of names; any other
``{...}`` is an error located at its key. Kinds the file does not name keep the
built-in text (`DEFAULTS`), so the file may hold only what the centre changes.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from builder.errors import Problem
from builder.source import Source

_CASE = ("matter", "number")
_TASK = ("matter", "number", "step", "department")


@dataclass(frozen=True)
class Kind:
    """One kind of notification: who gets it, whether the law requires it (then it cannot
    be turned off), the names its template may use, and its built-in text."""

    audience: str  # "applicant", "officers", "lead", "supervisors"
    required: bool
    names: tuple[str, ...]
    title: str
    body: str


KINDS: dict[str, Kind] = {
    "accepted": Kind("applicant", True, (*_CASE, "query_code"), "办件已受理",
                     "您申请的“{matter}”已受理，受理编号 {number}，查询码 {query_code}。"),
    "supplement_requested": Kind(
        "applicant", True, ("matter", "items"), "请补正材料",
        "您申请的“{matter}”需要补正，请一次补齐以下内容：{items}"),
    "refused": Kind("applicant", True, ("matter", "reason"), "申请不予受理",
                    "您申请的“{matter}”不予受理，理由：{reason}"),
    "step_decided": Kind("applicant", False, (*_TASK, "decision", "note"), "部门已办理",
                         "办件 {number}（{matter}）的“{step}”已由{department}办理："
                         "{decision}。{note}"),
    "approved": Kind("applicant", True, _CASE, "办件已办结（准予许可）",
                     "办件 {number}（{matter}）审批通过。"),
    "rejected": Kind("applicant", True, (*_CASE, "reason"), "办件不予许可",
                     "办件 {number}（{matter}）不予许可，理由：{reason}"),
    "certificates_ready": Kind("applicant", False, (*_CASE, "certificates"), "证照可领取",
                               "办件 {number}（{matter}）的{certificates}已制证，"
                               "请到综合窗口领取。"),
    "deferred_due_soon": Kind("applicant", False, (*_CASE, "material", "due"), "容缺材料即将到期",
                              "办件 {number} 的容缺材料“{material}”须于 {due} 前补交。"),
    "deferred_overdue": Kind("applicant", True, (*_CASE, "material", "due"), "容缺材料已逾期",
                             "办件 {number} 的容缺材料“{material}”已超过 {due} 的补交期限，"
                             "请尽快补交。"),
    "delivered": Kind("applicant", False, _CASE, "办件已送达",
                      "办件 {number}（{matter}）的结果和证照已送达，办结。"),
    "task_ready": Kind("officers", False, (*_TASK, "due"), "新任务",
                       "{department}有新任务：办件 {number}（{matter}）的“{step}”，"
                       "请于 {due} 前办结。"),
    "task_yellow": Kind("officers", False, (*_TASK, "due"), "任务即将到期（黄灯）",
                        "办件 {number} 的“{step}”将于 {due} 到期，请抓紧办理。"),
    "task_red": Kind("officers", False, (*_TASK, "due"), "任务已超期（红灯）",
                     "办件 {number} 的“{step}”已于 {due} 超期。"),
    "task_urged": Kind("officers", False, (*_TASK, "note"), "督办",
                       "电子监察督办：办件 {number} 的“{step}”。{note}"),
    "task_transferred": Kind("officers", False, _TASK, "转办给您的任务",
                             "办件 {number}（{matter}）的“{step}”已转给您办理。"),
    "lead_rejected": Kind("lead", False, (*_TASK, "reason"), "有部门不予通过",
                          "牵头事项“{matter}”办件 {number}：{department}对“{step}”不予通过，"
                          "理由：{reason}"),
    "digest": Kind("supervisors", False, ("date", "lines", "complaints"), "每日督办统计",
                   "{date} 督办统计：{lines}。新投诉 {complaints} 件。"),
    # Kinds added later go last: a notification's id holds its kind's position.
    "deadline_moved": Kind("officers", False, (*_TASK, "due", "old_due"), "办理期限已调整",
                           "工作日历变更：办件 {number} 的“{step}”期限由 {old_due} "
                           "调整为 {due}。"),
    "case_deadline_moved": Kind("applicant", False, (*_CASE, "due", "old_due"),
                                "办结期限已调整",
                                "因法定节假日安排变更，您的办件 {number}（{matter}）"
                                "预计办结期限由 {old_due} 调整为 {due}。"),
    "deferred_escalated": Kind("lead", False, (*_CASE, "material", "due"), "容缺材料逾期未补交",
                               "办件 {number}（{matter}）的容缺材料“{material}”已超过 {due} "
                               "的补交期限，仍未补交，请牵头部门跟进。"),
}
"""Every kind of notification, by id."""

NAME_TITLES = {
    "matter": "事项名称", "number": "受理编号", "query_code": "查询码", "items": "补正内容",
    "reason": "理由", "step": "环节名称", "department": "部门名称", "decision": "办理结果",
    "note": "意见", "certificates": "证照名称", "material": "材料名称", "due": "期限",
    "date": "日期", "lines": "各部门红黄灯", "complaints": "投诉数",
    "old_due": "原期限",
}


@dataclass(frozen=True)
class Template:
    """The text of one kind: a title and a body, each with ``{name}`` placeholders."""

    title: str
    body: str

    def render(self, values: Mapping[str, Any]) -> tuple[str, str]:
        """The title and body with every placeholder filled (missing values: empty)."""
        filled = {name: "" if value is None else str(value) for name, value in values.items()}
        return (_fill(self.title, filled), _fill(self.body, filled))


def _fill(text: str, values: Mapping[str, str]) -> str:
    out = []
    for literal, name, _spec, _conv in string.Formatter().parse(text):
        out.append(literal)
        if name is not None:
            out.append(values.get(name, ""))
    return "".join(out)


DEFAULTS: dict[str, Template] = {k: Template(v.title, v.body) for k, v in KINDS.items()}


def compile_notifications(raw: Mapping[str, Any] | None) -> dict[str, Template]:
    """Every kind's template: the catalog's text where it gives one, else the default."""
    given = (raw or {}).get("templates") or {}
    out = dict(DEFAULTS)
    for kind, text in given.items():
        base = DEFAULTS[kind]
        out[kind] = Template(text.get("title", base.title), text.get("body", base.body))
    return out


def check_placeholders(src: Source) -> list[Problem]:
    """Each ``{name}`` of a template is one its kind allows; braces are balanced."""
    problems: list[Problem] = []
    templates = src.value.get("templates") if isinstance(src.value, dict) else None
    if not isinstance(templates, dict):
        return problems
    for kind, text in templates.items():
        if kind not in KINDS or not isinstance(text, dict):
            continue  # the meta-schema reports these
        allowed = KINDS[kind].names
        for part in ("title", "body"):
            value = text.get(part)
            if not isinstance(value, str):
                continue
            where = ("templates", kind, part)
            try:
                names = [n for _, n, _, _ in string.Formatter().parse(value) if n is not None]
            except ValueError:
                problems.append(src.problem(where, f"unbalanced braces in the {part} of "
                                            f"'{kind}': write {{name}}, or {{{{ and }}}} for a "
                                            "brace", code="template_braces",
                                            params={"kind": kind, "part": part}))
                continue
            for name in names:
                if name not in allowed:
                    problems.append(src.problem(
                        where, f"unknown placeholder {{{name}}} in the {part} of '{kind}' "
                        f"(allowed: {', '.join('{' + n + '}' for n in allowed)})",
                        code="unknown_placeholder",
                        params={"kind": kind, "part": part, "name": name,
                                "allowed": list(allowed)}))
    return problems
