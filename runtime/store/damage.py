"""Damage to acknowledged data: where it is, and the error that refuses to serve it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from runtime.store.base import StoreError


@dataclass(frozen=True)
class Damage:
    """One problem found in a data directory: a file, a byte offset (or a line of a
    snapshot file, written ``FILE:LINE``), and what is wrong there."""

    path: Path
    offset: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.offset}: {self.message}"


class StoreDamaged(StoreError):
    """Acknowledged data is damaged or missing: the store refuses to open.

    ``problems`` lists every problem found before giving up (at least one).
    """

    def __init__(self, problems: list[Damage]) -> None:
        self.problems = problems
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        super().__init__(f"the store is damaged: {problems[0]}{more}")
