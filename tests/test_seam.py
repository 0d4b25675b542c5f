"""The seam between the web layer and the services, kept by the code itself.

- Views and API handlers reach the services only: nothing in ``runtime/web`` imports the
  store, the engine or builder code.
- No state name is written as a string outside the state-machine modules, in Python
  or in templates: states are compared through the vocabulary (and pages draw the
  actions the engine allows).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from runtime.engine import CaseStatus, TaskStatus

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "runtime" / "web"
FORBIDDEN = ("runtime.store", "runtime.engine", "builder")
STATES = {s.value for s in CaseStatus} | {s.value for s in TaskStatus}
STATE_HOMES = {ROOT / "runtime" / "engine" / "states.py",
               ROOT / "runtime" / "engine" / "vocabulary.py"}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
    return found


@pytest.mark.parametrize("path", sorted(WEB.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_web_layer_imports_only_services(path: Path) -> None:
    bad = [m for m in _imports(path) if m == "builder" or m.startswith(FORBIDDEN)]
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}: go through runtime.services"


def _compared_states(path: Path) -> list[tuple[int, str]]:
    """String literals naming a state in a comparison with a status (``==``, ``in``) or
    given as a ``status=`` argument: the ways a status gets spelled by hand."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            names = [e.value for e in node.elts if isinstance(e, ast.Constant)
                     and e.value in STATES]
            if len(names) >= 2:  # a hand-made group of states
                found += [(node.lineno, n) for n in names]
            continue
        if isinstance(node, ast.Compare) and "status" in ast.unparse(node):
            parts = [node.left, *node.comparators]
        elif isinstance(node, ast.keyword) and node.arg == "status":
            parts = [node.value]
        else:
            continue
        keys = {id(n.slice) for p in parts for n in ast.walk(p) if isinstance(n, ast.Subscript)}
        for part in parts:
            for leaf in ast.walk(part):
                if isinstance(leaf, ast.Constant) and leaf.value in STATES and \
                        id(leaf) not in keys:
                    found.append((leaf.lineno, leaf.value))
    return found


PYTHON = sorted(p for p in (ROOT / "runtime").rglob("*.py") if p not in STATE_HOMES)


@pytest.mark.parametrize("path", PYTHON, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_state_is_spelled_outside_the_state_machines(path: Path) -> None:
    assert not _compared_states(path), (path.relative_to(ROOT), _compared_states(path))


TEMPLATE_STATE = re.compile(r"status[\"'\]]*\s*(?:==|!=|in)\s*[\"'(\[]")


@pytest.mark.parametrize("path", sorted((ROOT / "runtime").rglob("*.html")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_compare_no_state_by_hand(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert not TEMPLATE_STATE.search(text), path.relative_to(ROOT)


def test_the_checks_catch_what_they_should(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('if case["status"] == "draft":\n    pass\nf(status=("ready",))\n'
                      'OPEN = ("in_progress", "accepted")\n', encoding="utf-8")
    assert sorted(_compared_states(sample)) == [(1, "draft"), (3, "ready"),
                                                (4, "accepted"), (4, "in_progress")]
    assert TEMPLATE_STATE.search('{% if case.status == "draft" %}')
    assert TEMPLATE_STATE.search("{% if t['status'] in ('a',) %}")


QUOTED_STATE = re.compile(r"[\"'](" + "|".join(sorted(STATES)) + r")[\"']")
WEB_FILES = sorted([*WEB.rglob("*.py"), *(ROOT / "runtime").rglob("*.html")])


@pytest.mark.parametrize("path", WEB_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_web_code_and_templates_spell_no_state_at_all(path: Path) -> None:
    """Stricter for the web layer: not even a route or a query value that reads like a
    state; actions come from the enums the services export, labels from the vocabulary."""
    found = QUOTED_STATE.findall(path.read_text(encoding="utf-8"))
    assert not found, (path.relative_to(ROOT), found)
