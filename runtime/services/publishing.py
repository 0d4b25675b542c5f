"""Checking a matter's YAML text with the full builder check, and what a publish records.

The builder checks files; the administrator's draft is text in the admin store. Here
it is checked exactly as ``onewindow check`` would check it as
``matters/<id>.yaml``, so line and column numbers point into the draft.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import yaml

from builder import certificates
from builder.check import MatterCheck
from builder.compile import compile_matter
from builder.errors import Problem
from builder.messages_zh import render
from builder.metaschema import check_document
from builder.plan import remember_plan
from builder.source import load_source
from builder.spec import MatterSpec
from runtime.services.yaml_edit import set_top_scalar


@dataclass(frozen=True)
class Checked:
    """The outcome of checking one matter text: every problem, and the spec if no error."""

    spec: MatterSpec | None
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        """The problems that stop a publish."""
        return tuple(p for p in self.problems if p.is_error)


def check_matter(text: str, matter_id: str, departments: Mapping[str, Any],
                 file: str | None = None, *, kinds: Mapping[str, Any] | None = None) -> Checked:
    """Parse, meta-schema check, semantic check and compile ``text`` as matter ``matter_id``
    (whose file name it must match) against these department ids and, when given, these
    certificate kinds (证照库)."""
    src, problems = load_source(text, file or f"matters/{matter_id}.yaml")
    if src is None:
        return Checked(None, tuple(problems))
    problems.extend(check_document(src, "matter"))
    check = MatterCheck(src, departments)
    problems.extend(check.run(matter_id))
    problems.extend(certificates.matter_problems(src, kinds))
    found = tuple(sorted(set(problems), key=lambda p: (p.line, p.column, p.message)))
    if any(p.is_error for p in found):
        return Checked(None, found)
    spec = compile_matter(src.value, check.compiled)
    plan = check.plan
    if plan is not None and (plan.matter, plan.version) == (spec.id, spec.version):
        remember_plan(spec, plan)
    return Checked(spec, found)


def details(problems: Iterable[Problem], *, severity: bool = False) -> list[dict[str, Any]]:
    """Problems as the ``details`` of a service error: ``{line, column, message, message_zh}``
    (``message`` in English as ``onewindow check`` says it; the admin's pages show
    ``message_zh``; the API's error body carries neither detail line nor Chinese)."""
    out: list[dict[str, Any]] = []
    for p in problems:
        item: dict[str, Any] = {"line": p.line, "column": p.column, "message": p.message,
                                "message_zh": render(p)}
        if severity:
            item["severity"] = p.severity
        out.append(item)
    return out


def stamp_version(text: str, version: int) -> str:
    """``text`` with its ``version:`` set to ``version`` (added after ``id`` if missing)."""
    return set_top_scalar(text, "version", version)


def checksum(text: str) -> str:
    """SHA-256 of the exact published text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def same_content(a: str, b: str) -> bool:
    """The same text, or the same YAML data (a comment or layout change is no new content)."""
    if a == b:
        return True
    try:
        return bool(yaml.safe_load(a) == yaml.safe_load(b))
    except yaml.YAMLError:
        return False


def declared_version(text: str) -> int | None:
    """The ``version:`` a matter text declares (1 when it has none), None if unreadable."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    if not isinstance(doc, dict):
        return None
    version = doc.get("version", 1)
    return version if isinstance(version, int) else None


def version_doc(matter_id: str, version: int, text: str, at: datetime, by: str) -> dict[str, Any]:
    """The admin store's record of one published version."""
    return {"matter": matter_id, "version": version, "yaml": text,
            "published_at": at.isoformat(), "published_by": by, "checksum": checksum(text)}


def audit_entry(at: datetime, who: str, action: str, subject: str,
                detail: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One line of the admin audit."""
    return {"at": at.isoformat(), "who": who, "action": action, "subject": subject,
            "detail": dict(detail or {})}


def version_line(text: str, file: str) -> tuple[int, int]:
    """Where ``version:`` stands in a matter text (line 1 when it has none)."""
    src, _ = load_source(text, file)
    return src.where(("version",)) if src is not None else (1, 1)
