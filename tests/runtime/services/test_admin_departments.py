"""Departments: add, rename, delete (refused while used), on disk and live at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder import load_catalog
from runtime.services.container import Services
from runtime.services.errors import Conflict, Invalid, NotFound
from tests.runtime.services.conftest import ADMIN, Opener


def _text(catalog_dir: Path) -> str:
    return (catalog_dir / "departments.yaml").read_text(encoding="utf-8")


def test_add_writes_the_file_keeps_comments_and_is_live(services: Services,
                                                        catalog_dir: Path) -> None:
    before = _text(catalog_dir)
    dep = services.admin.add_department(ADMIN, "water-2", "水务局（排水）")
    assert (dep.id, dep.name) == ("water-2", "水务局（排水）")
    assert _text(catalog_dir) == before + "  - {id: water-2, name: 水务局（排水）}\n"
    assert load_catalog(catalog_dir).departments["water-2"].name == "水务局（排水）"
    # live without a restart: the catalog readers and account creation see it
    assert services.catalog.departments["water-2"].name == "水务局（排水）"
    user = services.accounts.create_user("drain-1", "correct-horse-9", "department",
                                         department="water-2")
    assert user.department == "water-2"
    # and a draft naming it passes the check
    services.admin.create_matter(ADMIN, "drain-permit", "排水许可", lead="water-2")
    assert services.admin.publish(ADMIN, "drain-permit").version == 1
    with pytest.raises(Conflict):
        services.admin.add_department(ADMIN, "water-2", "重复")
    with pytest.raises(Invalid):
        services.admin.add_department(ADMIN, "Water", "大写编号")
    with pytest.raises(Invalid):
        services.admin.add_department(ADMIN, "blank", "  ")


def test_rename_changes_only_that_name(services: Services, catalog_dir: Path) -> None:
    before = _text(catalog_dir)
    services.admin.rename_department(ADMIN, "psb", "公安局（治安管理支队）")
    assert _text(catalog_dir) == before.replace("{id: psb, name: 公安局}",
                                                "{id: psb, name: 公安局（治安管理支队）}")
    assert services.catalog.departments["psb"].name == "公安局（治安管理支队）"
    entry = services.admin.audit(ADMIN, limit=1)[0]
    assert (entry.who, entry.action, entry.subject, entry.detail) == (
        "admin1", "department.rename", "psb", {"from": "公安局", "to": "公安局（治安管理支队）"})
    with pytest.raises(NotFound):
        services.admin.rename_department(ADMIN, "nowhere", "名称")


def test_changes_survive_a_restart(services: Services, opener: Opener) -> None:
    services.admin.add_department(ADMIN, "stats", "统计局")
    services.admin.rename_department(ADMIN, "stats", "统计局（普查中心）")
    again = opener.reopen(services)
    assert again.catalog.departments["stats"].name == "统计局（普查中心）"


def test_delete_an_unused_department(services: Services, catalog_dir: Path) -> None:
    services.admin.add_department(ADMIN, "stats", "统计局")
    services.admin.delete_department(ADMIN, "stats")
    assert "stats" not in services.catalog.departments
    assert "stats" not in _text(catalog_dir)
    actions = [e.action for e in services.admin.audit(ADMIN, subject="stats")]
    assert actions == ["department.delete", "department.add"]
    with pytest.raises(NotFound):
        services.admin.delete_department(ADMIN, "stats")


def test_delete_is_refused_while_a_published_matter_uses_it(services: Services,
                                                            catalog_dir: Path) -> None:
    before = _text(catalog_dir)
    with pytest.raises(Conflict) as caught:
        services.admin.delete_department(ADMIN, "qts")  # only the historical matter uses it
    assert caught.value.status == 409
    assert "仍在使用" in caught.value.message
    assert "chengdu-domestic-enterprise" in caught.value.details[0]["message"]
    assert _text(catalog_dir) == before
    assert "qts" in services.catalog.departments


def test_delete_is_refused_while_a_user_belongs_to_it(services: Services) -> None:
    services.admin.add_department(ADMIN, "stats", "统计局")
    services.accounts.create_user("stats-1", "correct-horse-9", "department",
                                  department="stats")
    with pytest.raises(Conflict) as caught:
        services.admin.delete_department(ADMIN, "stats")
    assert [d["pointer"] for d in caught.value.details] == ["/users"]
    use = {d.id: d for d in services.admin.departments(ADMIN)}["stats"]
    assert (use.users, use.open_tasks, use.matters, use.in_use) == (1, 0, (), True)


def test_delete_is_refused_while_an_open_task_uses_it(services: Services) -> None:
    services.admin.add_department(ADMIN, "stats", "统计局")
    services.admin.create_matter(ADMIN, "stats-permit", "统计调查审批", lead="stats")
    services.admin.publish(ADMIN, "stats-permit")
    applicant = services.accounts.create_user("zhang-san", "correct-horse-9", "applicant")
    window = services.accounts.create_user("window-1", "correct-horse-9", "window")
    case = services.cases.apply(applicant, "stats-permit", {"applicant_name": "张三"}, {})
    services.cases.accept(window, case["id"])
    with pytest.raises(Conflict) as caught:
        services.admin.delete_department(ADMIN, "stats")
    assert [d["pointer"] for d in caught.value.details] == ["/tasks", "/matters"]


def test_a_departments_file_edited_by_hand_while_running_is_not_overwritten(
        services: Services, catalog_dir: Path) -> None:
    path = catalog_dir / "departments.yaml"
    hand = _text(catalog_dir) + "  - {id: by-hand, name: 手工添加}\n"
    path.write_text(hand, encoding="utf-8")
    with pytest.raises(Conflict, match="手工修改"):
        services.admin.add_department(ADMIN, "stats", "统计局")
    assert _text(catalog_dir) == hand
