"""The command line as CONTRACT.md pins it: output lines and exit codes, run for real."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).parent.parent / "fixtures"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "runtime.cli", *args], capture_output=True,
                          text=True, cwd=cwd, check=False)


def test_check_clean_catalog_exits_0() -> None:
    result = run("check", str(FIXTURES / "catalog"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_check_prints_every_problem_and_exits_1() -> None:
    path = FIXTURES / "matters" / "invalid" / "references.yaml"
    result = run("check", str(path))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 13
    assert all(line.startswith(f"{path}:") for line in lines)
    assert f"{path}:3:7: error: lead: unknown department 'amx' (did you mean 'amr'?)" in lines


def test_check_warnings_only_exits_0(tmp_path: Path) -> None:
    src = (FIXTURES / "matters" / "valid" / "single-step.yaml").read_text("utf-8")
    path = tmp_path / "matters" / "single-step.yaml"
    path.parent.mkdir()
    (tmp_path / "departments.yaml").write_text("departments: [{id: amr, name: 市场监管}]\n")
    path.write_text(src.replace("materials: [village-opinion]", "materials: []"), "utf-8")
    result = run("check", str(path))
    assert result.returncode == 0
    assert ": warning: material 'village-opinion' is not used" in result.stdout


def test_check_unreadable_yaml_exits_1() -> None:
    result = run("check", str(FIXTURES / "matters" / "invalid" / "bad-yaml.yaml"))
    assert result.returncode == 1 and "invalid YAML" in result.stdout


def test_bad_usage_exits_2() -> None:
    assert run("check", "--nonsense").returncode == 2
    assert run("frobnicate").returncode == 2
    assert run().returncode == 2


def test_default_path_is_catalog(tmp_path: Path) -> None:
    result = run("check", cwd=tmp_path)
    assert result.returncode == 1
    assert "catalog:1:1: error: no such file or folder" in result.stdout


def test_plan_json_table_and_svg(tmp_path: Path) -> None:
    catalog = str(FIXTURES / "catalog")
    result = run("plan", "enterprise-establishment", "--catalog", catalog, "--json")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["matter"] == "enterprise-establishment" and plan["version"] == 1
    assert plan["parallel_days"] == 3.5

    svg = tmp_path / "plan.svg"
    table = run("plan", "enterprise-establishment", "--catalog", catalog, "--svg", str(svg))
    assert table.returncode == 0
    assert "critical path: license -> site-check" in table.stdout
    assert "营业执照核发 (license)" in table.stdout and "消防救援支队、生态环境局" in table.stdout
    text = svg.read_text("utf-8")
    assert text.startswith("<svg") and text.count('class="step"') == 4


def test_plan_with_data(tmp_path: Path) -> None:
    data = tmp_path / "answers.json"
    data.write_text(json.dumps({"needs_seal": False}), "utf-8")
    result = run("plan", "enterprise-establishment", "--catalog", str(FIXTURES / "catalog"),
                 "--json", "--data", str(data))
    assert "seal" not in json.loads(result.stdout)["steps"]
    data.write_text("{oops", "utf-8")
    bad = run("plan", "enterprise-establishment", "--catalog", str(FIXTURES / "catalog"),
              "--data", str(data))
    assert bad.returncode == 1 and f"{data}:1:2: error: invalid JSON" in bad.stderr


def test_plan_unknown_matter_and_matter_file() -> None:
    result = run("plan", "enterprise-establisment", "--catalog", str(FIXTURES / "catalog"))
    assert result.returncode == 1
    assert "did you mean 'enterprise-establishment'?" in result.stderr
    by_file = run("plan", str(FIXTURES / "matters" / "valid" / "fractions.yaml"), "--json")
    assert json.loads(by_file.stdout)["parallel_days"] == 0.3
    broken = run("plan", str(FIXTURES / "matters" / "invalid" / "cycle.yaml"))
    assert broken.returncode == 1 and "a cycle in needs" in broken.stderr
