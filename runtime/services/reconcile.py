"""Start-up: bring the catalog folder and the admin store's published versions together.

Three places know published versions: ``matters/<id>.yaml`` (the newest),
``matters/versions/<id>/v<N>.yaml`` (archive copies) and the admin store. At start-up
every version any of them knows is registered, so a case pinned to an old version
keeps working after a restart. The rules (docs/builder-ui.md):

* the same version with different content in two places stops the start-up;
* a version only on disk (a fresh install, a file edited by hand and checked) is
  recorded as published by ``catalog``;
* a store that knows a newer version than ``matters/<id>.yaml`` (an older catalog
  copied over a newer data folder) writes its texts back to the catalog folder.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from builder.errors import CatalogInvalid, Problem
from builder.spec import Catalog, MatterSpec
from runtime.services.catalog_files import (
    archive_file,
    archives,
    matter_file,
    read_text,
    write_text,
)
from runtime.services.publishing import (
    audit_entry,
    check_matter,
    same_content,
    version_doc,
    version_line,
)
from runtime.store.admin_store import AdminStore

Key = tuple[str, int]


class CatalogConflict(CatalogInvalid):
    """The catalog folder and the admin store disagree about a published version."""


@dataclass(frozen=True)
class Reconciled:
    """The catalog with the newest version of every matter, and every known version."""

    catalog: Catalog
    specs: tuple[MatterSpec, ...]


@dataclass
class _OnDisk:
    text: str
    file: Path
    spec: MatterSpec | None = None


def reconcile(root: Path, catalog: Catalog, store: AdminStore, now: datetime) -> Reconciled:
    """Check, register and record every published version (see the module docstring)."""
    copies, problems = _read_disk(root, catalog)
    stored = {(d["matter"], d["version"]): d for d in store.versions()}
    problems.extend(_conflicts(copies, stored, store, root))
    if problems:
        raise CatalogConflict(problems)
    disk = {key: found[0] for key, found in copies.items()}
    specs, problems = _compile(disk, stored, catalog, store)
    if problems:
        raise CatalogInvalid(problems)
    newest_file = {m: spec.version for m, spec in catalog.matters.items()}
    entries = _repair(root, stored, newest_file, now)
    with store.batch():
        for (matter_id, version) in sorted(disk.keys() - stored.keys()):
            d = disk[(matter_id, version)]
            store.add_version(version_doc(matter_id, version, d.text, now, "catalog"))
            entries.append(audit_entry(now, "catalog", "matter.record", matter_id,
                                       {"version": version, "file": _relative(d.file, root)}))
        for entry in entries:
            store.append_audit(entry)
    current: dict[str, MatterSpec] = {}
    for spec in sorted(specs.values(), key=lambda s: (s.id, s.version)):
        current[spec.id] = spec
    return Reconciled(replace(catalog, matters=current), tuple(specs.values()))


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _read_disk(root: Path, catalog: Catalog) -> tuple[dict[Key, list[_OnDisk]], list[Problem]]:
    """Every copy of every version in the folder: the matter file first, then the archive."""
    copies: dict[Key, list[_OnDisk]] = {}
    problems: list[Problem] = []
    for matter_id, spec in catalog.matters.items():
        path = matter_file(root, matter_id)
        copies[(matter_id, spec.version)] = [_OnDisk(read_text(path), path, spec)]
    for matter_id, version, path in archives(root):
        try:
            text = read_text(path)
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(str(path), 1, 1, f"cannot read the archive copy: {exc}"))
            continue
        copies.setdefault((matter_id, version), []).append(_OnDisk(text, path))
    return copies, problems


def _conflicts(copies: dict[Key, list[_OnDisk]], stored: dict[Key, dict[str, Any]],
               store: AdminStore, root: Path) -> list[Problem]:
    """Each copy that differs from the published text (or, unpublished, from the matter file)."""
    problems = []
    newest: dict[str, int] = {}
    for matter_id, version in [*copies, *stored]:
        newest[matter_id] = max(newest.get(matter_id, 0), version)
    for (matter_id, version), found in sorted(copies.items(), key=lambda kv: kv[0]):
        doc = stored.get((matter_id, version))
        first = found[0]
        for d in found if doc is not None else found[1:]:
            if same_content(d.text, doc["yaml"] if doc is not None else first.text):
                continue
            if doc is not None:
                where = (f"the version {version} published on {doc['published_at']} by "
                         f"{doc['published_by']} (kept in {store.path or 'the admin store'})")
            else:
                where = f"{_relative(first.file, root)}, which also says version {version}"
            line, col = version_line(d.text, str(d.file))
            problems.append(Problem(
                str(d.file), line, col,
                f"version {version} of matter '{matter_id}' differs from {where}; a published "
                f"version never changes: to publish this edit give it 'version: "
                f"{newest[matter_id] + 1}', or put the published text back (the "
                "administrator can export it)"))
    return problems


def _compile(disk: dict[Key, _OnDisk], stored: dict[Key, dict[str, Any]], catalog: Catalog,
             store: AdminStore) -> tuple[dict[Key, MatterSpec], list[Problem]]:
    specs: dict[Key, MatterSpec] = {}
    problems: list[Problem] = []
    texts = [(key, d.text, str(d.file), d.spec) for key, d in disk.items()]
    texts += [(key, doc["yaml"], f"{store.path or 'admin store'}: {key[0]} version {key[1]}",
               None) for key, doc in stored.items() if key not in disk]
    newest_file = {m: spec.version for m, spec in catalog.matters.items()}
    newest_store: dict[str, int] = {}
    for matter_id, version in stored:
        newest_store[matter_id] = max(newest_store.get(matter_id, 0), version)
    for (matter_id, version), text, file, spec in sorted(texts, key=lambda t: t[0]):
        if spec is None:
            checked = check_matter(text, matter_id, catalog.departments, file)
            problems.extend(checked.errors)
            spec = checked.spec
        if spec is None:
            continue
        if spec.version != version:
            problems.append(Problem(file, *version_line(text, file),
                                    f"this copy of version {version} says version "
                                    f"{spec.version}"))
        elif version > max(newest_file.get(matter_id, 0), newest_store.get(matter_id, 0)):
            problems.append(Problem(file, *version_line(text, file),
                                    f"archive copy of version {version} is newer than "
                                    f"matters/{matter_id}.yaml; a version is published by "
                                    "putting it in matters/"))
        specs[(matter_id, version)] = spec
    return specs, problems


def _repair(root: Path, stored: dict[Key, dict[str, Any]], newest_file: dict[str, int],
            now: datetime) -> list[dict[str, Any]]:
    """Write back what the store published but the catalog folder lacks."""
    by_matter: dict[str, list[int]] = {}
    for matter_id, version in stored:
        by_matter.setdefault(matter_id, []).append(version)
    entries = []
    for matter_id, versions in sorted(by_matter.items()):
        top = max(versions)
        if top <= newest_file.get(matter_id, 0):
            continue
        written = []
        for version in sorted(versions):
            path = archive_file(root, matter_id, version)
            if not path.is_file():
                write_text(path, stored[(matter_id, version)]["yaml"])
                written.append(_relative(path, root))
        path = matter_file(root, matter_id)
        write_text(path, stored[(matter_id, top)]["yaml"])
        written.append(_relative(path, root))
        entries.append(audit_entry(now, "system", "catalog.repair", matter_id,
                                   {"version": top, "written": written}))
    return entries
