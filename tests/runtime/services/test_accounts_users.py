"""User management: one-time passwords, changes, deactivation, resets, walk-in accounts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from runtime.services import LIFECYCLE
from runtime.services.accounts import Accounts, User
from runtime.services.errors import Conflict, Forbidden, Invalid, NotFound
from runtime.services.users import Users
from runtime.store import MemoryStore
from tests.runtime.services.test_accounts import DEPARTMENTS, GOOD, Clock

ADMIN = User("u_admin", "admin1", "admin", None, "管理员")
CLERK = User("u_clerk", "window1", "window", None, "窗口")


@pytest.fixture(autouse=True)
def cheap_passwords() -> None:
    """Real scrypt hashes: these tests sign in."""


@pytest.fixture
def accounts() -> Iterator[Accounts]:
    store = MemoryStore(lifecycle=LIFECYCLE)
    yield Accounts(store, DEPARTMENTS, now=Clock())
    store.close()


@pytest.fixture
def users(accounts: Accounts) -> Users:
    return Users(accounts.store, accounts)


def test_create_with_a_one_time_password_that_must_be_changed(
        users: Users, accounts: Accounts) -> None:
    account, one_time = users.create(ADMIN, "amr-li", "department", department="amr",
                                     display_name="李四")
    assert one_time and account.must_change_password
    assert (account.role_name, account.department_name) == ("部门审批人员", "市场监督管理局")
    assert account.to_json() == {"id": account.id, "name": "amr-li", "display_name": "李四",
                                 "role": "department", "department": "amr", "email": "",
                                 "phone": "", "active": True}
    user = accounts.authenticate("amr-li", one_time)
    assert user.must_change_password
    accounts.change_password(user, one_time, "Li-Si-Works-88")
    assert not accounts.authenticate("amr-li", "Li-Si-Works-88").must_change_password


def test_only_the_admin_manages_users(users: Users) -> None:
    with pytest.raises(Forbidden):
        users.create(CLERK, "someone", "window")
    with pytest.raises(Forbidden):
        users.list_users(CLERK)


def test_bad_input_is_located(users: Users) -> None:
    with pytest.raises(Invalid) as caught:
        users.create(ADMIN, "x", "department", email="not-mail")
    pointers = {d["pointer"] for d in caught.value.details}
    assert pointers == {"/email"}
    with pytest.raises(Invalid) as caught:
        users.create(ADMIN, "x", "department")
    assert {d["pointer"] for d in caught.value.details} == {"/name", "/department"}
    users.create(ADMIN, "taken", "window")
    with pytest.raises(Conflict):
        users.create(ADMIN, "taken", "window")


def test_change_role_and_department(users: Users) -> None:
    account, _ = users.create(ADMIN, "amr-li", "department", department="amr")
    moved = users.update(ADMIN, account.id, {"role": "window"})
    assert (moved.role, moved.department) == ("window", None)
    with pytest.raises(Invalid, match="用户信息有误") as caught:
        users.update(ADMIN, account.id, {"role": "department", "department": "nowhere"})
    assert caught.value.details == [{"pointer": "/department", "message": "未知部门：nowhere"}]
    with pytest.raises(Invalid):
        users.update(ADMIN, account.id, {"password_hash": "x"})


def test_deactivation_ends_sessions_and_tokens_at_once(users: Users,
                                                       accounts: Accounts) -> None:
    account, _ = users.create(ADMIN, "robot", "window", password=GOOD)
    user = accounts.authenticate("robot", GOOD)
    session = accounts.start_session(user)
    token = accounts.create_token("robot")
    users.update(ADMIN, account.id, {"active": False})
    assert accounts.session_user(session) is None and accounts.user_for_token(token) is None
    assert accounts.tokens_of(account.id) == []
    users.update(ADMIN, account.id, {"active": True})
    assert accounts.user_for_token(token) is None  # old credentials do not come back


def test_the_admin_cannot_lock_themselves_out(users: Users, accounts: Accounts) -> None:
    me, _ = users.create(ADMIN, "boss", "admin", password=GOOD)
    actor = accounts.authenticate("boss", GOOD)
    with pytest.raises(Invalid, match="用户信息有误"):
        users.update(actor, me.id, {"active": False})
    with pytest.raises(Invalid):
        users.update(actor, me.id, {"role": "window"})


def test_reset_gives_a_new_one_time_password_and_ends_sessions(users: Users,
                                                               accounts: Accounts) -> None:
    account, _ = users.create(ADMIN, "clerk2", "window", password=GOOD)
    session = accounts.start_session(accounts.authenticate("clerk2", GOOD))
    one_time = users.reset_password(ADMIN, account.id)
    assert accounts.session_user(session) is None
    assert accounts.authenticate("clerk2", one_time).must_change_password


def test_tokens_are_listed_and_revoked_per_user(users: Users, accounts: Accounts) -> None:
    account, _ = users.create(ADMIN, "robot", "window", password=GOOD)
    other, _ = users.create(ADMIN, "robot2", "window", password=GOOD)
    token = accounts.create_token("robot")
    [info] = users.tokens(ADMIN, account.id)
    with pytest.raises(NotFound, match="没有令牌"):
        users.revoke_token(ADMIN, other.id, info.id)  # not that user's token
    users.revoke_token(ADMIN, account.id, info.id)
    assert accounts.user_for_token(token) is None


def test_the_window_opens_an_account_for_a_visitor(users: Users, accounts: Accounts) -> None:
    user, one_time = users.open_for_visitor(
        CLERK, "青禾茶饮有限公司", "13812345678", "530102199001011234")
    assert (user.role, user.name, user.must_change_password) == ("applicant", "v13812345678",
                                                                   True)
    again, _ = users.open_for_visitor(CLERK, "另一家", "13812345678", "530102199001011234")
    assert again.name.startswith("v13812345678-")
    assert accounts.authenticate("v13812345678", one_time).display_name == "青禾茶饮有限公司"
    with pytest.raises(Forbidden):
        users.open_for_visitor(ADMIN, "某人", "13812345678", "x")
    with pytest.raises(Invalid) as caught:
        users.open_for_visitor(CLERK, "", "1381234", "")
    assert {d["pointer"] for d in caught.value.details} == {"/display_name", "/phone",
                                                           "/id_number"}
