"""Accounts: users and roles, sign-in with rate limits, sessions, API tokens, registration.

Sessions, tokens and failure counters live in the store, so revoking a session or a
token, or a limit reached, holds for every process serving the data set.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from runtime.engine.states import Role
from runtime.engine.vocabulary import ROLE_LABELS
from runtime.services.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotAuthenticated,
    NotFound,
    TooManyAttempts,
)
from runtime.services.limits import Limiter
from runtime.services.passwords import (
    MAX_PASSWORD,
    dummy_verify,
    hash_password,
    password_problem,
    verify_password,
)
from runtime.store import Store

ROLES = tuple(str(r) for r in Role if r != Role.SYSTEM)
ROLE_NAMES = {r: ROLE_LABELS[r] for r in ROLES}  # the one label table (engine/vocabulary)
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{2,63}$")
NAME_RULE = "用户名须为 3–64 位字母、数字或 _ . @ -，以字母或数字开头"
#: Names self-registration never hands out (they look like staff or system accounts).
RESERVED = re.compile(r"^(admin.*|root|system|supervisor.*|window.*|dept-.*|staff.*|"
                      r"onewindow.*|operator.*|manager.*|test)$", re.IGNORECASE)
LOGIN_WINDOW = 15 * 60
#: Failed sign-ins one address may make across all names: this many times the per-name limit.
ADDRESS_FACTOR = 3
REGISTER_LIMIT, REGISTER_WINDOW = 10, 3600
#: Live sessions kept per user; the oldest are ended beyond this.
MAX_SESSIONS = 10
#: A token's "last used" is written at most this often (a write per request would not scale).
TOUCH_SECONDS = 60
NOT_AVAILABLE = "该用户名无法注册，请换一个用户名"

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class User:
    """A signed-in person (or API client) as the services see them."""

    id: str
    name: str
    role: str
    department: str | None
    display_name: str
    must_change_password: bool = False
    duties: tuple[str, ...] = ()
    """Extra duties within the role: ``cashier`` (收费窗口) for window staff."""
    id_number: str = ""
    """An applicant's ID number or credit code: they read cases agents carry for them."""
    point: tuple[str, str, str] = ("", "", "")
    """An agent's service point (代办点): name, level (village/town/county), its town."""

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> User:
        """From a stored user document."""
        point = doc.get("service_point")
        point = point if isinstance(point, Mapping) else {}
        return cls(doc["id"], doc["name"], doc["role"], doc.get("department"),
                   doc.get("display_name") or doc["name"],
                   bool(doc.get("must_change_password", False)),
                   tuple(doc.get("duties") or ()),
                   "".join(str(doc.get("id_number") or "").split()).upper(),
                   (str(point.get("name") or ""), str(point.get("level") or ""),
                    str(point.get("town") or "")))

    @property
    def role_name(self) -> str:
        """The role in Chinese."""
        return ROLE_NAMES.get(self.role, self.role)


@dataclass(frozen=True)
class TokenInfo:
    """An API token as people see it: a short id (never the token), when made and last used."""

    id: str
    user_id: str
    created_at: str
    last_used_at: str


def token_hash(token: str) -> str:
    """What the store keeps of an API token: its SHA-256, never the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _token_info(doc: Mapping[str, Any]) -> TokenInfo:
    return TokenInfo("t_" + doc["token_hash"][:12], doc["user"], doc.get("created_at") or "",
                     doc.get("last_used_at") or "")


def _not_available() -> Invalid:
    return Invalid(NOT_AVAILABLE, [{"pointer": "/name", "message": NOT_AVAILABLE}])


class Accounts:
    """Use cases about users; the only code that writes user, session and token records."""

    def __init__(self, store: Store, departments: Mapping[str, Any], attempts: int = 5,
                 now: Clock | None = None, *, session_hours: float = 8.0) -> None:
        self.store = store
        self.departments = departments
        self.attempts = attempts
        self.session_hours = session_hours
        self._now = now or (lambda: datetime.now().astimezone())
        self.limiter = Limiter(store, lambda: self._now().timestamp())
        self.outside: dict[str, str] = {}
        """Names of actors that are no users here: peer centres (the exchange)."""

    def now(self) -> str:
        """The current time as stored (ISO 8601, seconds)."""
        return self._now().replace(microsecond=0).isoformat()

    # -- creating users ------------------------------------------------------

    def check_profile(self, role: str, department: str | None) -> list[dict[str, str]]:
        """Problems with a role and department pair, as ``{pointer, message}``."""
        details = []
        if role not in ROLES:
            names = "、".join(ROLE_NAMES.values())
            details.append({"pointer": "/role", "message": f"角色须为 {names} 之一"})
        if role == "department":
            if not department:
                details.append({"pointer": "/department", "message": "部门审批人员须指定部门"})
            elif department not in self.departments:
                details.append({"pointer": "/department", "message": f"未知部门：{department}"})
        elif department:
            details.append({"pointer": "/department", "message": "只有部门审批人员才能指定部门"})
        return details

    def _check_new(self, name: str, password: str, role: str, department: str | None) -> None:
        details = []
        if not NAME_PATTERN.match(name):
            details.append({"pointer": "/name", "message": NAME_RULE})
        problem = password_problem(password, name)
        if problem:
            details.append({"pointer": "/password", "message": problem})
        details += self.check_profile(role, department)
        if details:
            raise Invalid("账号信息有误", details)

    def create_user(self, name: str, password: str, role: str, *, department: str | None = None,
                    display_name: str = "", phone: str = "", email: str = "",
                    id_number: str = "", must_change_password: bool = False,
                    **extra: Any) -> User:
        """Create a user with a hashed password (strength checked)."""
        self._check_new(name, password, role, department)
        if self.store.get_user_by_name(name) is not None:
            raise Conflict(f"用户名“{name}”已被使用", [{"pointer": "/name",
                                                  "message": "用户名已被使用"}])
        doc = {"id": "u_" + uuid.uuid4().hex[:12], "name": name, "role": role,
               "department": department, "display_name": display_name or name,
               "phone": phone, "email": email, "password_hash": hash_password(password),
               "active": True, "must_change_password": must_change_password,
               "created_at": self.now(), **extra}
        if id_number:
            doc["id_number"] = id_number
        with self.store.write() as tx:
            tx.put_user(doc)
        return User.from_doc(doc)

    def register(self, name: str, password: str, display_name: str, phone: str = "",
                 address: str = "") -> User:
        """Self-registration, always an applicant; rate-limited per address.

        A taken or reserved name gets the same answer, after the same work, as the
        other: registration does not tell who has an account.
        """
        if address:  # a person registering on the web (the window's walk-in gives none)
            key = f"register|{address}"
            wait = self.limiter.wait(key, REGISTER_LIMIT, REGISTER_WINDOW)
            if wait:
                raise TooManyAttempts(f"注册过于频繁，请 {wait // 60 + 1} 分钟后再试")
            self.limiter.hit(key)
        self._check_new(name, password, "applicant", None)
        if RESERVED.match(name) or self.store.get_user_by_name(name) is not None:
            hash_password(password)  # as long as creating the account would take
            raise _not_available()
        return self.create_user(name, password, "applicant", display_name=display_name,
                                phone=phone)

    # -- signing in ----------------------------------------------------------

    def authenticate(self, name: str, password: str, address: str = "") -> User:
        """The user for a correct name and password.

        Failures are counted per name and address, and per address across names.
        """
        keys = (f"login|{name.lower()}|{address}", f"login-from|{address}")
        limits = (self.attempts, self.attempts * ADDRESS_FACTOR)
        wait = max(self.limiter.wait(k, n, LOGIN_WINDOW) for k, n in zip(keys, limits,
                                                                          strict=True))
        if wait:
            raise TooManyAttempts(f"登录失败次数过多，请 {wait // 60 + 1} 分钟后再试")
        doc = self.store.get_user_by_name(name) if len(name) <= 64 else None
        if doc is None or len(password) > MAX_PASSWORD:
            dummy_verify()
        if doc is None or not doc.get("active", True) or not verify_password(
                password, doc["password_hash"]):
            for key in keys:
                self.limiter.hit(key)
            raise NotAuthenticated("用户名或密码不正确")
        self.limiter.clear(keys[0])
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

    # -- sessions ------------------------------------------------------------

    def start_session(self, user: User, address: str = "") -> str:
        """Record a new sign-in session; returns its id (for the signed cookie)."""
        now = self._now()
        session_id = secrets.token_urlsafe(24)
        live = [s for s in self.store.list_sessions(user.id) if s["expires_at"] > now.isoformat()]
        ended = [s["id"] for s in self.store.list_sessions(user.id) if s not in live]
        ended += [s["id"] for s in live[:max(0, len(live) - MAX_SESSIONS + 1)]]
        with self.store.write() as tx:
            for old in ended:
                tx.delete_session(old)
            tx.put_session({"id": session_id, "user": user.id, "address": address,
                            "created_at": now.replace(microsecond=0).isoformat(),
                            "expires_at": (now + timedelta(hours=self.session_hours))
                            .replace(microsecond=0).isoformat()})
        return session_id

    def session_user(self, session_id: str) -> User | None:
        """The user of a live session (None: ended, expired, or the user disabled)."""
        session = self.store.get_session(session_id)
        if session is None or session["expires_at"] <= self._now().isoformat():
            return None
        return self.get(session["user"])

    def end_session(self, session_id: str) -> None:
        """End one session (sign-out)."""
        if self.store.get_session(session_id) is not None:
            with self.store.write() as tx:
                tx.delete_session(session_id)

    def end_sessions(self, user_id: str, *, keep: str | None = None) -> int:
        """End every session of a user but ``keep``; returns how many ended."""
        ended = [s["id"] for s in self.store.list_sessions(user_id) if s["id"] != keep]
        if ended:
            with self.store.write() as tx:
                for session_id in ended:
                    tx.delete_session(session_id)
        return len(ended)

    # -- passwords -----------------------------------------------------------

    def change_password(self, user: User, old: str, new: str, *,
                        session_id: str | None = None) -> None:
        """The caller changes their own password; their other sessions end."""
        key = f"password|{user.id}"
        wait = self.limiter.wait(key, self.attempts, LOGIN_WINDOW)
        if wait:
            raise TooManyAttempts(f"原密码错误次数过多，请 {wait // 60 + 1} 分钟后再试")
        doc = self.store.get_user(user.id)
        if doc is None or not doc.get("active", True):
            raise NotAuthenticated("请先登录")
        if not verify_password(old, doc["password_hash"]):
            self.limiter.hit(key)
            raise Invalid("原密码不正确", [{"pointer": "/old", "message": "原密码不正确"}])
        problem = password_problem(new, doc["name"])
        if problem is None and new == old:
            problem = "新密码不能与原密码相同"
        if problem:
            raise Invalid(problem, [{"pointer": "/new", "message": problem}])
        self.limiter.clear(key)
        self.set_password(user.id, new, must_change=False, keep_session=session_id)

    def set_password(self, user_id: str, password: str, *, must_change: bool,
                     keep_session: str | None = None) -> None:
        """Store a new password hash; every session but ``keep_session`` ends."""
        doc = self.store.get_user(user_id)
        if doc is None:
            raise NotFound("没有这个用户")
        doc.update(password_hash=hash_password(password), must_change_password=must_change)
        ended = [s["id"] for s in self.store.list_sessions(user_id) if s["id"] != keep_session]
        with self.store.write() as tx:
            tx.put_user(doc)
            for session_id in ended:
                tx.delete_session(session_id)

    # -- API tokens ----------------------------------------------------------

    def create_token(self, name: str) -> str:
        """A new API token for the named user; only its hash is stored."""
        doc = self.store.get_user_by_name(name)
        if doc is None:
            raise NotFound(f"没有用户“{name}”")
        if not doc.get("active", True):
            raise Forbidden(f"用户“{name}”已停用，不能创建令牌")
        token = "ow_" + secrets.token_urlsafe(32)
        with self.store.write() as tx:
            tx.put_token(token_hash(token), doc["id"], {"created_at": self.now()})
        return token

    def user_for_token(self, token: str) -> User | None:
        """The user a bearer token belongs to (None: unknown, revoked or user disabled)."""
        if len(token) > 200:
            return None
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
            return self.outside.get(user_id, user_id)
        name = str(doc.get("display_name") or doc["name"])
        department = doc.get("department")
        if department and department in self.departments:
            return f"{name}（{self.departments[department].name}）"
        return name

    def token_use_stale(self, token: str) -> bool:
        """Whether the token's "last used" is older than a minute (then `note_token_use`)."""
        row = self.store.get_token(token_hash(token))
        if row is None:
            return False
        last = row.get("last_used_at") or ""
        limit = self._now() - timedelta(seconds=TOUCH_SECONDS)
        return not last or last < limit.replace(microsecond=0).isoformat()

    def note_token_use(self, token: str) -> None:
        """Record that the token was used now (a durable write: call off the event loop)."""
        row = self.store.get_token(token_hash(token))
        if row is not None:
            with self.store.write() as tx:
                tx.put_token(row["token_hash"], row["user"], {**row, "last_used_at": self.now()})

    def tokens_of(self, user_id: str) -> list[TokenInfo]:
        """A user's tokens (ids, creation, last use), oldest first."""
        return [_token_info(t) for t in self.store.list_tokens(user_id)]

    def revoke_token(self, ref: str, *, user_id: str | None = None) -> TokenInfo:
        """Revoke a token given by its id (``t_…``) or the token itself (``ow_…``)."""
        rows = []
        if ref.startswith("ow_"):
            row = self.store.get_token(token_hash(ref))
            rows = [row] if row is not None else []
        elif ref.startswith("t_") and len(ref) == 14:
            owners = [user_id] if user_id else [u["id"] for u in self.store.list_users()]
            rows = [t for owner in owners for t in self.store.list_tokens(owner)
                    if "t_" + t["token_hash"][:12] == ref]
        if user_id is not None:
            rows = [r for r in rows if r["user"] == user_id]
        if len(rows) != 1:
            raise NotFound(f"没有令牌“{ref[:20]}”")
        with self.store.write() as tx:
            tx.delete_token(rows[0]["token_hash"])
        return _token_info(rows[0])

    def revoke_tokens(self, user_id: str) -> int:
        """Revoke every token of a user; returns how many."""
        rows = self.store.list_tokens(user_id)
        if rows:
            with self.store.write() as tx:
                for row in rows:
                    tx.delete_token(row["token_hash"])
        return len(rows)

    def colleagues(self, department: str) -> list[User]:
        """Active users of a department (for transfers)."""
        return [User.from_doc(d) for d in self.store.list_users(department=department)
                if d.get("role") == "department"
                and d.get("active", True)]
