"""Demo users for a first start with ``--demo``: one per role and department."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from runtime.services.container import Services

CREDENTIALS_FILE = "demo-users.txt"


OFFICERS = ("周敏", "吴磊", "郑洁", "孙涛", "钱静", "冯伟", "陈晨", "褚红", "卫东", "蒋丽",
            "沈阳", "韩梅", "杨帆", "朱琳", "秦岭", "尤佳", "许诺", "何平", "吕方", "施雯")
"""The demo departments' officers, in catalog order."""


def create_demo_users(services: Services) -> list[tuple[str, str, str]] | None:
    """Create the demo users unless users exist; returns (name, role label, password)."""
    if services.store.list_users():
        return None
    accounts = services.accounts
    made: list[tuple[str, str, str]] = []

    def add(name: str, role: str, display: str, department: str | None = None,
            label: str | None = None, **extra: Any) -> None:
        password = secrets.token_urlsafe(9)
        accounts.create_user(name, password, role, department=department, display_name=display,
                             **extra)
        made.append((name, label or display, password))

    add("applicant", "applicant", "张三")
    add("window", "window", "李四")
    # Officers get a person's name: pages already add the department after it.
    for k, dept in enumerate(services.catalog.departments.values()):
        person = OFFICERS[k] if k < len(OFFICERS) else f"审批员{k + 1}"
        add(f"dept-{dept.id}", "department", person, dept.id,
            label=f"{person}（{dept.name} 审批员）")
    # 全程代办: a village point whose cases the town point forwards (转报)
    add("agent-village", "agent", "刘代办",
        service_point={"name": "青禾村代办点", "level": "village", "town": "青禾镇代办点"})
    add("agent-town", "agent", "陈代办",
        service_point={"name": "青禾镇代办点", "level": "town"})
    add("supervisor", "supervisor", "王五")
    add("admin", "admin", "赵六")
    _save(services.settings.data_path / CREDENTIALS_FILE, made)
    return made


def _save(path: Path, made: list[tuple[str, str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("# onewindow demo users (delete this file once you have noted them)\n")
        for name, display, password in made:
            out.write(f"{name}\t{password}\t{display}\n")


def format_users(made: list[tuple[str, str, str]]) -> str:
    """The table printed once on first start."""
    width = max(len(n) for n, _, _ in made)
    lines = ["Demo users (also saved in DATA_DIR/demo-users.txt, readable only by you):"]
    lines += [f"  {name.ljust(width)}  {password}  {display}" for name, display, password in made]
    return "\n".join(lines)
