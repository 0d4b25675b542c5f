"""Drafts: saved as any text, kept across restarts, imported only when valid, exported
exactly; new matters from a skeleton or a copy; only administrators."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from runtime.services.accounts import User
from runtime.services.container import Services
from runtime.services.errors import Conflict, Forbidden, Invalid, NotFound
from tests.runtime.services.conftest import ADMIN, MATTER, Opener

UNFINISHED = "id: enterprise-establishment\nname: 企业开办（修订中）\nsteps:\n  - id: [\n"


def test_a_draft_is_any_text_and_survives_a_restart(services: Services, opener: Opener) -> None:
    saved = services.admin.save_draft(ADMIN, MATTER, UNFINISHED)
    assert (saved.updated_by, saved.based_on) == ("admin1", 1)
    again = opener.reopen(services)
    draft = again.admin.draft(ADMIN, MATTER)
    assert draft == saved
    assert again.admin.export_draft(ADMIN, MATTER) == UNFINISHED
    assert again.matters.current(MATTER).version == 1  # a draft publishes nothing


def test_export_returns_exactly_the_stored_text(services: Services, catalog_dir: Path) -> None:
    text = "id: x\r\nname: 带 CRLF 与\t制表符  \n# 注释\n\n"
    services.admin.save_draft(ADMIN, "x", text)
    assert services.admin.export_draft(ADMIN, "x") == text
    on_disk = (catalog_dir / "matters" / f"{MATTER}.yaml").read_text(encoding="utf-8")
    assert services.admin.export_version(ADMIN, MATTER) == on_disk
    assert services.admin.export_version(ADMIN, MATTER, 1) == on_disk
    with pytest.raises(NotFound):
        services.admin.export_version(ADMIN, MATTER, 2)


def test_check_draft_lists_errors_and_warnings_with_lines(services: Services) -> None:
    services.admin.save_draft(ADMIN, MATTER, UNFINISHED)
    problems = services.admin.check_draft(ADMIN, MATTER)
    assert problems and all({"line", "column", "message", "severity"} <= p.keys()
                            for p in problems)
    assert (problems[0]["line"], problems[0]["severity"]) == (5, "error")
    assert problems[0]["message"].startswith("invalid YAML")


def test_import_of_a_valid_text_replaces_the_draft(services: Services) -> None:
    text = services.admin.export_version(ADMIN, MATTER).replace("time_limit: 1 ", "time_limit: 2 ")
    services.admin.save_draft(ADMIN, MATTER, UNFINISHED)
    services.admin.import_draft(ADMIN, MATTER, text)
    assert services.admin.export_draft(ADMIN, MATTER) == text
    assert services.admin.audit(ADMIN, limit=1)[0].action == "draft.import"


def test_import_with_errors_reports_every_one_and_changes_nothing(services: Services) -> None:
    services.admin.save_draft(ADMIN, MATTER, UNFINISHED)
    audit = services.admin.audit(ADMIN)
    text = services.admin.export_version(ADMIN, MATTER)
    bad = text.replace("lead: amr", "lead: amx").replace("days: 0.5", "days: -1", 1)
    with pytest.raises(Invalid) as caught:
        services.admin.import_draft(ADMIN, MATTER, bad)
    messages = [d["message"] for d in caught.value.details]
    assert any("unknown department 'amx'" in m for m in messages)
    assert any("-1" in m for m in messages)
    assert all(isinstance(d["line"], int) and d["line"] > 1 for d in caught.value.details)
    assert services.admin.export_draft(ADMIN, MATTER) == UNFINISHED
    assert services.admin.audit(ADMIN) == audit


def test_create_from_scratch_is_a_valid_one_step_matter(services: Services) -> None:
    draft = services.admin.create_matter(ADMIN, "shop-sign", "户外招牌设置: 审批", lead="amr")
    doc = yaml.safe_load(draft.yaml)
    assert (doc["id"], doc["name"], doc["lead"], len(doc["steps"])) == (
        "shop-sign", "户外招牌设置: 审批", "amr", 1)
    assert [p for p in services.admin.check_draft(ADMIN, "shop-sign")
            if p["severity"] == "error"] == []
    assert draft.based_on is None
    listed = {m.matter: m for m in services.admin.overview(ADMIN)}["shop-sign"]
    assert (listed.current, listed.versions, listed.name) == (None, (), "户外招牌设置: 审批")
    with pytest.raises(Conflict):
        services.admin.create_matter(ADMIN, "shop-sign", "again")
    with pytest.raises(Conflict):
        services.admin.create_matter(ADMIN, MATTER, "taken by a published matter")
    with pytest.raises(Invalid):
        services.admin.create_matter(ADMIN, "x", "名称", lead="nowhere")


def test_copy_takes_a_published_version_with_a_new_id_and_name(services: Services) -> None:
    draft = services.admin.copy_matter(ADMIN, MATTER, "enterprise-branch", "分公司设立")
    source = services.admin.export_version(ADMIN, MATTER)
    doc, original = yaml.safe_load(draft.yaml), yaml.safe_load(source)
    assert (doc["id"], doc["name"], doc["version"]) == ("enterprise-branch", "分公司设立", 1)
    assert {k: v for k, v in doc.items() if k not in ("id", "name")} == \
        {k: v for k, v in original.items() if k not in ("id", "name")}
    assert draft.yaml.startswith(source.split("\n", 1)[0])  # the comments came along
    assert [p for p in services.admin.check_draft(ADMIN, "enterprise-branch")
            if p["severity"] == "error"] == []
    entry = services.admin.audit(ADMIN, limit=1)[0]
    assert (entry.action, entry.subject, entry.detail) == (
        "draft.copy", "enterprise-branch", {"from": MATTER, "version": 1})
    with pytest.raises(NotFound):
        services.admin.copy_matter(ADMIN, "no-such-matter", "y", "名称")


def test_discard_draft(services: Services) -> None:
    services.admin.save_draft(ADMIN, MATTER, UNFINISHED)
    services.admin.discard_draft(ADMIN, MATTER)
    with pytest.raises(NotFound):
        services.admin.draft(ADMIN, MATTER)
    with pytest.raises(NotFound):
        services.admin.discard_draft(ADMIN, MATTER)


@pytest.mark.parametrize("bad", ["", "Upper", "../etc", "a/b", "x" * 65, "中文"])
def test_a_matter_id_must_be_a_slug(services: Services, bad: str) -> None:
    with pytest.raises(Invalid):
        services.admin.save_draft(ADMIN, bad, "id: x\n")


CALLS = [
    ("overview", ()), ("versions", (MATTER,)), ("draft", (MATTER,)),
    ("check_draft", (MATTER,)), ("export_draft", (MATTER,)), ("export_version", (MATTER,)),
    ("save_draft", (MATTER, "x")), ("import_draft", (MATTER, "x")),
    ("discard_draft", (MATTER,)), ("create_matter", ("new-one", "名称")),
    ("copy_matter", (MATTER, "new-one", "名称")), ("publish", (MATTER,)), ("audit", ()),
    ("departments", ()), ("add_department", ("water", "水务局")),
    ("rename_department", ("amr", "新名")), ("delete_department", ("archives",)),
]


@pytest.mark.parametrize("role", ["applicant", "window", "department", "supervisor"])
def test_only_administrators(services: Services, role: str) -> None:
    user = User("u_x", "someone", role, "amr" if role == "department" else None, "某人")
    services.admin.save_draft(ADMIN, MATTER, UNFINISHED)
    for name, args in CALLS:
        with pytest.raises(Forbidden):
            getattr(services.admin, name)(user, *args)
    assert services.admin.export_draft(ADMIN, MATTER) == UNFINISHED
