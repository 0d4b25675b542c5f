"""The editor's read model and the guided edit door (issue 11, defects 1 and 2): opening
creates nothing, the first edit starts the draft, the last valid plan is kept while the
draft has an error, the audit reads in words with people's names."""

from __future__ import annotations

import pytest

from runtime.services.accounts import User
from runtime.services.container import Services
from runtime.services.errors import Forbidden, Invalid, NotFound
from tests.runtime.services.conftest import ADMIN, MATTER

CLERK = User("u_clerk", "clerk1", "window", None, "窗口")


def _step_days(services: Services, step: str, days: str) -> None:
    services.admin.edit_draft(ADMIN, MATTER, "update_step", {
        "op": ["update_step"], "key": [step], "days": [days]})


def test_opening_the_editor_creates_no_draft_and_no_audit(services: Services) -> None:
    before = services.admin.audit(ADMIN)
    page = services.admin.editor(ADMIN, MATTER)
    assert page.draft is None and page.text == services.admin.export_version(ADMIN, MATTER)
    assert page.preview is not None and not page.preview.stale and page.errors == ()
    assert page.guided is not None and page.guided.id == MATTER
    assert services.admin.admin_store.draft(MATTER) is None
    assert services.admin.audit(ADMIN) == before
    with pytest.raises(NotFound):
        services.admin.editor(ADMIN, "no-such-matter")
    with pytest.raises(Forbidden):
        services.admin.editor(CLERK, MATTER)


def test_the_first_edit_starts_the_draft_and_changes_one_line(services: Services) -> None:
    published = services.admin.export_version(ADMIN, MATTER)
    assert services.admin.edit_draft(ADMIN, MATTER, "update_step", {
        "op": ["update_step"], "key": ["license"], "days": ["0.5"]}) is None  # unchanged
    assert services.admin.admin_store.draft(MATTER) is None
    _step_days(services, "license", "2")
    text = services.admin.export_draft(ADMIN, MATTER)
    old, new = published.splitlines(), text.splitlines()
    assert [(a, b) for a, b in zip(old, new, strict=True) if a != b] == [
        ("    days: 0.5", "    days: 2")]
    entry = services.admin.audit(ADMIN, subject=MATTER)[0]
    assert entry.words == "在向导中修改草稿"
    assert "修改环节「设立登记、核发营业执照」" in entry.notes  # the title, not the id


def test_a_refused_edit_says_why_and_changes_nothing(services: Services) -> None:
    with pytest.raises(Invalid) as caught:
        _step_days(services, "license", "两天")
    assert caught.value.details[0]["pointer"] == "/days"
    with pytest.raises(Invalid):
        services.admin.edit_draft(ADMIN, MATTER, "drop_table", {"op": ["drop_table"]})
    with pytest.raises(Invalid) as caught:
        services.admin.edit_draft(ADMIN, MATTER, "remove_step", {"key": ["nope"]})
    assert "nope" in caught.value.message
    assert services.admin.admin_store.draft(MATTER) is None


def test_while_the_draft_has_an_error_the_last_valid_plan_is_shown(services: Services) -> None:
    services.admin.edit_draft(ADMIN, MATTER, "update_step", {
        "op": ["update_step"], "key": ["license"], "name": ["营业执照核发"]})
    good = services.admin.export_draft(ADMIN, MATTER)
    services.admin.save_draft(ADMIN, MATTER, good.replace("department: amr", "department: nope",
                                                          1))
    page = services.admin.editor(ADMIN, MATTER)
    assert page.errors and page.preview is not None and page.preview.stale
    assert page.preview.spec.step("license").name == "营业执照核发"  # the last valid draft
    assert page.preview.stale_at is not None


def test_discarding_a_draft_goes_back_to_the_version_in_use(services: Services) -> None:
    _step_days(services, "license", "2")
    services.admin.discard_draft(ADMIN, MATTER)
    page = services.admin.editor(ADMIN, MATTER)
    assert page.draft is None and "days: 0.5" in page.text
    assert services.admin.audit(ADMIN, subject=MATTER)[0].words == "放弃草稿"
    with pytest.raises(NotFound):
        services.admin.discard_draft(ADMIN, MATTER)


def test_the_audit_reads_in_words(services: Services) -> None:
    services.accounts.create_user("admin1", "a-long-password-1", "admin", display_name="王管理")
    services.admin.import_draft(ADMIN, MATTER, services.admin.export_version(ADMIN, MATTER))
    services.admin.publish(ADMIN, MATTER)
    entries = services.admin.audit(ADMIN, subject=MATTER)
    assert [e.words for e in entries[:2]] == ["发布第 2 版", "导入草稿"]
    assert {e.who_name for e in entries[:2]} == {"王管理"}
    assert all("." not in e.words for e in entries)
    assert "校验和" not in entries[0].notes and "checksum" not in entries[0].notes


def test_diff_and_bpmn_come_from_the_service(services: Services) -> None:
    _step_days(services, "license", "2")
    changes = services.admin.diff(ADMIN, MATTER, "1", "draft")
    assert changes and any("0.5" in str(c) and "2" in str(c) for c in changes)
    with pytest.raises(Invalid):
        services.admin.diff(ADMIN, MATTER, "1", "x")
    name, xml = services.admin.bpmn(ADMIN, MATTER)
    assert name == f"{MATTER}-v1.bpmn" and "bpmn:definitions" in xml
    with pytest.raises(NotFound):
        services.admin.bpmn(ADMIN, MATTER, 9)
    with pytest.raises(Forbidden):
        services.admin.bpmn(CLERK, MATTER)
