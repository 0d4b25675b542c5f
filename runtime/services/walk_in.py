"""Walk-in intake (窗口代录): the window opens an application for a visitor at the counter.

The visitor is found by their account, or gets one (name ``v<mobile>``) with a one-time
password to change at first sign-in; the case is the visitor's, entered by the clerk,
and the clerk may fill it in (every event names the clerk).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from stdnum.cn import ric

from runtime.engine.states import Role
from runtime.services.accounts import Accounts, User
from runtime.services.cases import Cases
from runtime.services.errors import Forbidden, Invalid
from runtime.services.users import Users

MOBILE = re.compile(r"^1[3-9][0-9]{9}$")


@dataclass(frozen=True)
class OneTimePassword:
    """A new visitor account and its password, shown once to the clerk."""

    account: str
    secret: str


class WalkIn:
    """The window's walk-in use case."""

    def __init__(self, cases: Cases, accounts: Accounts, users: Users) -> None:
        self.cases = cases
        self.accounts = accounts
        self.users = users

    def start(self, clerk: User, matter_id: str, *, account: str = "", display_name: str = "",
              phone: str = "", id_number: str = "",
              ) -> tuple[dict[str, Any], OneTimePassword | None]:
        """A draft for the visitor, its form defaults filled in."""
        if clerk.role != Role.WINDOW:
            raise Forbidden("只有综合窗口可以代录申请")
        details: list[dict[str, str]] = []
        if matter_id not in {m.id for m in self.cases.matters.published()}:
            details.append({"pointer": "/matter", "message": "请选择事项"})
        visitor: User | None = None
        created: OneTimePassword | None = None
        if account:
            visitor = self.accounts.find(account)
            if visitor is None or visitor.role != Role.APPLICANT:
                visitor = None
                details.append({"pointer": "/account", "message": "没有这个申请人账号"})
        else:
            details += _visitor_problems(display_name, phone, id_number)
        if details:
            raise Invalid("请按提示修改：" + "；".join(d["message"] for d in details), details)
        if visitor is None:
            visitor, created = self._open_account(clerk, display_name, phone,
                                                  ric.compact(id_number))
        case = self.cases.start(clerk, matter_id, applicant=visitor)
        return case, created

    def _open_account(self, clerk: User, display_name: str, phone: str,
                      id_number: str) -> tuple[User, OneTimePassword | None]:
        """The visitor's own account when they came before (same mobile and ID number);
        else a new one with a one-time password to change at first sign-in."""
        known = self.accounts.store.get_user_by_name("v" + phone)
        if known is not None and known.get("id_number") == id_number:
            found = self.accounts.get(known["id"])
            if found is not None:
                return found, None
        visitor, secret = self.users.open_for_visitor(clerk, display_name, phone, id_number)
        return visitor, OneTimePassword(visitor.name, secret)


def _visitor_problems(display_name: str, phone: str, id_number: str) -> list[dict[str, str]]:
    details = []
    if not display_name:
        details.append({"pointer": "/display_name", "message":
                        "请填写申请人已有账号，或填写姓名、手机号码和身份证号码为其开户"})
    if not MOBILE.match(phone):
        details.append({"pointer": "/phone", "message": "手机号码应为 11 位中国大陆手机号码"})
    if not ric.is_valid(id_number):
        details.append({"pointer": "/id_number", "message":
                        "居民身份证号码应为 18 位（末位可为 X），且校验码正确"})
    return details
