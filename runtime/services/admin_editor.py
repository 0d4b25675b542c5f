"""What the matter editor shows (read models): the text, its check, the guided model, the
plan and the form previews; the diff between versions and the BPMN file.

Pure functions over texts and the catalog; ``Admin`` calls them after authorising.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from builder import messages_zh
from builder.bpmn import to_bpmn
from builder.diff import Change, diff
from builder.guided import GuidedMatter
from builder.plan import Plan, make_plan
from builder.source import load_source
from builder.spec import Department, MatterSpec
from builder.svg import render_svg
from runtime import forms
from runtime.services.admin_base import Draft, MatterVersions
from runtime.services.admin_guided import ACCEPTS, FIELD_TYPES, OPS, guided_of
from runtime.services.publishing import check_matter


@dataclass(frozen=True)
class ProblemLine:
    """One check message of the draft, in Chinese, with where it is."""

    line: int
    column: int
    severity: str
    message: str

    @property
    def is_error(self) -> bool:
        """True for an error (which blocks publishing), False for a hint."""
        return self.severity == "error"


@dataclass(frozen=True)
class Preview:
    """The plan picture and the previews of every form of a valid text."""

    spec: MatterSpec
    plan: Plan
    picture: str  # SVG markup, escaped by the builder
    fields: Any  # runtime.forms rows of the applicant form
    uploads: Any
    step_previews: tuple[tuple[Any, Any], ...]
    stale: bool = False  # from the last valid state, not from the text shown
    stale_at: str | None = None  # when that state was saved


@dataclass(frozen=True)
class EditorPage:
    """The matter editor: the text being edited and everything derived from it."""

    matter_id: str
    text: str
    draft: Draft | None  # None: the published version is shown, no draft exists yet
    versions: MatterVersions
    problems: tuple[ProblemLine, ...]
    guided: GuidedMatter | None
    guided_error: str
    departments: Mapping[str, str]
    preview: Preview | None
    draft_by: str = ""  # the display name of who saved the draft last
    field_types: Mapping[str, str] = field(default_factory=lambda: FIELD_TYPES)
    ops: Mapping[str, str] = field(default_factory=lambda: OPS)
    accepts: tuple[str, ...] = ACCEPTS

    @property
    def errors(self) -> tuple[ProblemLine, ...]:
        """The problems that block publishing."""
        return tuple(p for p in self.problems if p.is_error)

    @property
    def line_count(self) -> int:
        """Lines of the text (for the line-number gutter)."""
        return self.text.count("\n") + 1


def preview_of(spec: MatterSpec, departments: Mapping[str, str], *, stale: bool = False,
               stale_at: str | None = None) -> Preview:
    """The plan and form previews of a compiled matter."""
    plan = make_plan(spec)
    defaults = forms.defaults(spec.form)
    return Preview(
        spec, plan, render_svg(spec, plan, dict(departments)),
        forms.build_fields(spec.form, spec.ui, defaults),
        forms.build_uploads(spec.materials, defaults),
        tuple((s, forms.build_fields(s.form, {}, {}, prefix=f"p-{s.id}"))
              for s in spec.steps if s.form), stale, stale_at)


def editor_page(matter_id: str, text: str, draft: Draft | None, versions: MatterVersions,
                departments: Mapping[str, Department], last_valid: tuple[str, str] | None
                ) -> EditorPage:
    """The editor's read model; ``last_valid`` (text, when) is shown while ``text`` has
    an error, labelled as such."""
    names = {d.id: d.name for d in departments.values()}
    checked = check_matter(text, matter_id, departments)
    problems = tuple(ProblemLine(p.line, p.column, p.severity, messages_zh.render(p))
                     for p in checked.problems)
    guided, guided_error = guided_of(text)
    preview = None
    if checked.spec is not None:
        preview = preview_of(checked.spec, names)
    elif last_valid is not None:
        old = check_matter(last_valid[0], matter_id, departments)
        if old.spec is not None:
            preview = preview_of(old.spec, names, stale=True, stale_at=last_valid[1])
    return EditorPage(matter_id, text, draft, versions, problems, guided, guided_error, names,
                      preview)


def changes_between(old_text: str, new_text: str,
                    departments: Mapping[str, Department]) -> list[Change]:
    """The readable differences between two matter texts (empty when one does not parse)."""
    docs = [load_source(t, "v.yaml")[0] for t in (old_text, new_text)]
    if docs[0] is None or docs[1] is None:
        return []
    return diff(docs[0].value, docs[1].value, {d.id: d.name for d in departments.values()})


def bpmn_of(spec: MatterSpec, departments: Mapping[str, Department]) -> str:
    """A compiled matter as BPMN 2.0 XML."""
    return to_bpmn(spec, {d.id: d.name for d in departments.values()})
