"""Accounts: users and roles, sign-in with rate limiting, API tokens, registration."""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runtime.services.errors import Conflict, Invalid, NotAuthenticated, NotFound, TooManyAttempts
from runtime.services.passwords import dummy_verify, hash_password, verify_password
from runtime.store import Store

ROLES = ("applicant", "window", "department", "supervisor", "admin")
ROLE_NAMES = {"applicant": "申请人", "window": "综合窗口", "department": "部门审批人员",
              "supervisor": "电子监察", "admin": "中心管理员"}
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{2,63}$")
MIN_PASSWORD = 8
WINDOW_SECONDS = 15 * 60


@dataclass(frozen=True)
class User:
    """A signed-in person (or API client) as the services see them."""

    id: str
    name: str
    role: str
    department: str | None
    display_name: str

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> User:
        """From a stored user document."""
        return cls(doc["id"], doc["name"], doc["role"], doc.get("department"),
                   doc.get("display_name") or doc["name"])

    @property
    def role_name(self) -> str:
        """The role in Chinese."""
        return ROLE_NAMES.get(self.role, self.role)


def token_hash(token: str) -> str:
    """What the store keeps of an API token: its SHA-256, never the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class LoginLimiter:
    """Counts failed sign-ins per (name, address) in a sliding 15-minute window."""

    def __init__(self, attempts: int, clock: Any = time.monotonic) -> None:
        self.attempts = attempts
        self.clock = clock
        self._failures: dict[tuple[str, str], list[float]] = {}
        self._lock = threading.Lock()

    def check(self, key: tuple[str, str]) -> None:
        """Raise ``TooManyAttempts`` when this key has used up its attempts."""
        with self._lock:
            now = self.clock()
            recent = [t for t in self._failures.get(key, []) if now - t < WINDOW_SECONDS]
            self._failures[key] = recent
            if len(recent) >= self.attempts:
                wait = int(WINDOW_SECONDS - (now - recent[0])) // 60 + 1
                raise TooManyAttempts(f"登录失败次数过多，请 {wait} 分钟后再试")

    def failed(self, key: tuple[str, str]) -> None:
        """Record one failure."""
        with self._lock:
            self._failures.setdefault(key, []).append(self.clock())

    def succeeded(self, key: tuple[str, str]) -> None:
        """Forget the failures of this key."""
        with self._lock:
            self._failures.pop(key, None)


class Accounts:
    """Use cases about users; the only code that writes user documents."""

    def __init__(self, store: Store, departments: Mapping[str, Any], attempts: int = 5,
                 now: Any = None) -> None:
        self.store = store
        self.departments = departments
        self.limiter = LoginLimiter(attempts)
        self._now = now

    def _check_new(self, name: str, password: str, role: str, department: str | None) -> None:
        details = []
        if not NAME_PATTERN.match(name):
            details.append({"pointer": "/name",
                            "message": "用户名须为 3–64 位字母、数字或 _ . @ -，以字母或数字开头"})
        if len(password) < MIN_PASSWORD:
            details.append({"pointer": "/password", "message": f"密码至少 {MIN_PASSWORD} 位"})
        if role not in ROLES:
            details.append({"pointer": "/role", "message": f"角色须为 {', '.join(ROLES)} 之一"})
        if role == "department":
            if not department:
                details.append({"pointer": "/department", "message": "部门审批人员须指定部门"})
            elif department not in self.departments:
                details.append({"pointer": "/department", "message": f"未知部门：{department}"})
        elif department:
            details.append({"pointer": "/department", "message": "只有部门审批人员才能指定部门"})
        if details:
            raise Invalid("账号信息有误", details)
        if self.store.get_user_by_name(name) is not None:
            raise Conflict(f"用户名“{name}”已被使用", [{"pointer": "/name",
                                                  "message": "用户名已被使用"}])

    def create_user(self, name: str, password: str, role: str, *, department: str | None = None,
                    display_name: str = "", phone: str = "", id_number: str = "") -> User:
        """Create a user with a hashed password."""
        self._check_new(name, password, role, department)
        doc = {"id": "u_" + uuid.uuid4().hex[:12], "name": name, "role": role,
               "department": department, "display_name": display_name or name,
               "phone": phone, "password_hash": hash_password(password), "active": True}
        if id_number:
            doc["id_number"] = id_number
        with self.store.write() as tx:
            tx.put_user(doc)
        return User.from_doc(doc)

    def register(self, name: str, password: str, display_name: str, phone: str = "") -> User:
        """Self-registration: always an applicant."""
        return self.create_user(name, password, "applicant", display_name=display_name,
                                phone=phone)

    def authenticate(self, name: str, password: str, address: str = "") -> User:
        """The user for a correct name and password; rate-limited per name and address."""
        key = (name.lower(), address)
        self.limiter.check(key)
        doc = self.store.get_user_by_name(name)
        if doc is None:
            dummy_verify()
        if doc is None or not doc.get("active", True) or not verify_password(
                password, doc["password_hash"]):
            self.limiter.failed(key)
            raise NotAuthenticated("用户名或密码不正确")
        self.limiter.succeeded(key)
        return User.from_doc(doc)

    def get(self, user_id: str) -> User | None:
        """A user by id (None if unknown or disabled)."""
        doc = self.store.get_user(user_id)
        if doc is None or not doc.get("active", True):
            return None
        return User.from_doc(doc)

    def find(self, ref: str) -> User | None:
        """An active user by id or by name (None if unknown or disabled)."""
        doc = self.store.get_user(ref) or self.store.get_user_by_name(ref)
        if doc is None or not doc.get("active", True):
            return None
        return User.from_doc(doc)

    def create_token(self, name: str) -> str:
        """A new API token for the named user; only its hash is stored."""
        doc = self.store.get_user_by_name(name)
        if doc is None:
            raise NotFound(f"没有用户“{name}”")
        token = "ow_" + secrets.token_urlsafe(32)
        with self.store.write() as tx:
            tx.put_token(token_hash(token), doc["id"])
        return token

    def user_for_token(self, token: str) -> User | None:
        """The user a bearer token belongs to."""
        doc = self.store.user_for_token(token_hash(token))
        if doc is None or not doc.get("active", True):
            return None
        return User.from_doc(doc)

    def name_of(self, user_id: str) -> str:
        """How a user is named to people: display name, with the department for staff
        (系统 for the system; an unknown id as it is)."""
        if user_id == "system":
            return "系统"
        doc = self.store.get_user(user_id)
        if doc is None:
            return user_id
        name = str(doc.get("display_name") or doc["name"])
        department = doc.get("department")
        if department and department in self.departments:
            return f"{name}（{self.departments[department].name}）"
        return name

    def colleagues(self, department: str) -> list[User]:
        """Active users of a department (for transfers)."""
        return [User.from_doc(d) for d in self.store.list_users()
                if d.get("department") == department and d.get("role") == "department"
                and d.get("active", True)]
