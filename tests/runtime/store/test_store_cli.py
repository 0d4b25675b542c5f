"""``onewindow store verify|repair`` and ``serve`` on a damaged store, end to end in a
subprocess: exit codes, one line per problem as FILE:OFFSET: message, no traceback."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.runtime.store.test_damage import CASES, build

ROOT = Path(__file__).resolve().parents[3]


def onewindow(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "runtime.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    build(tmp_path / "data")
    return tmp_path / "data"


def test_verify_repair_and_serve_on_a_damaged_store(data_dir: Path) -> None:
    clean = onewindow("store", "verify", "--data-dir", str(data_dir))
    assert clean.returncode == 0, clean.stderr
    assert clean.stdout == "" and f"clean: {CASES} cases" in clean.stderr

    newest = sorted((data_dir / "store" / "db").glob("seg-*.log"))[-1]
    newest.write_bytes(newest.read_bytes()[:-100])

    damaged = onewindow("store", "verify", "--data-dir", str(data_dir))
    assert damaged.returncode == 1
    lines = damaged.stdout.splitlines()
    assert lines and all(re.fullmatch(rf"{re.escape(str(newest))}:\d+: .+", line)
                         for line in lines)
    assert "100 bytes are missing" in damaged.stdout
    assert "onewindow store repair" in damaged.stderr and "Traceback" not in damaged.stderr

    serve = onewindow("serve", "--data-dir", str(data_dir), "--port", "18765")
    assert serve.returncode == 1
    assert serve.stderr.count("\n") == 1 and "Traceback" not in serve.stderr
    assert serve.stderr.startswith(f"onewindow serve: not started: the store is damaged: "
                                   f"{newest}:")

    repaired = onewindow("store", "repair", "--data-dir", str(data_dir))
    assert repaired.returncode == 0, repaired.stderr
    assert f"damage: {newest}:" in repaired.stdout
    assert "kept as it was before a later version that was lost" in repaired.stdout
    assert f"kept {CASES} cases" in repaired.stderr and "db.damaged-" in repaired.stderr
    assert list((data_dir / "store").glob("db.damaged-*/seg-*.log"))

    again = onewindow("store", "verify", "--data-dir", str(data_dir))
    assert again.returncode == 0, again.stdout + again.stderr
    assert onewindow("store", "repair", "--data-dir", str(data_dir)).stderr.endswith(
        "nothing to repair: the store verifies\n")


def test_verify_of_a_directory_without_a_store_is_one_line(tmp_path: Path) -> None:
    done = onewindow("store", "verify", "--data-dir", str(tmp_path / "nowhere"))
    assert done.returncode == 1
    assert done.stderr.startswith("onewindow store verify: ") and done.stderr.count("\n") == 1
    assert not (tmp_path / "nowhere").exists()
