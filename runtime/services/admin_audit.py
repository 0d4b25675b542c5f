"""The admin audit in words: what an entry's action code and detail say, in Chinese."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

_ACTIONS = {
    "draft.create": "新建事项草稿", "draft.copy": "复制「{from}」第 {version} 版为新事项草稿",
    "draft.save": "保存草稿", "draft.edit": "在向导中修改草稿", "draft.import": "导入草稿",
    "draft.discard": "放弃草稿", "matter.publish": "发布第 {version} 版",
    "matter.record": "登记目录中的第 {version} 版",
    "catalog.repair": "修复目录文件（第 {version} 版）",
    "department.add": "新增部门「{name}」", "department.rename": "部门更名：「{from}」改为「{to}」",
    "department.delete": "删除部门「{name}」",
    "calendar.add_year": "工作日历新增 {year} 年", "calendar.set_year": "修改 {year} 年的状态",
    "calendar.remove_year": "工作日历删除 {year} 年",
    "calendar.add_day": "{year} 年新增日期 {date}",
    "calendar.remove_day": "{year} 年删除日期 {date}",
}
_DETAIL_LABELS = {"lead": "牵头部门", "checksum": "校验和", "warnings": "提示数", "file": "文件",
                  "written": "写入文件", "edit": "修改"}
_WHO = {"catalog": "目录文件", "system": "系统"}


def _used(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def action_words(action: str, detail: Mapping[str, Any]) -> str:
    """An audit action in Chinese (``发布第 3 版``), never its code."""
    template = _ACTIONS.get(action)
    if template is None:
        return "其他操作"
    if not _used(template) <= detail.keys():
        return template.split("「")[0].split("第")[0].rstrip("（：") or template
    return template.format(**detail)


def detail_words(action: str, detail: Mapping[str, Any]) -> str:
    """What the action's words do not already say, labelled in Chinese (no codes)."""
    used = _used(_ACTIONS.get(action, "")) | {"checksum"}
    parts = []
    for key, value in detail.items():
        if key in used or key not in _DETAIL_LABELS:
            continue
        text = "、".join(map(str, value)) if isinstance(value, list) else str(value)
        parts.append(f"{_DETAIL_LABELS[key]}：{text}")
    return "；".join(parts)


def who_words(who: str, display_name: str | None) -> str:
    """The person (their display name) or the machine that made a change."""
    return display_name or _WHO.get(who, who)
