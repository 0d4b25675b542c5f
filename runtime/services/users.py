"""User management (中心管理员): list, create with a one-time password, change, deactivate,
reset; and the window's account for a walk-in visitor."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runtime.services.accounts import ROLE_NAMES, Accounts, TokenInfo, User
from runtime.services.agency import check_point
from runtime.services.errors import Forbidden, Invalid, NotFound
from runtime.services.passwords import one_time_password
from runtime.store import Store

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{1,60}$")
PHONE = re.compile(r"^[0-9+][0-9 -]{4,19}$")
EDITABLE = ("role", "department", "display_name", "email", "phone", "active", "duties",
            "service_point")
DUTIES = {"cashier": "收费窗口"}
"""Duties a window clerk may hold besides the role."""


@dataclass(frozen=True)
class Account:
    """A user as the administrator sees them: titles, not ids, beside the raw values."""

    id: str
    name: str
    display_name: str
    role: str
    role_name: str
    department: str | None
    department_name: str
    email: str
    phone: str
    active: bool
    must_change_password: bool
    created_at: str
    service_point: Mapping[str, str] | None = None  # an agent's 代办点

    def to_json(self) -> dict[str, Any]:
        """The API's user object (CONTRACT.md), an agent's service point too."""
        out: dict[str, Any] = {"id": self.id, "name": self.name,
               "display_name": self.display_name,
               "role": self.role, "department": self.department, "email": self.email,
               "phone": self.phone, "active": self.active}
        if self.service_point:
            out["service_point"] = dict(self.service_point)
        return out


class Users:
    """The administrator's use cases about users; every method checks the actor."""

    def __init__(self, store: Store, accounts: Accounts) -> None:
        self.store = store
        self.accounts = accounts

    def _account(self, doc: Mapping[str, Any]) -> Account:
        department = doc.get("department")
        dept = self.accounts.departments.get(department) if department else None
        return Account(doc["id"], doc["name"], doc.get("display_name") or doc["name"],
                       doc["role"], ROLE_NAMES.get(doc["role"], doc["role"]), department,
                       getattr(dept, "name", department or ""), doc.get("email") or "",
                       doc.get("phone") or "", bool(doc.get("active", True)),
                       bool(doc.get("must_change_password", False)),
                       doc.get("created_at") or "", doc.get("service_point") or None)

    @staticmethod
    def _admin(actor: User) -> None:
        if actor.role != "admin":
            raise Forbidden("只有中心管理员可以管理用户")

    def _doc(self, user_id: str) -> dict[str, Any]:
        doc = self.store.get_user(user_id)
        if doc is None:
            raise NotFound("没有这个用户")
        return doc

    def list_users(self, actor: User) -> list[Account]:
        """Every user, by name."""
        self._admin(actor)
        return [self._account(d) for d in self.store.list_users()]

    def get(self, actor: User, user_id: str) -> Account:
        """One user."""
        self._admin(actor)
        return self._account(self._doc(user_id))

    def create(self, actor: User, name: str, role: str, *, department: str | None = None,
               display_name: str = "", email: str = "", phone: str = "",
               password: str | None = None) -> tuple[Account, str | None]:
        """A new user; without ``password``, a one-time one (returned), changed at first
        sign-in."""
        self._admin(actor)
        _check_contact(email, phone)
        one_time = one_time_password() if password is None else None
        user = self.accounts.create_user(
            name, password if password is not None else one_time or "", role,
            department=department or None, display_name=display_name, email=email,
            phone=phone, must_change_password=one_time is not None)
        return self.get(actor, user.id), one_time

    def update(self, actor: User, user_id: str, changes: Mapping[str, Any]) -> Account:
        """Change role, department, names, contact or ``active``; deactivating ends that
        user's sessions and revokes their tokens at once."""
        self._admin(actor)
        doc = self._doc(user_id)
        unknown = [k for k in changes if k not in EDITABLE]
        if unknown:
            raise Invalid("不支持的修改", [{"pointer": f"/{k}", "message": "不支持的字段"}
                                         for k in unknown])
        new = {**doc, **{k: v for k, v in changes.items()}}
        if "role" in changes and new["role"] != "department" and "department" not in changes:
            new["department"] = None
        new["department"] = new.get("department") or None
        details = self.accounts.check_profile(new["role"], new["department"])
        if changes.get("service_point") is not None:
            try:
                new["service_point"] = check_point(changes["service_point"], new["role"])
            except Invalid as exc:
                details += exc.details
        elif new["role"] != "agent" or "service_point" in changes:
            new.pop("service_point", None)
        if user_id == actor.id and (new["role"] != "admin" or not new.get("active", True)):
            details.append({"pointer": "/active" if not new.get("active", True) else "/role",
                            "message": "不能停用自己的账号或取消自己的管理员角色"})
        duties = new.get("duties") or []
        if not isinstance(duties, list) or any(d not in DUTIES for d in duties):
            details.append({"pointer": "/duties", "message":
                            "可选职责：" + "、".join(f"{k}（{v}）" for k, v in DUTIES.items())})
        elif duties and new["role"] != "window":
            details.append({"pointer": "/duties", "message": "只有窗口人员可以担任收费窗口"})
        if not str(new.get("display_name") or "").strip():
            details.append({"pointer": "/display_name", "message": "请填写姓名"})
        try:
            _check_contact(str(new.get("email") or ""), str(new.get("phone") or ""))
        except Invalid as exc:
            details += exc.details
        if details:
            raise Invalid("用户信息有误", details)
        new["active"] = bool(new.get("active", True))
        with self.store.write() as tx:
            tx.put_user(new)
        if not new["active"]:
            self.accounts.end_sessions(user_id)
            self.accounts.revoke_tokens(user_id)
        return self._account(new)

    def reset_password(self, actor: User, user_id: str) -> str:
        """A new one-time password (returned, to hand over); the user's sessions end."""
        self._admin(actor)
        self._doc(user_id)
        password = one_time_password()
        self.accounts.set_password(user_id, password, must_change=True)
        return password

    def tokens(self, actor: User, user_id: str) -> list[TokenInfo]:
        """A user's API tokens with their last use."""
        self._admin(actor)
        self._doc(user_id)
        return self.accounts.tokens_of(user_id)

    def revoke_token(self, actor: User, user_id: str, token_id: str) -> TokenInfo:
        """Revoke one of a user's tokens."""
        self._admin(actor)
        return self.accounts.revoke_token(token_id, user_id=user_id)

    def open_for_visitor(self, clerk: User, display_name: str, phone: str,
                         id_number: str) -> tuple[User, str]:
        """The window opens an applicant account for a walk-in visitor: named ``v<mobile>``
        where free; a one-time password to change at first sign-in."""
        if clerk.role != "window":
            raise Forbidden("只有综合窗口可以为来访申请人开户")
        details = []
        if not display_name.strip():
            details.append({"pointer": "/display_name", "message": "请填写申请人姓名或单位名称"})
        if not re.fullmatch(r"1[3-9][0-9]{9}", phone):
            details.append({"pointer": "/phone", "message": "请填写 11 位手机号码，如 13812345678"})
        if not id_number.strip():
            details.append({"pointer": "/id_number", "message": "请填写证件号码"})
        if details:
            raise Invalid("申请人信息有误", details)
        name = "v" + phone
        while self.store.get_user_by_name(name) is not None:
            name = f"v{phone}-{secrets.token_hex(2)}"
        password = one_time_password()
        user = self.accounts.create_user(
            name, password, "applicant", display_name=display_name.strip(), phone=phone,
            must_change_password=True, id_number=id_number.strip(), opened_by=clerk.id)
        return user, password


def _check_contact(email: str, phone: str) -> None:
    details = []
    if email and not EMAIL.match(email):
        details.append({"pointer": "/email", "message": "电子邮箱格式应如 name@example.cn"})
    if phone and not PHONE.match(phone):
        details.append({"pointer": "/phone",
                        "message": "电话号码只能含数字、空格、+ 和 -，5–20 位"})
    if details:
        raise Invalid("联系方式有误", details)
