"""Published matters by id and version: a running case pins the version it was accepted under."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from builder import Material, MatterSpec
from runtime.services.errors import NotFound


class Matters:
    """Every known version of every matter; the newest version of each is the published one."""

    def __init__(self, specs: Iterable[MatterSpec]) -> None:
        self._versions: dict[tuple[str, int], MatterSpec] = {}
        self._current: dict[str, MatterSpec] = {}
        self.fallback: Callable[[str, int], MatterSpec | None] = lambda _id, _v: None
        """Where a version not registered here is looked up (mirror matters, received
        from another centre, possibly by another process)."""
        for spec in specs:
            self.add(spec)

    def add(self, spec: MatterSpec) -> None:
        """Register a version (idempotent); a newer version becomes the published one."""
        self._versions[(spec.id, spec.version)] = spec
        current = self._current.get(spec.id)
        if current is None or spec.version >= current.version:
            self._current[spec.id] = spec

    def add_version(self, spec: MatterSpec) -> None:
        """Register a version cases may run under that is never published (a mirror)."""
        self._versions.setdefault((spec.id, spec.version), spec)

    def published(self) -> list[MatterSpec]:
        """The current version of every matter, by name."""
        return sorted(self._current.values(), key=lambda m: m.name)

    def current(self, matter_id: str) -> MatterSpec:
        """The version new applications use."""
        try:
            return self._current[matter_id]
        except KeyError:
            raise NotFound(f"没有事项“{matter_id}”") from None

    def version(self, matter_id: str, version: int) -> MatterSpec:
        """A pinned version (for a running case)."""
        try:
            return self._versions[(matter_id, version)]
        except KeyError:
            found = self.fallback(matter_id, version)
            if found is not None:
                self.add_version(found)
                return found
            raise NotFound(f"事项“{matter_id}”没有第 {version} 版") from None

    def material(self, matter_id: str, material_id: str) -> Material:
        """A material of the published version (for checking an upload against it)."""
        try:
            return self.current(matter_id).material(material_id)
        except KeyError:
            raise NotFound(f"事项“{matter_id}”没有材料“{material_id}”") from None
