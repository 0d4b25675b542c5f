"""Edits to catalog text keep comments and layout, and never change meaning."""

from __future__ import annotations

import yaml
from hypothesis import given
from hypothesis import strategies as st

from runtime.services.yaml_edit import edit_departments, scalar, set_top_scalar

DEPARTMENTS = """\
# 进驻部门
departments:
  # —— 企业开办 ——
  - {id: amr, name: 市场监督管理局}   # 牵头
  - {id: psb, name: 公安局}

  # —— 工程建设 ——
  - id: nr
    name: 自然资源和规划局
# end
"""


def _deps(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"id": i, "name": n} for i, n in pairs]


BASE = (("amr", "市场监督管理局"), ("psb", "公安局"), ("nr", "自然资源和规划局"))


def test_rename_changes_only_the_name() -> None:
    new = edit_departments(DEPARTMENTS, _deps(BASE[0], ("psb", "公安局（治安）"), BASE[2]))
    assert new == DEPARTMENTS.replace("name: 公安局}", "name: 公安局（治安）}")


def test_rename_quotes_a_name_that_needs_it() -> None:
    new = edit_departments(DEPARTMENTS, _deps(("amr", "市场监管: 总局, 一处"), *BASE[1:]))
    assert '{id: amr, name: "市场监管: 总局, 一处"}   # 牵头' in new
    assert yaml.safe_load(new)["departments"][0]["name"] == "市场监管: 总局, 一处"


def test_delete_removes_the_entry_and_keeps_the_comments() -> None:
    new = edit_departments(DEPARTMENTS, _deps(BASE[0], BASE[2]))
    assert new == DEPARTMENTS.replace("  - {id: psb, name: 公安局}\n", "")
    block = edit_departments(DEPARTMENTS, _deps(*BASE[:2]))
    assert block == DEPARTMENTS.replace("  - id: nr\n    name: 自然资源和规划局\n", "")


def test_add_appends_after_the_last_entry_in_the_file_style() -> None:
    new = edit_departments(DEPARTMENTS, _deps(*BASE, ("water", "水务局")))
    assert new == DEPARTMENTS.replace("# end", "  - {id: water, name: 水务局}\n# end")


def test_an_unusual_layout_is_rewritten_whole() -> None:
    flow = "departments: [{id: amr, name: 市场监督管理局}]\n"
    new = edit_departments(flow, _deps(BASE[0], ("psb", "公安局")))
    assert yaml.safe_load(new) == {"departments": _deps(BASE[0], ("psb", "公安局"))}


def test_set_version_in_place_or_after_the_id() -> None:
    text = "# 说明\nid: m   # 编号\nname: 事项\nversion: 1  # 版本\nsteps: []\n"
    assert set_top_scalar(text, "version", 7) == text.replace("version: 1", "version: 7")
    missing = "# 说明\nid: m   # 编号\nname: 事项\nsteps: []\n"
    assert set_top_scalar(missing, "version", 2) == missing.replace("编号\n", "编号\nversion: 2\n")


def test_a_block_scalar_is_replaced_safely() -> None:
    text = "id: m\nname: |\n  多行\n  名称\nsteps: []\n"
    new = set_top_scalar(text, "name", "新名称")
    assert yaml.safe_load(new) == {"id": "m", "name": "新名称", "steps": []}


@given(st.text(min_size=1, max_size=30))
def test_any_name_reads_back_unchanged(name: str) -> None:
    assert yaml.safe_load(f"k: {scalar(name)}") == {"k": name}
    new = edit_departments(DEPARTMENTS, _deps(("amr", name), *BASE[1:]))
    assert yaml.safe_load(new)["departments"][0] == {"id": "amr", "name": name}
