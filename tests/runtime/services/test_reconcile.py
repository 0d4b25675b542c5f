"""Start-up: every published version is registered; the catalog folder and the admin
store never silently disagree."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from builder import CatalogInvalid
from runtime.cli import main
from runtime.services.container import Services
from runtime.services.reconcile import CatalogConflict
from tests.runtime.services.conftest import ADMIN, MATTER, Opener


def _publish_v2(services: Services) -> str:
    text = services.admin.export_version(ADMIN, MATTER)
    text = text.replace("name: 企业开办", "name: 新企业开办", 1)
    services.admin.save_draft(ADMIN, MATTER, text)
    services.admin.publish(ADMIN, MATTER)
    return services.admin.export_version(ADMIN, MATTER, 2)


def _latest(catalog: Path) -> Path:
    return catalog / "matters" / f"{MATTER}.yaml"


def test_a_fresh_start_records_the_catalog_and_writes_nothing_there(
        services: Services, catalog_dir: Path) -> None:
    listed = {m.matter: m for m in services.admin.overview(ADMIN)}
    assert len(listed) == 4
    assert all([v.published_by for v in m.versions] == ["catalog"] for m in listed.values())
    assert not (catalog_dir / "matters" / "versions").exists()
    assert {e.action for e in services.admin.audit(ADMIN)} == {"matter.record"}


def test_same_version_different_content_refuses_to_start(
        opener: Opener, catalog_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    services = opener.open()
    _publish_v2(services)
    opener.close(services)
    path = _latest(catalog_dir)
    edited = path.read_text(encoding="utf-8").replace("time_limit: 1 ", "time_limit: 2 ")
    path.write_text(edited, encoding="utf-8")
    with pytest.raises(CatalogConflict) as caught:
        opener.open()
    [problem] = caught.value.problems
    line = edited.splitlines().index("version: 2") + 1
    assert (problem.file, problem.line) == (str(path), line)
    assert f"version 2 of matter '{MATTER}' differs from the version 2 published on " \
           in problem.message
    assert "by admin1" in problem.message and "'version: 3'" in problem.message
    # the command line says so instead of starting (and prints file:line)
    code = main(["token", "create", "nobody", "--data-dir", str(opener.data),
                 "--catalog", str(catalog_dir)])
    assert code == 1
    assert f"{path}:{line}:" in capsys.readouterr().err
    # putting the published text back starts again (nothing was left locked)
    path.write_text(edited.replace("time_limit: 2 ", "time_limit: 1 "), encoding="utf-8")
    assert opener.open().matters.current(MATTER).version == 2


def test_a_comment_only_edit_is_not_a_conflict(opener: Opener, catalog_dir: Path) -> None:
    services = opener.open()
    _publish_v2(services)
    opener.close(services)
    path = _latest(catalog_dir)
    path.write_text("# 注释\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    assert opener.open().matters.current(MATTER).version == 2


def test_a_higher_version_edited_by_hand_is_recorded_as_published_by_catalog(
        opener: Opener, catalog_dir: Path) -> None:
    path = _latest(catalog_dir)
    text = path.read_text(encoding="utf-8")
    services = opener.open()
    opener.close(services)
    path.write_text(text.replace("version: 1", "version: 2").replace("time_limit: 1 ",
                                                                      "time_limit: 2 "),
                    encoding="utf-8")
    services = opener.reopen(opener.open())
    assert services.matters.current(MATTER).time_limit == 2
    assert services.matters.version(MATTER, 1).time_limit == 1  # kept from the store
    versions = services.admin.versions(ADMIN, MATTER).versions
    assert [(v.version, v.published_by) for v in versions] == [(1, "catalog"), (2, "catalog")]
    assert services.admin.export_version(ADMIN, MATTER, 1) == text
    # the next publish archives both and makes version 3
    services.admin.save_draft(ADMIN, MATTER, services.admin.export_version(ADMIN, MATTER))
    assert services.admin.publish(ADMIN, MATTER).version == 3
    archive = catalog_dir / "matters" / "versions" / MATTER
    assert sorted(p.name for p in archive.iterdir()) == ["v1.yaml", "v2.yaml", "v3.yaml"]


def test_an_older_catalog_over_newer_data_is_written_back(
        opener: Opener, catalog_dir: Path) -> None:
    original = _latest(catalog_dir).read_text(encoding="utf-8")
    services = opener.open()
    v2 = _publish_v2(services)
    opener.close(services)
    _latest(catalog_dir).write_text(original, encoding="utf-8")  # an old copy of catalog/
    shutil.rmtree(catalog_dir / "matters" / "versions")
    services = opener.open()
    assert services.matters.current(MATTER).version == 2
    assert _latest(catalog_dir).read_text(encoding="utf-8") == v2
    archive = catalog_dir / "matters" / "versions" / MATTER
    assert (archive / "v1.yaml").read_text(encoding="utf-8") == original
    assert (archive / "v2.yaml").read_text(encoding="utf-8") == v2
    repair = [e for e in services.admin.audit(ADMIN) if e.action == "catalog.repair"]
    assert [(e.who, e.subject, e.detail["version"]) for e in repair] == [("system", MATTER, 2)]


def test_copying_the_catalog_to_a_new_machine_loses_no_published_version(
        opener: Opener, catalog_dir: Path, tmp_path: Path) -> None:
    services = opener.open()
    v2 = _publish_v2(services)
    services.admin.create_matter(ADMIN, "shop-sign", "户外招牌设置审批")
    services.admin.publish(ADMIN, "shop-sign")
    v1 = services.admin.export_version(ADMIN, MATTER, 1)
    opener.close(services)
    shutil.copytree(catalog_dir, tmp_path / "elsewhere")
    other = opener.open(catalog=tmp_path / "elsewhere", data=tmp_path / "fresh-data")
    assert other.admin.export_version(ADMIN, MATTER, 1) == v1
    assert other.admin.export_version(ADMIN, MATTER, 2) == v2
    assert other.matters.version(MATTER, 1).version == 1
    assert other.matters.current("shop-sign").version == 1
    assert len(other.matters.published()) == 5


def test_an_archive_copy_that_differs_refuses_to_start(
        opener: Opener, catalog_dir: Path) -> None:
    services = opener.open()
    _publish_v2(services)
    opener.close(services)
    archive = catalog_dir / "matters" / "versions" / MATTER / "v2.yaml"
    archive.write_text(archive.read_text(encoding="utf-8").replace("time_limit: 1 ",
                                                                    "time_limit: 3 "),
                       encoding="utf-8")
    with pytest.raises(CatalogConflict) as caught:
        opener.open()
    [problem] = caught.value.problems
    assert problem.file == str(archive)
    assert "differs from the version 2 published on" in problem.message


def test_an_unpublished_archive_copy_that_differs_refuses_to_start(
        opener: Opener, catalog_dir: Path) -> None:
    text = _latest(catalog_dir).read_text(encoding="utf-8")
    archive = catalog_dir / "matters" / "versions" / MATTER / "v1.yaml"
    archive.parent.mkdir(parents=True)
    archive.write_text(text.replace("time_limit: 1 ", "time_limit: 3 "), encoding="utf-8")
    with pytest.raises(CatalogConflict) as caught:
        opener.open()
    [problem] = caught.value.problems
    assert problem.file == str(archive)
    assert f"matters/{MATTER}.yaml, which also says version 1" in problem.message


def test_an_archive_newer_than_the_matter_file_is_an_error(
        opener: Opener, catalog_dir: Path) -> None:
    text = _latest(catalog_dir).read_text(encoding="utf-8")
    archive = catalog_dir / "matters" / "versions" / MATTER / "v5.yaml"
    archive.parent.mkdir(parents=True)
    archive.write_text(text.replace("version: 1", "version: 5"), encoding="utf-8")
    with pytest.raises(CatalogInvalid) as caught:
        opener.open()
    assert "newer than" in caught.value.problems[0].message
    assert caught.value.problems[0].file == str(archive)
    archive.with_name("v4.yaml").write_text(text, encoding="utf-8")  # says version 1
    with pytest.raises(CatalogInvalid) as caught:
        opener.open()
    assert any("this copy of version 4 says version 1" in p.message
               for p in caught.value.problems)


def test_an_archive_copy_is_read_as_its_version(opener: Opener, catalog_dir: Path) -> None:
    path = _latest(catalog_dir)
    v1 = path.read_text(encoding="utf-8")
    archive = catalog_dir / "matters" / "versions" / MATTER / "v1.yaml"
    archive.parent.mkdir(parents=True)
    archive.write_text(v1, encoding="utf-8")
    doc = yaml.safe_load(v1)
    doc["version"] = 2
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    services = opener.open()
    assert services.matters.version(MATTER, 1).version == 1
    assert services.matters.current(MATTER).version == 2
