"""Problems found in a catalog, and the builder's exceptions."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One located finding: ``FILE:LINE:COL: error: MESSAGE``."""

    file: str
    line: int
    column: int
    message: str
    severity: str = "error"  # "error" | "warning"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.severity}: {self.message}"

    @property
    def is_error(self) -> bool:
        """True for errors; warnings do not stop a catalog from loading."""
        return self.severity == "error"


class BuilderError(Exception):
    """Base of the builder's exceptions."""


class CatalogInvalid(BuilderError):
    """The catalog has errors; ``problems`` lists every one of them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.is_error]
        super().__init__(f"{len(errors)} error(s) in the catalog")


class UnknownMatter(BuilderError):
    """No matter with that id (or file) exists."""
