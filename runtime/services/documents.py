"""Formal documents (文书): rendered from templates the centre may edit, archived with the
case by hash at the moment they are issued, printed as HTML or PDF.

The HTML is stored as a blob when the action that issues it happens (accept, supplement,
refuse, reject, fees, deliver), and its hash recorded in the case's events: a reprint
renders the same archived HTML, so it is identical however the case or the templates
change later. Templates come from ``catalog/documents/KIND.html`` when the centre has
one, else from the defaults in ``runtime/templates/documents``; they run sandboxed.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import segno
from jinja2 import ChainableUndefined, ChoiceLoader, FileSystemLoader, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from builder import Centre, MatterSpec
from runtime import engine
from runtime.engine.events import Document
from runtime.engine.records import record_document
from runtime.services import documents_facts as facts
from runtime.services.accounts import Accounts, User
from runtime.services.document_kinds import KINDS, Kind
from runtime.services.errors import NotFound
from runtime.store import Store

DEFAULTS = Path(__file__).resolve().parent.parent / "templates" / "documents"


class TemplatesInvalid(Exception):
    """A document template of the centre does not compile (stops start-up)."""


class Documents:
    """Issue (render and archive) and print formal documents."""

    def __init__(self, store: Store, centre: Centre, accounts: Accounts,
                 catalog_path: Path | None = None) -> None:
        self.store = store
        self.centre = centre
        self.accounts = accounts
        loaders = [FileSystemLoader(str(DEFAULTS))]
        if catalog_path is not None and (catalog_path / "documents").is_dir():
            loaders.insert(0, FileSystemLoader(str(catalog_path / "documents")))
        # A centre's template naming a fact that is not there prints nothing rather than
        # failing the acceptance (or delivery) that issues the document.
        self.env = SandboxedEnvironment(loader=ChoiceLoader(loaders), autoescape=True,
                                        undefined=ChainableUndefined)
        self.env.filters["yuan"] = facts.yuan
        self.env.filters["cn_date"] = facts.cn_date
        for kind in KINDS:  # fail fast on a broken template, not at the first acceptance
            try:
                self.env.get_template(f"{kind}.html")
            except TemplateError as exc:
                raise TemplatesInvalid(f"documents/{kind}.html: {exc}") from exc

    # -- issuing (inside the action's write batch) ----------------------------

    def issue(self, case: Document, matter: MatterSpec, kind: str, user: User,
              now: datetime, **extra: Any) -> Document:
        """Render ``kind`` for ``case`` now, archive its HTML and record it: the new case."""
        actor = _actor(user)
        html = self.render(kind, self.facts(case, matter, kind, actor.department, **extra))
        sha256 = self.store.save_blob(html.encode("utf-8"))
        return record_document(case, actor, now, kind, sha256)

    def facts(self, case: Mapping[str, Any], matter: MatterSpec, kind: str,
              department: str | None, **extra: Any) -> dict[str, Any]:
        """What a template may use (see docs/documents-and-fees.md)."""
        base = facts.common(case, matter, self.centre, self.accounts, department)
        base["kind"] = KINDS[kind]
        base["qr"] = self.query_qr(case) if kind == "receipt" else ""
        base.update(facts.BY_KIND[kind](case, matter, self.accounts))
        base.update(extra)
        return base

    def render(self, kind: str, context: Mapping[str, Any]) -> str:
        """A document's print-ready HTML."""
        return self.env.get_template(f"{kind}.html").render(**context)

    def query_qr(self, case: Mapping[str, Any]) -> str:
        """An SVG QR code of the public query page for this case (when it has a code: the
        case document carries it for its applicant and the window only)."""
        code = case.get("query_code")
        if not code or not case.get("number"):
            return ""
        url = f"{self.centre.public_url}/query?number={case['number']}&code={code}"
        out = io.BytesIO()
        segno.make(url, error="m").save(out, kind="svg", scale=3, xmldecl=False,
                                        svgns=True, nl=False)
        return out.getvalue().decode("utf-8")

    # -- printing -------------------------------------------------------------

    def issued(self, case: Mapping[str, Any]) -> list[tuple[Kind, Mapping[str, Any]]]:
        """The documents archived with a case, in the order of ``KINDS``."""
        held = case.get("documents") or {}
        return [(kind, held[kind.id]) for kind in KINDS.values() if kind.id in held]

    def html(self, case: Mapping[str, Any], kind: str) -> str:
        """The archived HTML of a document of a case the caller may read (checked by the
        caller); 404 when the case has none of that kind."""
        entry = (case.get("documents") or {}).get(kind)
        if kind not in KINDS or entry is None:
            raise NotFound("该办件没有这份文书")
        with self.store.open_blob(entry["sha256"]) as blob:
            return blob.read().decode("utf-8")

    def pdf(self, case: Mapping[str, Any], kind: str) -> bytes:
        """The document as PDF, rendered from its archived HTML (the same bytes each time)."""
        from weasyprint import HTML  # heavy: loaded only when a PDF is asked for

        return bytes(HTML(string=self.html(case, kind)).write_pdf())


def _actor(user: User) -> engine.Actor:
    return engine.Actor(id=user.id, role=user.role, department=user.department,
                        name=user.display_name)
