"""The administrator's use cases (中心管理员): drafts, publishing, versions, departments.

What the builder UI calls. Only the ``admin`` role may call any of it. A draft is any
text; publishing checks it with the full builder check and, when it has no error,
makes it the next immutable version: recorded in the admin store, written to the
catalog folder, and registered at once so new applications use it while running
cases keep the version they were accepted under. See docs/builder-ui.md.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import yaml

from builder.diff import Change
from runtime.services.accounts import User
from runtime.services.admin_base import Draft, MatterVersions, Version
from runtime.services.admin_calendar import CalendarAdmin
from runtime.services.admin_departments import DepartmentAdmin
from runtime.services.admin_editor import EditorPage, bpmn_of, changes_between, editor_page
from runtime.services.admin_guided import apply_edit
from runtime.services.catalog_files import (
    archive_file,
    archives,
    matter_file,
    read_text,
    write_text,
)
from runtime.services.errors import Conflict, Invalid, NotFound
from runtime.services.publishing import (
    check_matter,
    declared_version,
    details,
    same_content,
    stamp_version,
    version_doc,
)
from runtime.services.yaml_edit import scalar, set_top_scalar

log = logging.getLogger("onewindow.admin")

#: The largest draft accepted (the biggest shipped matter is ~20 kB).
MAX_DRAFT_CHARS = 1_000_000
DRAFT = "draft"
"""How the draft is named where a version number could stand (export, diff)."""

_SKELETON = """\
id: {id}
name: {name}
version: {version}
lead: {lead}
time_limit: 1          # 承诺时限（工作日）
statutory_limit: 1     # 法定时限（工作日）
notice: ""
form:
  type: object
  required: [applicant_name]
  properties:
    applicant_name: {{type: string, title: 申请人}}
steps:
  - id: review
    name: 审批
    department: {lead}
    days: 1
"""


class Admin(DepartmentAdmin, CalendarAdmin):
    """Matter drafts, publishing, versions, import/export, the audit and departments."""

    # -- reading -----------------------------------------------------------------------

    def overview(self, user: User) -> list[MatterVersions]:
        """Every matter with its published versions (and their case counts) and its draft."""
        self._authorise(user)
        counts = self._case_counts()
        drafts = {d["matter"]: Draft.from_doc(d) for d in self.admin_store.drafts()}
        ids = sorted({m for m, _ in self._specs} | drafts.keys())
        return [self._matter_versions(m, drafts.get(m), counts) for m in ids]

    def versions(self, user: User, matter_id: str) -> MatterVersions:
        """One matter's published versions and draft."""
        self._authorise(user)
        draft = self.admin_store.draft(matter_id)
        if draft is None and not self._versions_of(matter_id):
            raise NotFound(f"没有事项“{matter_id}”")
        return self._matter_versions(matter_id, Draft.from_doc(draft) if draft else None,
                                     self._case_counts(matter_id))

    def _matter_versions(self, matter_id: str, draft: Draft | None,
                         counts: dict[tuple[str, int], int]) -> MatterVersions:
        specs = self._versions_of(matter_id)
        versions = tuple(Version(d["matter"], d["version"], d["published_at"],
                                 d["published_by"], d["checksum"],
                                 counts.get((matter_id, d["version"]), 0))
                         for d in self.admin_store.versions(matter_id))
        name = specs[-1].name if specs else _draft_name(draft)
        return MatterVersions(matter_id, name, specs[-1].version if specs else None, versions,
                              draft)

    def _case_counts(self, matter_id: str | None = None) -> dict[tuple[str, int], int]:
        # Counted by the store's index (no case is read) for every version the pages
        # can show: the published ones and those of the catalog. Versions without
        # cases are left out, as before.
        keys = {(d["matter"], d["version"]) for d in self.admin_store.versions(matter_id)}
        keys.update(k for k in self._specs if matter_id is None or k[0] == matter_id)
        counts: dict[tuple[str, int], int] = {}
        for matter, version in sorted(keys):
            count = self.store.count_cases(matter=matter, matter_version=version)
            if count:
                counts[(matter, version)] = count
        return counts

    def draft(self, user: User, matter_id: str) -> Draft:
        """The draft of a matter (NotFound when it has none)."""
        self._authorise(user)
        doc = self.admin_store.draft(matter_id)
        if doc is None:
            raise NotFound(f"事项“{matter_id}”没有草稿")
        return Draft.from_doc(doc)

    def check_draft(self, user: User, matter_id: str) -> list[dict[str, Any]]:
        """Every problem of the draft, warnings too, as ``{line, column, message, severity}``."""
        draft = self.draft(user, matter_id)
        checked = check_matter(draft.yaml, matter_id, self.catalog.departments,
                               kinds=self.catalog.certificates)
        return details(checked.problems, severity=True)

    def export_draft(self, user: User, matter_id: str) -> str:
        """The draft's text exactly as saved."""
        return self.draft(user, matter_id).yaml

    def export_version(self, user: User, matter_id: str, version: int | None = None) -> str:
        """A published version's text exactly as published (the current one by default)."""
        self._authorise(user)
        if version is None:
            specs = self._versions_of(matter_id)
            if not specs:
                raise NotFound(f"事项“{matter_id}”尚未发布")
            version = specs[-1].version
        doc = self.admin_store.version(matter_id, version)
        if doc is None:
            raise NotFound(f"事项“{matter_id}”没有第 {version} 版")
        return str(doc["yaml"])

    # -- the editor ----------------------------------------------------------------------

    def editor(self, user: User, matter_id: str) -> EditorPage:
        """The editor's read model: the draft, or the version in use while there is none
        (opening the editor creates nothing); its check, guided model, plan and previews."""
        self._authorise(user)
        doc = self.admin_store.draft(matter_id)
        draft = Draft.from_doc(doc) if doc else None
        text = draft.yaml if draft else self._published_text(matter_id)
        last_valid = (doc["valid_yaml"], doc.get("valid_at") or doc["updated_at"]) \
            if doc and doc.get("valid_yaml") else None
        if last_valid is None and draft is not None and draft.based_on is not None:
            stored = self.admin_store.version(matter_id, draft.based_on)
            last_valid = (stored["yaml"], stored["published_at"]) if stored else None
        page = editor_page(matter_id, text, draft, self.versions(user, matter_id),
                           self.catalog.departments, last_valid)
        if draft is None:
            return page
        person = self.store.get_user_by_name(draft.updated_by)
        return replace(page, draft_by=(person or {}).get("display_name") or draft.updated_by)

    def edit_draft(self, user: User, matter_id: str, op: str,
                   fields: Mapping[str, Sequence[str]]) -> Draft | None:
        """One guided edit (``op`` with the posted ``fields``), written into the draft's
        text as the smallest change; the first change starts the draft from the version
        in use. None when the edit changes nothing and there is no draft."""
        self._authorise(user)
        with self._lock:
            doc = self.admin_store.draft(matter_id)
            text = doc["yaml"] if doc else self._published_text(matter_id)
            changed, words = apply_edit(text, op, fields)
            if changed == text and doc is None:
                return None
            self._check_text(changed)
            return self._put_draft(user, matter_id, changed, "draft.edit", {"edit": words})

    def _published_text(self, matter_id: str) -> str:
        self._check_id(matter_id, "/matter", "事项")
        specs = self._versions_of(matter_id)
        doc = self.admin_store.version(matter_id, specs[-1].version) if specs else None
        if doc is None:
            raise NotFound(f"没有事项“{matter_id}”")
        return str(doc["yaml"])

    def diff(self, user: User, matter_id: str, old: str, new: str) -> list[Change]:
        """The readable changes from ``old`` to ``new`` (each ``draft`` or a version number)."""
        texts = []
        for which in (old, new):
            if which == DRAFT:
                texts.append(self.export_draft(user, matter_id))
            elif which.isdigit():
                texts.append(self.export_version(user, matter_id, int(which)))
            else:
                raise Invalid("请选择要比较的版本", [{"pointer": "/version",
                                                "message": f"“{which}”不是版本号"}])
        return changes_between(texts[0], texts[1], self.catalog.departments)

    def bpmn(self, user: User, matter_id: str, version: int | None = None) -> tuple[str, str]:
        """A published version (the one in use by default) as BPMN 2.0: (file name, XML)."""
        self._authorise(user)
        specs = {s.version: s for s in self._versions_of(matter_id)}
        if not specs:
            raise NotFound(f"事项“{matter_id}”尚未发布")
        spec = specs.get(version if version is not None else max(specs))
        if spec is None:
            raise NotFound(f"事项“{matter_id}”没有第 {version} 版")
        return f"{matter_id}-v{spec.version}.bpmn", bpmn_of(spec, self.catalog.departments)

    # -- drafts ------------------------------------------------------------------------

    def save_draft(self, user: User, matter_id: str, text: str) -> Draft:
        """Save any text as the matter's draft; it need not be valid yet."""
        self._authorise(user)
        self._check_id(matter_id, "/matter", "事项")
        self._check_text(text)
        with self._lock:
            return self._put_draft(user, matter_id, text, "draft.save")

    def import_draft(self, user: User, matter_id: str, text: str) -> Draft:
        """Take YAML text as the draft only if it has no error; otherwise report every
        error and change nothing (the existing draft stays)."""
        self._authorise(user)
        self._check_id(matter_id, "/matter", "事项")
        self._check_text(text)
        checked = check_matter(text, matter_id, self.catalog.departments,
                               kinds=self.catalog.certificates)
        if checked.errors:
            raise Invalid(f"导入的 YAML 有 {len(checked.errors)} 处错误，未导入",
                          details(checked.errors))
        with self._lock:
            return self._put_draft(user, matter_id, text, "draft.import")

    def discard_draft(self, user: User, matter_id: str) -> None:
        """Throw the draft away; published versions are untouched."""
        self._authorise(user)
        with self._lock, self.admin_store.batch():
            if not self.admin_store.delete_draft(matter_id):
                raise NotFound(f"事项“{matter_id}”没有草稿")
            self.admin_store.append_audit(self._entry(user.name, "draft.discard", matter_id))

    def create_matter(self, user: User, matter_id: str, name: str, *,
                      lead: str | None = None) -> Draft:
        """A new matter's draft: the smallest valid matter, one step by the lead department."""
        self._authorise(user)
        self._check_id(matter_id, "/matter", "事项")
        name = self._check_name(name, "/name", "事项")
        lead = lead or next(iter(self.catalog.departments), "")
        if lead not in self.catalog.departments:
            raise Invalid("牵头部门不存在", [{"pointer": "/lead", "message": f"未知部门：{lead}"}])
        with self._lock:
            self._check_new(matter_id)
            text = _SKELETON.format(id=matter_id, name=scalar(name), lead=lead, version=1)
            return self._put_draft(user, matter_id, text, "draft.create", {"lead": lead})

    def copy_matter(self, user: User, source_id: str, matter_id: str, name: str, *,
                    version: int | None = None) -> Draft:
        """A new matter's draft copied from a published version of another (new id and name)."""
        text = self.export_version(user, source_id, version)
        self._check_id(matter_id, "/matter", "事项")
        name = self._check_name(name, "/name", "事项")
        source_version = declared_version(text)
        with self._lock:
            self._check_new(matter_id)
            for key, value in (("id", matter_id), ("name", name), ("version", 1)):
                text = set_top_scalar(text, key, value)
            return self._put_draft(user, matter_id, text, "draft.copy",
                                   {"from": source_id, "version": source_version})

    def _check_text(self, text: str) -> None:
        if not isinstance(text, str) or len(text) > MAX_DRAFT_CHARS:
            raise Invalid("草稿过大", [{"pointer": "/yaml",
                                       "message": f"草稿不能超过 {MAX_DRAFT_CHARS} 个字符"}])

    def _check_new(self, matter_id: str) -> None:
        if self._versions_of(matter_id) or self.admin_store.draft(matter_id) is not None:
            raise Conflict(f"事项编号“{matter_id}”已存在",
                           [{"pointer": "/matter", "message": "事项编号已被使用"}])

    def _put_draft(self, user: User, matter_id: str, text: str, action: str,
                   detail: dict[str, object] | None = None) -> Draft:
        old = self.admin_store.draft(matter_id)
        specs = self._versions_of(matter_id)
        based_on = old.get("based_on") if old else (specs[-1].version if specs else None)
        now = self.clock().isoformat()
        doc = {"matter": matter_id, "yaml": text, "updated_at": now,
               "updated_by": user.name, "based_on": based_on}
        # The last text without an error: the editor shows its plan while this one has one.
        if check_matter(text, matter_id, self.catalog.departments,
                        kinds=self.catalog.certificates).spec is not None:
            doc.update(valid_yaml=text, valid_at=now)
        elif old and old.get("valid_yaml"):
            doc.update(valid_yaml=old["valid_yaml"], valid_at=old.get("valid_at"))
        with self.admin_store.batch():
            self.admin_store.put_draft(doc)
            self.admin_store.append_audit(self._entry(user.name, action, matter_id, detail))
        return Draft.from_doc(doc)

    # -- publishing --------------------------------------------------------------------

    def publish(self, user: User, matter_id: str) -> Version:
        """Check the draft; with no error, publish it as the next version (see module doc)."""
        self._authorise(user)
        with self._lock:
            draft = self.draft(user, matter_id)
            departments = self.catalog.departments
            checked = check_matter(draft.yaml, matter_id, departments)
            if checked.errors:
                raise Invalid(f"草稿有 {len(checked.errors)} 处错误，不能发布",
                              details(checked.errors))
            version = self._next_version(matter_id)
            text = stamp_version(draft.yaml, version)
            final = check_matter(text, matter_id, departments)
            if final.spec is None:  # the stamp cannot break a valid draft; never publish blind
                raise Invalid("加上版本号后草稿无法通过检查", details(final.errors))
            self._check_catalog_file(matter_id)
            doc = version_doc(matter_id, version, text, self.clock(), user.name)
            # Files first: a crash before the store write leaves a version the next
            # start-up records (as published by "catalog"), never a record without files.
            self._write_files(matter_id, version, text)
            try:
                with self.admin_store.batch():
                    self.admin_store.add_version(doc)
                    self.admin_store.delete_draft(matter_id)
                    self.admin_store.append_audit(self._entry(
                        user.name, "matter.publish", matter_id,
                        {"version": version, "checksum": doc["checksum"],
                         "warnings": len(final.problems)}))
            except BaseException:
                self._unwrite_files(matter_id, version)
                raise
            self._specs[(matter_id, version)] = final.spec
            self.matters.add(final.spec)
            self._swap(matters={**self.catalog.matters, matter_id: final.spec})
            return Version(matter_id, version, doc["published_at"], user.name, doc["checksum"])

    def follow_published(self) -> int:
        """Register the versions another process published since we looked (PostgreSQL:
        every process serves them within ``follow_seconds``); return how many."""
        new = [key for key in self.admin_store.version_keys()
               if key not in self._specs and key not in self._unusable]
        if not new:
            return 0
        with self._lock:
            added = 0
            for matter_id, version in new:
                doc = self.admin_store.version(matter_id, version)
                checked = (check_matter(doc["yaml"], matter_id, self.catalog.departments,
                                        kinds=self.catalog.certificates)
                           if doc else None)
                if checked is None or checked.spec is None:
                    # Another process's departments may differ until our restart.
                    log.warning("version %s of matter %s does not check here; not served",
                                version, matter_id)
                    self._unusable.add((matter_id, version))
                    continue
                self._specs[(matter_id, version)] = checked.spec
                self.matters.add(checked.spec)
                added += 1
                if self.matters.current(matter_id) is checked.spec:
                    self._swap(matters={**self.catalog.matters, matter_id: checked.spec})
            return added

    def _next_version(self, matter_id: str) -> int:
        known = [s.version for s in self._versions_of(matter_id)]
        known += [d["version"] for d in self.admin_store.versions(matter_id)]
        known += [v for m, v, _ in archives(self.root) if m == matter_id]
        path = matter_file(self.root, matter_id)
        if path.is_file():
            known.append(declared_version(read_text(path)) or 0)
        return max(known, default=0) + 1

    def _check_catalog_file(self, matter_id: str) -> None:
        """Refuse to overwrite a matter file edited by hand while the service runs."""
        path = matter_file(self.root, matter_id)
        if not path.is_file():
            return
        text = read_text(path)
        version = declared_version(text)
        doc = self.admin_store.version(matter_id, version) if version else None
        if doc is None or not same_content(doc["yaml"], text):
            raise Conflict(f"事项文件 {path.name} 在服务运行期间被手工修改过；"
                           "请先重启服务载入修改（或撤销修改），再发布")

    def _write_files(self, matter_id: str, version: int, text: str) -> None:
        for doc in self.admin_store.versions(matter_id):  # e.g. v1 shipped without a copy
            path = archive_file(self.root, matter_id, doc["version"])
            if not path.is_file():
                write_text(path, doc["yaml"])
        write_text(archive_file(self.root, matter_id, version), text)
        write_text(matter_file(self.root, matter_id), text)

    def _unwrite_files(self, matter_id: str, version: int) -> None:
        """Put the catalog folder back as it was when a publish could not be recorded."""
        before = self.admin_store.versions(matter_id)
        if before:
            write_text(matter_file(self.root, matter_id), before[-1]["yaml"])
        else:
            matter_file(self.root, matter_id).unlink(missing_ok=True)
        archive_file(self.root, matter_id, version).unlink(missing_ok=True)


def _draft_name(draft: Draft | None) -> str:
    try:
        doc = yaml.safe_load(draft.yaml) if draft else None
    except yaml.YAMLError:
        doc = None
    name = doc.get("name") if isinstance(doc, dict) else None
    return name if isinstance(name, str) else (draft.matter if draft else "")
