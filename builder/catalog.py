"""Load a catalog folder (or single files): read, check everything, compile.

``check_paths`` is what ``onewindow check`` runs; ``load_catalog`` is what ``serve``
and ``plan`` run, and refuses a catalog with errors. Reading (``parse_folder``) is kept
apart from checking (``check_sources``) so each can be timed on its own. Checking a
matter compiles and plans it; the result keeps that spec, so loading works once.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder import certificates
from builder.check import MatterCheck
from builder.compile import (
    compile_centre,
    compile_certificates,
    compile_departments,
    compile_matter,
)
from builder.errors import CatalogInvalid, Problem, UnknownMatter
from builder.metaschema import check_document
from builder.names import closest, did_you_mean
from builder.notifications import check_placeholders, compile_notifications
from builder.peers import peer_problems
from builder.plan import remember_plan
from builder.source import Source, read_source
from builder.spec import Catalog, MatterSpec

SPECIAL = {"departments.yaml": "departments", "centre.yaml": "centre",
           "calendar.yaml": "calendar", "notifications.yaml": "notifications",
           "scoring.yaml": "scoring", "certificates.yaml": "certificates"}
OPTIONAL = frozenset({"calendar.yaml", "notifications.yaml", "scoring.yaml",
                      "certificates.yaml"})


@dataclass
class Loaded:
    """What reading a set of catalog files produced: sources and problems, and the
    compiled spec of each matter file without errors (its plan already made)."""

    problems: list[Problem] = field(default_factory=list)
    departments: Source | None = None
    centre: Source | None = None
    calendar: Source | None = None
    notifications: Source | None = None
    scoring: Source | None = None
    certificates: Source | None = None
    kinds: dict[str, Any] | None = None  # certificate kinds to check against (None: skip)
    matters: list[Source] = field(default_factory=list)
    specs: dict[str, MatterSpec] = field(default_factory=dict)  # by file

    @property
    def ok(self) -> bool:
        """True when no problem is an error."""
        return not any(p.is_error for p in self.problems)


def _kind(path: Path) -> str:
    return SPECIAL.get(path.name, "matter")


def _catalog_root(path: Path) -> Path | None:
    """The catalog folder a single file belongs to (where departments.yaml lives)."""
    path = path.resolve()
    for folder in (path.parent, path.parent.parent):
        if (folder / "departments.yaml").is_file():
            return folder
    return None


def _read(loaded: Loaded, path: Path) -> None:
    src, problems = read_source(path)
    loaded.problems.extend(problems)
    if src is None:
        return
    kind = _kind(path)
    if kind == "matter":
        loaded.matters.append(src)
    else:
        setattr(loaded, kind, src)


def _matter_files(folder: Path) -> list[Path]:
    matters = folder / "matters"
    return sorted([*matters.glob("*.yaml"), *matters.glob("*.yml")]) if matters.is_dir() else []


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Run without the cyclic garbage collector, then restore it as it was.

    Reading and checking build hundreds of thousands of long-lived objects (PyYAML's
    node tree, the values, positions, steps) and few reference cycles; every full
    collection walks all of them again. At 10,000 steps that is 2.3 s -> 0.7 s to parse,
    1.0 s -> 0.65 s to check. Cycles made meanwhile are collected once it runs again.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_folder(folder: Path) -> Loaded:
    """Read every file of a catalog folder as YAML with positions; nothing checked yet."""
    with _collector_paused():
        return _parse_folder(folder)


def _parse_folder(folder: Path) -> Loaded:
    loaded = Loaded(kinds={})  # a folder without certificates.yaml declares no kind
    if not folder.is_dir():
        loaded.problems.append(Problem(str(folder), 1, 1, "no such catalog folder",
                                       code="no_catalog_folder"))
        return loaded
    for name in SPECIAL:
        path = folder / name
        if path.is_file():
            _read(loaded, path)
        elif name not in OPTIONAL:
            loaded.problems.append(Problem(str(path), 1, 1, f"missing {name}: every catalog "
                                                            "needs one",
                                           code="missing_catalog_file", params={"name": name}))
    for path in _matter_files(folder):
        _read(loaded, path)
    if not (folder / "matters").is_dir():
        loaded.problems.append(Problem(str(folder / "matters"), 1, 1,
                                       "missing the matters/ folder", code="no_matters_folder"))
    return loaded


def check_sources(loaded: Loaded, departments: Mapping[str, Any] | None = None) -> Loaded:
    """Check what ``parse_folder`` read, in place: the meta-schemas, then every matter
    (against ``departments``, by default the ids in the catalog's own departments.yaml)."""
    with _collector_paused():
        _check_sources(loaded, departments)
    return loaded


def _check_sources(loaded: Loaded, departments: Mapping[str, Any] | None) -> None:
    for kind in SPECIAL.values():
        src = getattr(loaded, kind)
        if src is not None:
            found = check_document(src, kind)
            loaded.problems.extend(found)
            if kind == "notifications" and not found:
                loaded.problems.extend(check_placeholders(src))
            if kind == "certificates":
                loaded.problems.extend(certificates.file_problems(src))
    for src in loaded.matters:
        loaded.problems.extend(check_document(src, "matter"))
    if departments is None:
        departments = _department_ids(loaded.departments)
    _check_matters(loaded, departments)


def read_folder(folder: Path) -> Loaded:
    """Read and check a whole catalog folder."""
    return check_sources(parse_folder(folder))


def read_files(paths: Iterable[Path]) -> Loaded:
    """Read and check single files, resolving departments from their catalog folder."""
    with _collector_paused():
        loaded, departments = _read_files(paths)
    return check_sources(loaded, departments)


def _read_files(paths: Iterable[Path]) -> tuple[Loaded, dict[str, Any] | None]:
    loaded = Loaded()
    departments: dict[str, Any] | None = None
    for path in paths:
        if not path.is_file():
            loaded.problems.append(Problem(str(path), 1, 1, "no such file or folder",
                                           code="no_such_file"))
            continue
        _read(loaded, path)
        root = _catalog_root(path)
        if root is not None and loaded.departments is None and departments is None:
            dep_src, _ = read_source(root / "departments.yaml")
            departments = _department_ids(dep_src)
            kinds_file = root / "certificates.yaml"
            loaded.kinds = certificates.kinds_of(read_source(kinds_file)[0]) \
                if kinds_file.is_file() else {}
    if loaded.departments is not None:
        departments = _department_ids(loaded.departments)
    return loaded, departments


def check_paths(paths: Iterable[Path]) -> Loaded:
    """What ``onewindow check`` reports for these folders and files."""
    total = Loaded()
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            part = read_folder(path)
            total.problems.extend(part.problems)
        else:
            files.append(path)
    if files:
        total.problems.extend(read_files(files).problems)
    total.problems = sorted(set(total.problems), key=lambda p: (p.file, p.line, p.column,
                                                                p.message))
    return total


def _department_ids(src: Source | None) -> dict[str, Any] | None:
    if src is None or not isinstance(src.value, dict):
        return None
    deps = src.value.get("departments")
    if not isinstance(deps, list):
        return None
    ids: dict[str, Any] = {}
    for i, dep in enumerate(deps):
        if isinstance(dep, dict) and isinstance(dep.get("id"), str):
            ids.setdefault(dep["id"], i)
    return ids


def _check_matters(loaded: Loaded, departments: Mapping[str, Any] | None) -> None:
    seen: dict[str, Source] = {}
    broken = {p.file for p in loaded.problems if p.is_error}
    kinds = certificates.kinds_of(loaded.certificates) if loaded.certificates is not None \
        else loaded.kinds
    for src in loaded.matters:
        expected = Path(src.file).stem
        check = MatterCheck(src, departments)
        problems = check.run(expected) + certificates.matter_problems(src, kinds)
        loaded.problems.extend(problems)
        if src.file not in broken and not any(p.is_error for p in problems):
            loaded.specs[src.file] = _compile(src, check)
        matter_id = src.value.get("id") if isinstance(src.value, dict) else None
        if isinstance(matter_id, str):
            if matter_id in seen:
                other = seen[matter_id].file
                loaded.problems.append(src.problem(
                    ("id",), f"duplicate matter id '{matter_id}' (also in {other})",
                    code="duplicate_matter_id", params={"id": matter_id, "other": other}))
            seen.setdefault(matter_id, src)
    if loaded.departments is not None:
        loaded.problems.extend(_duplicate_departments(loaded.departments))
    if loaded.centre is not None and loaded.matters:
        loaded.problems.extend(_unknown_announced(loaded.centre, set(seen)))
    if loaded.scoring is not None:
        loaded.problems.extend(_scoring_problems(loaded.scoring))
    loaded.problems.extend(peer_problems(loaded.centre, loaded.departments))


def _scoring_problems(src: Source) -> list[Problem]:
    """scoring.yaml beyond its schema: rule ids unique, grades from the highest down."""
    doc = src.value if isinstance(src.value, dict) else {}
    problems: list[Problem] = []
    seen: set[str] = set()
    rules = doc.get("rules")
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        rule_id = rule.get("id") if isinstance(rule, dict) else None
        if isinstance(rule_id, str) and rule_id in seen:
            problems.append(src.problem(("rules", i, "id"), f"duplicate rule id '{rule_id}'",
                                        code="duplicate_scoring_rule", params={"id": rule_id}))
        if isinstance(rule_id, str):
            seen.add(rule_id)
    grades = doc.get("grades")
    last = None
    for i, grade in enumerate(grades if isinstance(grades, list) else []):
        low = grade.get("min") if isinstance(grade, dict) else None
        if isinstance(low, int | float) and not isinstance(low, bool):
            if last is not None and low >= last:
                problems.append(src.problem(("grades", i, "min"),
                                            f"grades go from the highest down: {low:g} is not "
                                            f"below {last:g}", code="grades_not_descending",
                                            params={"min": low, "previous": last}))
            last = low
    return problems


def _unknown_announced(src: Source, matters: set[str]) -> list[Problem]:
    """``announce`` in centre.yaml names matters of the catalog."""
    listed = src.value.get("announce") if isinstance(src.value, dict) else None
    return [src.problem(("announce", i), f"unknown matter '{name}' in announce"
                        + did_you_mean(name, sorted(matters)), code="unknown_announced_matter",
                        params={"matter": name, "hint": closest(name, sorted(matters)) or ""})
            for i, name in enumerate(listed if isinstance(listed, list) else [])
            if isinstance(name, str) and name not in matters]


def _compile(src: Source, check: MatterCheck) -> MatterSpec:
    """A matter without errors, compiled with the steps and plan its check made."""
    spec = compile_matter(src.value, check.compiled)
    plan = check.plan
    if plan is not None and (plan.matter, plan.version) == (spec.id, spec.version):
        remember_plan(spec, plan)
    return spec


def _duplicate_departments(src: Source) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    deps = src.value.get("departments") if isinstance(src.value, dict) else None
    for i, dep in enumerate(deps if isinstance(deps, list) else []):
        if isinstance(dep, dict) and isinstance(dep.get("id"), str):
            if dep["id"] in seen:
                first = src.where(("departments", seen[dep["id"]]))[0]
                problems.append(src.problem(("departments", i, "id"),
                                            f"duplicate department id '{dep['id']}' "
                                            f"(first defined on line {first})",
                                            code="duplicate_id", params={
                                                "kind": "department", "id": dep["id"],
                                                "first": first}))
            seen.setdefault(dep["id"], i)
    return problems


def load_catalog(folder: Path) -> Catalog:
    """Load, check and compile a catalog folder; raise ``CatalogInvalid`` on any error."""
    return catalog_of(read_folder(folder))


def catalog_of(loaded: Loaded) -> Catalog:
    """The catalog a checked folder describes; raise ``CatalogInvalid`` on any error."""
    if not loaded.ok:
        raise CatalogInvalid(loaded.problems)
    assert loaded.departments is not None and loaded.centre is not None
    matters = {spec.id: spec for spec in (loaded.specs[src.file] for src in loaded.matters)}
    calendar = loaded.calendar.value if loaded.calendar is not None else {}
    notices = loaded.notifications.value if loaded.notifications is not None else {}
    scoring = loaded.scoring.value if loaded.scoring is not None else {}
    kinds = loaded.certificates.value if loaded.certificates is not None else {}
    return Catalog(compile_centre(loaded.centre.value),
                   compile_departments(loaded.departments.value), matters, calendar,
                   compile_notifications(notices), scoring, compile_certificates(kinds))


def load_matter(ref: str, catalog_dir: Path) -> MatterSpec:
    """A matter by id from the catalog, or from a matter file path."""
    path = Path(ref)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        loaded = read_files([path])
        if not loaded.ok:
            raise CatalogInvalid(loaded.problems)
        return loaded.specs[loaded.matters[0].file]
    catalog = load_catalog(catalog_dir)
    if ref not in catalog.matters:
        raise UnknownMatter(f"no matter '{ref}' in {catalog_dir}"
                            f"{did_you_mean(ref, catalog.matters)}")
    return catalog.matters[ref]
