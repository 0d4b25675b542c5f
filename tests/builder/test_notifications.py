"""catalog/notifications.yaml: checked like every catalog file, located problems in
English and Chinese; what it leaves out keeps the built-in text."""

from __future__ import annotations

import shutil
from pathlib import Path

from builder import load_catalog
from builder.catalog import check_paths
from builder.messages_zh import render
from builder.metaschema import meta_schema
from builder.notifications import DEFAULTS, KINDS

ROOT = Path(__file__).parents[2]


def _check(tmp_path: Path, text: str) -> list[str]:
    folder = tmp_path / "catalog"
    shutil.copytree(ROOT / "catalog", folder)
    (folder / "notifications.yaml").write_text(text, encoding="utf-8")
    return [f"{p.line}:{p.column}: {p.message} | {render(p)}"
            for p in check_paths([folder]).problems]


def test_the_shipped_file_names_every_kind_and_the_schema_knows_them() -> None:
    catalog = load_catalog(ROOT / "catalog")
    assert set(catalog.notifications) == set(KINDS)
    schema_kinds = meta_schema("notifications")["properties"]["templates"]["properties"]
    assert set(schema_kinds) == set(KINDS)


def test_an_unknown_placeholder_is_located_with_what_is_allowed(tmp_path: Path) -> None:
    found = _check(tmp_path, "templates:\n  refused:\n    title: 不予受理\n"
                             "    body: 理由：{reasn}\n  task_red:\n    body: \"{step 超期\"\n")
    assert found == [
        "4:11: unknown placeholder {reasn} in the body of 'refused' (allowed: {matter}, "
        "{reason}) | 通知模板“refused”的 body 中没有 {reasn} 这个名称，可用：{matter}、{reason}",
        "6:11: unbalanced braces in the body of 'task_red': write {name}, or {{ and }} for a "
        "brace | 通知模板“task_red”的 body 花括号不成对：写 {名称}，或用 {{ 和 }} 表示花括号本身"]


def test_unknown_kinds_and_keys_are_errors(tmp_path: Path) -> None:
    found = _check(tmp_path, "templates:\n  acepted: {title: x}\n  refused: {titel: x}\n")
    assert len(found) == 2 and "acepted" in found[0] and "titel" in found[1]


def test_left_out_kinds_keep_the_default(tmp_path: Path) -> None:
    folder = tmp_path / "catalog"
    shutil.copytree(ROOT / "catalog", folder)
    (folder / "notifications.yaml").write_text("templates:\n  refused: {title: 不予受理通知}\n",
                                               encoding="utf-8")
    templates = load_catalog(folder).notifications
    assert templates["refused"].title == "不予受理通知"
    assert templates["refused"].body == DEFAULTS["refused"].body
    assert templates["accepted"] == DEFAULTS["accepted"]
    (folder / "notifications.yaml").unlink()  # the file is optional
    assert load_catalog(folder).notifications == DEFAULTS
