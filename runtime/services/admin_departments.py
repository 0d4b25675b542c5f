"""Departments (部门) as the administrator edits them: list, add, rename, delete.

Every change rewrites ``CATALOG/departments.yaml`` atomically (comments kept), is
audited, and reaches the running services at once through a new catalog.
"""

from __future__ import annotations

from dataclasses import dataclass

from builder.metaschema import check_document
from builder.source import load_source
from builder.spec import Department
from runtime.engine.vocabulary import OPEN_TASK
from runtime.services.accounts import User
from runtime.services.admin_base import AdminBase
from runtime.services.catalog_files import departments_file, read_text, write_text
from runtime.services.errors import Conflict, Invalid, NotFound
from runtime.services.publishing import details
from runtime.services.yaml_edit import edit_departments

#: A task that is, or will be, on a department's list.
OPEN_TASKS = OPEN_TASK


@dataclass(frozen=True)
class DepartmentUse:
    """A department and what still uses it (a used department cannot be deleted)."""

    id: str
    name: str
    users: int
    open_tasks: int
    matters: tuple[str, ...]  # matters with a published version that names it

    @property
    def in_use(self) -> bool:
        """True when deleting it would strand a user, a task or a published matter."""
        return bool(self.users or self.open_tasks or self.matters)


class DepartmentAdmin(AdminBase):
    """Department use cases of ``Admin``."""

    def departments(self, user: User) -> list[DepartmentUse]:
        """Every department in catalog order, with what uses it."""
        self._authorise(user)
        users: dict[str, int] = {}
        for doc in self.store.list_users():
            if doc.get("department"):
                users[doc["department"]] = users.get(doc["department"], 0) + 1
        return [self._use(dep, users.get(dep.id, 0)) for dep in self.catalog.departments.values()]

    def _use(self, dep: Department, users: int) -> DepartmentUse:
        tasks = self.store.count_tasks(department=dep.id, status=OPEN_TASKS)
        matters = sorted({s.id for s in self._specs.values() if dep.id == s.lead or
                          any(dep.id in step.departments for step in s.steps)})
        return DepartmentUse(dep.id, dep.name, users, tasks, tuple(matters))

    def add_department(self, user: User, dept_id: str, name: str) -> Department:
        """Add a department at the end of ``departments.yaml``."""
        self._authorise(user)
        self._check_id(dept_id, "/id", "部门")
        name = self._check_name(name, "/name", "部门")
        with self._lock:
            if dept_id in self.catalog.departments:
                raise Conflict(f"部门编号“{dept_id}”已存在",
                               [{"pointer": "/id", "message": "部门编号已被使用"}])
            dep = Department(dept_id, name)
            self._save([*self.catalog.departments.values(), dep], user, "department.add",
                       dept_id, {"name": name})
            return dep

    def rename_department(self, user: User, dept_id: str, name: str) -> Department:
        """Change a department's display name; its id (used by matters) stays."""
        self._authorise(user)
        name = self._check_name(name, "/name", "部门")
        with self._lock:
            old = self._department(dept_id)
            dep = Department(dept_id, name)
            if old.name != name:
                deps = [dep if d.id == dept_id else d for d in self.catalog.departments.values()]
                self._save(deps, user, "department.rename", dept_id,
                           {"from": old.name, "to": name})
            return dep

    def delete_department(self, user: User, dept_id: str) -> None:
        """Delete an unused department; refused (409) while anything still uses it."""
        self._authorise(user)
        with self._lock:
            old = self._department(dept_id)
            users = sum(1 for d in self.store.list_users() if d.get("department") == dept_id)
            use = self._use(old, users)
            reasons = []
            if use.users:
                reasons.append({"pointer": "/users",
                                "message": f"仍有 {use.users} 个账号属于该部门"})
            if use.open_tasks:
                reasons.append({"pointer": "/tasks",
                                "message": f"仍有 {use.open_tasks} 个未办结的任务由该部门办理"})
            if use.matters:
                reasons.append({"pointer": "/matters", "message": "已发布的事项仍使用该部门："
                                                                  + "、".join(use.matters)})
            if reasons:
                raise Conflict(f"部门“{old.name}”仍在使用，不能删除", reasons)
            deps = [d for d in self.catalog.departments.values() if d.id != dept_id]
            self._save(deps, user, "department.delete", dept_id, {"name": old.name})

    def _department(self, dept_id: str) -> Department:
        try:
            return self.catalog.departments[dept_id]
        except KeyError:
            raise NotFound(f"没有部门“{dept_id}”") from None

    def _save(self, deps: list[Department], user: User, action: str, subject: str,
              detail: dict[str, str]) -> None:
        path = departments_file(self.root)
        text = read_text(path)
        src, problems = load_source(text, str(path))
        on_disk = src.value.get("departments") if src is not None and \
            isinstance(src.value, dict) else None
        running = [{"id": d.id, "name": d.name} for d in self.catalog.departments.values()]
        if problems or on_disk != running:
            raise Conflict("departments.yaml 在服务运行期间被手工修改过；"
                           "请先重启服务载入修改，再在此编辑")
        new = edit_departments(text, [{"id": d.id, "name": d.name} for d in deps])
        src, problems = load_source(new, str(path))
        if src is not None:
            problems.extend(check_document(src, "departments"))
        if problems:
            raise Invalid("部门表不能这样修改", details(problems))
        write_text(path, new)
        self.admin_store.append_audit(self._entry(user.name, action, subject, detail))
        self._swap(departments={d.id: d for d in deps})
