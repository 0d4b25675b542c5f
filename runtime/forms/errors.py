"""The one error type of ``runtime.forms``: a message placed at a field."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """A problem with one answer: where (JSON pointer and HTML id) and what, in Chinese."""

    pointer: str  # "/legal_rep/name", "/materials/id-card"; "" for the whole form
    field_id: str  # "f-legal_rep-name"; "" when no single control is at fault
    message: str
