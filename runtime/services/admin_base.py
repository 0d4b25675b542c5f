"""What every administrator use case shares: state, authorisation, audit, the live catalog.

The running catalog is swapped, never changed in place: ``Catalog`` is frozen, so a
change builds a new one with ``dataclasses.replace`` and hands it to ``on_catalog``
(``Services.use_catalog``), which gives it to every reader.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from builder.spec import Catalog, MatterSpec
from runtime.services.accounts import User
from runtime.services.admin_audit import action_words, detail_words, who_words
from runtime.services.catalog_files import ID_PATTERN
from runtime.services.errors import Forbidden, Invalid
from runtime.services.matters import Matters
from runtime.services.publishing import audit_entry
from runtime.store import Store
from runtime.store.admin_store import AdminStore

Document = dict[str, Any]


@dataclass(frozen=True)
class Draft:
    """A matter being edited (草稿): any text, valid or not; one per matter id."""

    matter: str
    yaml: str
    updated_at: str
    updated_by: str
    based_on: int | None  # the published version it started from (None: a new matter)

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Draft:
        """From the admin store's draft record."""
        return cls(doc["matter"], doc["yaml"], doc["updated_at"], doc["updated_by"],
                   doc.get("based_on"))


@dataclass(frozen=True)
class Version:
    """One published version (已发布版本) and how many cases are pinned to it."""

    matter: str
    version: int
    published_at: str
    published_by: str
    checksum: str
    cases: int = 0


@dataclass(frozen=True)
class MatterVersions:
    """A matter as the builder UI lists it: published versions and its draft."""

    matter: str
    name: str
    current: int | None  # the version new applications use (None: never published)
    versions: tuple[Version, ...] = ()
    draft: Draft | None = None

    @property
    def draft_behind(self) -> bool:
        """True when a newer version was published after the draft was started."""
        return bool(self.draft and self.draft.based_on is not None and
                    self.current is not None and self.draft.based_on < self.current)


@dataclass(frozen=True)
class AuditEntry:
    """One line of the admin audit (管理日志): who changed what, when."""

    at: str
    who: str
    action: str
    subject: str
    detail: Mapping[str, Any] = field(default_factory=dict)
    who_name: str = ""  # the person's display name (or 系统, 目录文件)
    words: str = ""  # the action in Chinese: 导入草稿, 发布第 3 版
    notes: str = ""  # the rest of the detail, labelled in Chinese
    subject_name: str = ""  # the matter's or department's name


class AdminBase:
    """State shared by the matter and department use cases of ``Admin``."""

    def __init__(self, admin_store: AdminStore, store: Store, matters: Matters,
                 catalog: Catalog, specs: Iterable[MatterSpec], catalog_path: Path,
                 clock: Callable[[], datetime]) -> None:
        self.admin_store = admin_store
        self.store = store
        self.matters = matters
        self.catalog = catalog
        self.root = catalog_path
        self.clock = clock
        self.on_catalog: Callable[[Catalog], None] = lambda _: None
        self._specs: dict[tuple[str, int], MatterSpec] = {(s.id, s.version): s for s in specs}
        self._unusable: set[tuple[str, int]] = set()  # published elsewhere, refused here
        # One administrator change at a time: a version number is read and used in one go.
        self._lock = threading.RLock()

    @staticmethod
    def _authorise(user: User) -> None:
        if user.role != "admin":
            raise Forbidden("只有中心管理员可以管理事项、版本和部门")

    @staticmethod
    def _check_id(value: str, pointer: str, what: str) -> None:
        if not isinstance(value, str) or not ID_PATTERN.match(value):
            message = f"{what}编号须为小写字母开头的小写字母、数字和连字符（-），至多 64 个字符"
            raise Invalid(f"{what}编号不合规", [{"pointer": pointer, "message": message}])

    @staticmethod
    def _check_name(value: str, pointer: str, what: str) -> str:
        name = value.strip() if isinstance(value, str) else ""
        if not name or len(name) > 200 or "\n" in name:
            raise Invalid(f"{what}名称不合规", [{"pointer": pointer,
                                              "message": f"{what}名称须为 1–200 个字符的一行文字"}])
        return name

    def _entry(self, who: str, action: str, subject: str,
               detail: Mapping[str, Any] | None = None) -> Document:
        return audit_entry(self.clock(), who, action, subject, detail)

    def _swap(self, **changes: Any) -> None:
        """Hand every reader a new catalog with these fields changed."""
        self.catalog = replace(self.catalog, **changes)
        self.on_catalog(self.catalog)

    def _versions_of(self, matter_id: str) -> list[MatterSpec]:
        return sorted((s for (m, _), s in self._specs.items() if m == matter_id),
                      key=lambda s: s.version)

    def _subject_name(self, subject: str) -> str:
        matter = self.catalog.matters.get(subject)
        if matter is not None:
            return matter.name
        department = self.catalog.departments.get(subject)
        if department is not None:
            return department.name
        return "工作日历" if subject == "calendar" else subject

    def audit(self, user: User, *, subject: str | None = None, limit: int = 100,
              offset: int = 0) -> list[AuditEntry]:
        """The admin audit, newest first; ``subject`` is a matter or department id."""
        self._authorise(user)
        names: dict[str, str | None] = {}
        out = []
        for e in self.admin_store.audit(subject=subject, limit=limit, offset=offset):
            who, detail = e["who"], e.get("detail", {})
            if who not in names:
                doc = self.store.get_user_by_name(who)
                names[who] = doc.get("display_name") if doc else None
            out.append(AuditEntry(e["at"], who, e["action"], e["subject"], detail,
                                  who_words(who, names[who]), action_words(e["action"], detail),
                                  detail_words(e["action"], detail),
                                  self._subject_name(e["subject"])))
        return out
