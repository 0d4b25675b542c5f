"""Every invalid fixture produces exactly the messages in its .expected file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from builder import check_paths, load_catalog
from builder.catalog import read_folder

FIXTURES = Path(__file__).parent.parent / "fixtures"
INVALID = sorted((FIXTURES / "matters" / "invalid").glob("*.yaml"))
VALID = sorted((FIXTURES / "matters" / "valid").glob("*.yaml"))


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_matter_gives_exactly_its_expected_messages(path: Path) -> None:
    expected = path.with_suffix(".expected").read_text(encoding="utf-8").splitlines()
    got = [str(p).replace(f"{path}:", "FILE:", 1) for p in check_paths([path]).problems]
    assert got == expected
    assert any(p.is_error for p in check_paths([path]).problems)


@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_valid_matter_has_no_problem(path: Path) -> None:
    assert [str(p) for p in check_paths([path]).problems] == []


def test_every_invalid_fixture_is_paired_with_expected_messages() -> None:
    assert INVALID, "no invalid fixtures found"
    for path in INVALID:
        assert path.with_suffix(".expected").is_file(), path


def _catalog(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES / "catalog", tmp_path / "catalog")
    return tmp_path / "catalog"


def test_fixture_catalog_loads(tmp_path: Path) -> None:
    catalog = load_catalog(_catalog(tmp_path))
    matter = catalog.matter("enterprise-establishment")
    assert matter.step("site-check").departments == ("fire", "env")
    assert catalog.centre.case_prefix == "CS"
    assert set(catalog.departments) >= {"amr", "psb", "tax"}


def test_project_catalog_is_clean() -> None:
    loaded = read_folder(Path(__file__).parents[2] / "catalog")
    assert [str(p) for p in loaded.problems if p.is_error] == []
    assert len(loaded.matters) >= 4


def test_problems_in_several_files_are_all_reported(tmp_path: Path) -> None:
    folder = _catalog(tmp_path)
    (folder / "centre.yaml").write_text("name: 中心\ncase_prefix: cs\nlight: {}\n", "utf-8")
    bad = (FIXTURES / "matters" / "invalid" / "cycle.yaml").read_text("utf-8")
    (folder / "matters" / "cycle.yaml").write_text(bad, "utf-8")
    messages = [str(p) for p in read_folder(folder).problems]
    assert any("centre.yaml:2:1: error: 'case_prefix'" in m for m in messages)
    assert any("centre.yaml:3:1: error: unknown key 'light' (did you mean 'lights'?)" in m
               for m in messages)
    assert any("cycle.yaml:8:57: error: a cycle in needs" in m for m in messages)


def test_missing_files_are_errors(tmp_path: Path) -> None:
    messages = [str(p) for p in read_folder(tmp_path).problems]
    assert f"{tmp_path}/departments.yaml:1:1: error: missing departments.yaml: every catalog " \
           "needs one" in messages
    assert f"{tmp_path}/matters:1:1: error: missing the matters/ folder" in messages


def test_duplicate_departments_and_unknown_lead(tmp_path: Path) -> None:
    folder = _catalog(tmp_path)
    deps = (folder / "departments.yaml").read_text("utf-8")
    (folder / "departments.yaml").write_text(deps + "  - {id: amr, name: 重复}\n", "utf-8")
    messages = [str(p) for p in read_folder(folder).problems]
    assert any("duplicate department id 'amr' (first defined on line 2)" in m for m in messages)


def test_matter_id_must_be_unique_and_match_file(tmp_path: Path) -> None:
    folder = _catalog(tmp_path)
    text = (folder / "matters" / "enterprise-establishment.yaml").read_text("utf-8")
    (folder / "matters" / "copy.yaml").write_text(text, "utf-8")
    messages = [str(p) for p in read_folder(folder).problems]
    assert any("copy.yaml:1:5: error: matter id 'enterprise-establishment' must equal its "
               "file name 'copy'" in m for m in messages)
    assert any("duplicate matter id 'enterprise-establishment'" in m for m in messages)


def test_a_need_that_is_not_an_id_is_reported_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("id: x\nname: 甲\nlead: amr\ntime_limit: 5\nstatutory_limit: 10\n"
                    "form: {type: object}\nsteps:\n"
                    "  - {id: a, name: A, department: amr, days: 1, needs: [{step: [b]}]}\n"
                    "  - {id: b, name: B, department: amr, days: 1}\n", "utf-8")
    assert [str(p) for p in check_paths([path]).problems] == [
        f"{path}:8:56: error: step 'a' needs[0]: a need must be a step id or "
        '{step: ID, at: finish|preliminary}, got {"step": ["b"]}']


def test_announced_matters_are_checked(tmp_path: Path) -> None:
    folder = _catalog(tmp_path)
    (folder / "centre.yaml").write_text(
        "name: 中心\ncase_prefix: CS\nannounce:\n  - enterprise-establishment\n"
        "  - enterprise-establishmnt\n  - 7\n", "utf-8")
    problems = [str(p) for p in check_paths([folder]).problems]
    centre = str(folder / "centre.yaml")
    assert f"{centre}:5:5: error: unknown matter 'enterprise-establishmnt' in announce " \
           "(did you mean 'enterprise-establishment'?)" in problems
    assert any(p.startswith(f"{centre}:6:5: error:") for p in problems), problems
    (folder / "centre.yaml").write_text(
        "name: 中心\ncase_prefix: CS\nannounce: [enterprise-establishment]\n", "utf-8")
    assert load_catalog(folder).centre.announce == ("enterprise-establishment",)


def test_scoring_rules_are_checked(tmp_path: Path) -> None:
    folder = _catalog(tmp_path)
    scoring = folder / "scoring.yaml"
    scoring.write_text("base: 100\nrules:\n  - {id: late, name: 超期, event: task_late, "
                       "points: -2}\n  - {id: late, name: 差评, event: bad_rating, points: -2}\n"
                       "grades:\n  - {name: 称职, min: 80}\n  - {name: 优秀, min: 95}\n", "utf-8")
    problems = [str(p) for p in check_paths([folder]).problems if p.file == str(scoring)]
    assert any(":3:" in p and "task_late" in p for p in problems), problems
    assert f"{scoring}:4:10: error: duplicate rule id 'late'" in problems
    assert f"{scoring}:7:21: error: grades go from the highest down: 95 is not below 80" \
        in problems
    scoring.unlink()  # optional: a catalog without it has no scoring
    assert load_catalog(folder).scoring == {}


def test_the_project_scoring_rules_load() -> None:
    catalog = load_catalog(Path(__file__).parents[2] / "catalog")
    assert catalog.scoring["base"] == 100
    assert {r["event"] for r in catalog.scoring["rules"]} >= {"task_overdue", "bad_rating"}
