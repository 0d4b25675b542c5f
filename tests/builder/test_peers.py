"""Checks of the exchange between centres: peers in centre.yaml, departments that sit
in a peer; every problem with its file and line (fixture: tests/fixtures/exchange)."""

from __future__ import annotations

from pathlib import Path

from builder import check_paths, load_catalog
from builder.messages_zh import render

ROOT = Path(__file__).parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "exchange"


def _lines(folder: Path) -> list[str]:
    return [str(p).replace(str(ROOT) + "/", "") for p in check_paths([folder]).problems]


def test_valid_centres_compile_their_peers_and_remote_departments() -> None:
    assert _lines(FIXTURES / "province") == [] and _lines(FIXTURES / "city") == []
    catalog = load_catalog(FIXTURES / "province")
    assert catalog.centre.id == "hainan"
    assert [(p.id, p.name) for p in catalog.centre.peers] == [("haikou", "海口市政务服务中心")]
    psb, amr = catalog.departments["psb"], catalog.departments["amr"]
    assert (psb.centre, psb.remote) == ("haikou", "police")
    assert (amr.centre, amr.remote) == ("", "")


def test_every_problem_of_peers_and_their_use_with_its_line() -> None:
    for name in ("invalid", "invalid-self"):
        expected = (FIXTURES / name / "expected.txt").read_text("utf-8").splitlines()
        assert _lines(FIXTURES / name) == expected


def test_the_problems_read_in_chinese() -> None:
    problems = check_paths([FIXTURES / "invalid"]).problems
    texts = [render(p) for p in problems if p.code != "schema"]
    assert "协同中心编号 “hainan” 重复" in texts
    assert any("“hainna” 不存在（是否应为 “hainan”？）" in t for t in texts)


def test_the_shipped_catalog_has_no_peers() -> None:
    catalog = load_catalog(ROOT / "catalog")
    assert catalog.centre.peers == () and not any(d.centre for d in catalog.departments.values())
