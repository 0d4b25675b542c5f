"""Problems found in a catalog, and the builder's exceptions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

_NO_PARAMS: Mapping[str, Any] = MappingProxyType({})


def _no_params() -> Mapping[str, Any]:
    return _NO_PARAMS


@dataclass(frozen=True, order=True)
class Problem:
    """One located finding: ``FILE:LINE:COL: error: MESSAGE``.

    ``message`` is the English text of the command line; ``code`` and ``params`` say the
    same as data, for other languages (``builder.messages_zh``). They take no part in
    equality, hashing or ordering: a problem is its place and its message.
    """

    file: str
    line: int
    column: int
    message: str
    severity: str = "error"  # "error" | "warning"
    code: str = field(default="", compare=False)
    params: Mapping[str, Any] = field(default_factory=_no_params, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.params, MappingProxyType):  # frozen means the params too
            object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

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
