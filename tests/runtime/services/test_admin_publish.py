"""Publishing: the full check, the next version, files on disk, pinned running cases."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from builder import check_paths, load_catalog
from runtime.services.accounts import User
from runtime.services.container import Services
from runtime.services.errors import Conflict, Invalid
from runtime.services.publishing import check_matter
from tests.runtime.services.conftest import ADMIN, MATTER, Opener

NEW = "shop-sign"

BROKEN = """\
id: enterprise-establishment
name: 企业开办（改）
lead: nowhere
time_limit: 9
statutory_limit: 5
form:
  type: object
  properties:
    a: {type: string}
steps:
  - id: one
    name: 一
    department: amr
    days: 1
    depends_on: [two]
"""


def _edited(services: Services, old: str, new: str) -> str:
    text = services.admin.export_version(ADMIN, MATTER)
    assert old in text
    return text.replace(old, new, 1)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_publish_makes_version_2_everywhere(services: Services, catalog_dir: Path) -> None:
    text = _edited(services, "name: 企业开办", "name: 新企业开办")
    services.admin.save_draft(ADMIN, MATTER, text)
    published = services.admin.publish(ADMIN, MATTER)
    assert (published.version, published.published_by) == (2, "admin1")
    # registered at once: new applications use it, version 1 stays resolvable
    assert services.matters.current(MATTER).version == 2
    assert services.matters.version(MATTER, 1).name.startswith("企业开办")
    assert services.catalog.matters[MATTER].version == 2
    # the catalog on disk: the newest file says version 2, both versions archived
    latest = (catalog_dir / "matters" / f"{MATTER}.yaml").read_text(encoding="utf-8")
    assert yaml.safe_load(latest)["version"] == 2
    assert latest == services.admin.export_version(ADMIN, MATTER, 2)
    archive = catalog_dir / "matters" / "versions" / MATTER
    assert sorted(p.name for p in archive.iterdir()) == ["v1.yaml", "v2.yaml"]
    assert (archive / "v2.yaml").read_text(encoding="utf-8") == latest
    assert (archive / "v1.yaml").read_text(encoding="utf-8") == \
        services.admin.export_version(ADMIN, MATTER, 1)
    for version in (1, 2):  # archive copies read back as matters
        text = (archive / f"v{version}.yaml").read_text(encoding="utf-8")
        spec = check_matter(text, MATTER, services.catalog.departments).spec
        assert spec is not None and spec.version == version
    # the builder reads matters/*.yaml only: the archive folder is not taken for matters
    assert len(load_catalog(catalog_dir).matters) == 4
    assert not [p for p in check_paths([catalog_dir]).problems if p.is_error]
    # the draft is gone, the publish is audited
    assert services.admin.versions(ADMIN, MATTER).draft is None
    entry = services.admin.audit(ADMIN, limit=1)[0]
    assert (entry.action, entry.subject, entry.detail["version"]) == (
        "matter.publish", MATTER, 2)


def test_the_draft_version_key_is_overwritten(services: Services) -> None:
    services.admin.save_draft(ADMIN, MATTER, _edited(services, "version: 1", "version: 40"))
    assert services.admin.publish(ADMIN, MATTER).version == 2
    assert "\nversion: 2\n" in services.admin.export_version(ADMIN, MATTER, 2)


def test_publish_with_errors_reports_every_problem_and_changes_nothing(
        services: Services, catalog_dir: Path, tmp_path: Path) -> None:
    services.admin.save_draft(ADMIN, MATTER, BROKEN)
    files, audit = _snapshot(catalog_dir), services.admin.audit(ADMIN)
    with pytest.raises(Invalid) as caught:
        services.admin.publish(ADMIN, MATTER)
    found = [(d["line"], d["column"], d["message"]) for d in caught.value.details]
    # the same problems, at the same places, as `onewindow check` on that text as a file
    as_file = tmp_path / "check" / "matters" / f"{MATTER}.yaml"
    as_file.parent.mkdir(parents=True)
    (tmp_path / "check" / "departments.yaml").write_text(
        (catalog_dir / "departments.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    as_file.write_text(BROKEN, encoding="utf-8")
    expected = [(p.line, p.column, p.message) for p in check_paths([as_file]).problems
                if p.is_error]
    assert sorted(found) == sorted(expected)
    assert {line for line, _, _ in found} >= {3, 4, 15}
    assert _snapshot(catalog_dir) == files
    assert services.admin.audit(ADMIN) == audit
    assert services.admin.export_draft(ADMIN, MATTER) == BROKEN
    assert services.matters.current(MATTER).version == 1
    assert [v.version for v in services.admin.versions(ADMIN, MATTER).versions] == [1]


def _cast(services: Services) -> tuple[User, User, User]:
    applicant = services.accounts.create_user("zhang-san", "correct-horse-9", "applicant")
    window = services.accounts.create_user("window-1", "correct-horse-9", "window")
    reviewer = services.accounts.create_user("amr-1", "correct-horse-9", "department",
                                             department="amr")
    return applicant, window, reviewer


def _running_case(services: Services, applicant: User, window: User) -> str:
    case = services.cases.apply(applicant, NEW, {"applicant_name": "张三"}, {})
    return str(services.cases.accept(window, case["id"])["id"])


def test_a_running_case_keeps_its_version_across_publish_and_restart(opener: Opener) -> None:
    services = opener.open(durable=True)
    services.admin.create_matter(ADMIN, NEW, "户外招牌设置审批", lead="amr")
    assert services.admin.publish(ADMIN, NEW).version == 1
    applicant, window, _ = _cast(services)
    old_case = _running_case(services, applicant, window)
    text = services.admin.export_version(ADMIN, NEW).replace("name: 审批", "name: 招牌审批")
    services.admin.save_draft(ADMIN, NEW, text)
    assert services.admin.publish(ADMIN, NEW).version == 2
    new_case = _running_case(services, applicant, window)

    services = opener.reopen(services, durable=True)
    old, new = services.store.get_case(old_case), services.store.get_case(new_case)
    assert old is not None and new is not None
    assert (old["matter_version"], new["matter_version"]) == (1, 2)
    assert services.cases.spec(old).steps[0].name == "审批"
    assert services.cases.spec(new).steps[0].name == "招牌审批"
    assert services.matters.version(NEW, 1).version == 1
    assert services.matters.current(NEW).version == 2
    counts = {v.version: v.cases for v in services.admin.versions(ADMIN, NEW).versions}
    assert counts == {1: 1, 2: 1}


def test_a_new_matter_is_served_at_once(services: Services) -> None:
    services.admin.create_matter(ADMIN, NEW, "户外招牌设置审批")
    services.admin.publish(ADMIN, NEW)
    assert NEW in {m.id for m in services.matters.published()}
    assert NEW in services.catalog.matters


def test_a_matter_file_edited_by_hand_while_running_is_not_overwritten(
        services: Services, catalog_dir: Path) -> None:
    path = catalog_dir / "matters" / f"{MATTER}.yaml"
    hand = path.read_text(encoding="utf-8").replace("time_limit: 1 ", "time_limit: 2 ")
    path.write_text(hand, encoding="utf-8")
    services.admin.save_draft(ADMIN, MATTER, services.admin.export_version(ADMIN, MATTER))
    with pytest.raises(Conflict, match="手工修改"):
        services.admin.publish(ADMIN, MATTER)
    assert path.read_text(encoding="utf-8") == hand


def test_the_admin_editor_checks_certificate_kinds(services: Services) -> None:
    text = services.admin.export_version(ADMIN, "government-investment-project")
    bad = text.replace("certificate: business-licence", "certificate: business-license", 1)
    assert bad != text
    with pytest.raises(Invalid) as err:
        services.admin.import_draft(ADMIN, "government-investment-project", bad)
    said = [d["message_zh"] for d in err.value.details]
    assert any("business-license" in s and "business-licence" in s for s in said), said
    checked = check_matter(bad, "government-investment-project", services.catalog.departments)
    assert checked.errors == ()  # without the kinds, only the fields are checked
