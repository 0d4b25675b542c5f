"""Accounts: password rules, rate limits kept in the store, sessions, registration, tokens."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from runtime.engine.calendar import CHINA_TZ
from runtime.services import LIFECYCLE
from runtime.services.accounts import Accounts, User
from runtime.services.errors import (
    Forbidden,
    Invalid,
    NotAuthenticated,
    NotFound,
    TooManyAttempts,
)
from runtime.services.limits import Limiter
from runtime.services.passwords import password_problem
from runtime.store import MemoryStore

GOOD = "Qing-he-Tea-2026"
DEPARTMENTS = {"amr": SimpleNamespace(id="amr", name="市场监督管理局")}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, 9, 0, tzinfo=CHINA_TZ)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(autouse=True)
def cheap_passwords() -> None:
    """Real scrypt hashes here (overrides the package's autouse shortcut): passwords are
    verified."""


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store() -> Iterator[MemoryStore]:
    store = MemoryStore(lifecycle=LIFECYCLE)
    yield store
    store.close()


@pytest.fixture
def accounts(store: MemoryStore, clock: Clock) -> Accounts:
    return Accounts(store, DEPARTMENTS, attempts=5, now=clock, session_hours=8)


@pytest.mark.parametrize(("password", "message"), [
    ("12345678", "连续的数字"), ("87654321", "连续的数字"), ("abcdefgh", "连续的数字或字母"),
    ("aaaaaaaa", "重复"), ("abababab", "重复"), ("zhangsan", "用户名"), ("nasgnahz", "用户名"),
    ("zhangsan01", "用户名"), ("password1", "常见密码"), ("woaini1314", "常见密码"),
    ("iloveyou", "常见密码"), ("short", "至少 8 个字符"), ("x" * 129, "最多 128 个字符"),
])
def test_weak_passwords_are_refused_with_a_reason(password: str, message: str) -> None:
    problem = password_problem(password, "zhangsan")
    assert problem is not None and message in problem


def test_a_good_password_passes() -> None:
    assert password_problem(GOOD, "zhangsan") is None
    assert password_problem("xy9" * 42 + "ab", "zhangsan") is None  # 128: the maximum


def test_create_user_applies_the_rules_and_a_huge_password_is_refused_before_hashing(
        accounts: Accounts, monkeypatch: pytest.MonkeyPatch) -> None:
    hashed: list[int] = []
    monkeypatch.setattr("runtime.services.accounts.hash_password",
                        lambda p: hashed.append(len(p)) or "x")
    for bad in ("12345678", "aaaaaaaa", "staff01", "a" * 900_000):
        with pytest.raises(Invalid) as caught:
            accounts.create_user("staff01", bad, "window")
        assert caught.value.details[0]["pointer"] == "/password"
    assert hashed == []


def test_sign_in_failures_from_one_address_across_names_are_limited(
        accounts: Accounts) -> None:
    accounts.create_user("real-user", GOOD, "applicant")
    for i in range(15):  # 3 × 5 failures, each on a different name
        with pytest.raises(NotAuthenticated):
            accounts.authenticate(f"guess{i}", "wrong-password", "203.0.113.9")
    with pytest.raises(TooManyAttempts, match="登录失败次数过多"):
        accounts.authenticate("real-user", GOOD, "203.0.113.9")
    assert accounts.authenticate("real-user", GOOD, "198.51.100.1").name == "real-user"


def test_failure_counts_live_in_the_store_and_hold_for_another_process(
        store: MemoryStore, accounts: Accounts, clock: Clock) -> None:
    accounts.create_user("victim", GOOD, "applicant")
    for _ in range(5):
        with pytest.raises(NotAuthenticated):
            accounts.authenticate("victim", "wrong-password", "203.0.113.9")
    other = Accounts(store, DEPARTMENTS, now=clock)  # e.g. a second app process
    with pytest.raises(TooManyAttempts):
        other.authenticate("victim", GOOD, "203.0.113.9")
    clock.now += timedelta(minutes=16)
    assert other.authenticate("victim", GOOD, "203.0.113.9").name == "victim"


def test_sessions_are_records_that_end(accounts: Accounts, clock: Clock) -> None:
    user = accounts.create_user("clerk1", GOOD, "window")
    first, second = accounts.start_session(user), accounts.start_session(user)
    assert accounts.session_user(first) == user
    accounts.end_session(first)
    assert accounts.session_user(first) is None and accounts.session_user(second) == user
    clock.now += timedelta(hours=8, seconds=1)
    assert accounts.session_user(second) is None
    assert accounts.session_user("made-up") is None


def test_changing_the_password_ends_the_other_sessions(accounts: Accounts) -> None:
    user = accounts.create_user("clerk1", GOOD, "window")
    here, elsewhere = accounts.start_session(user), accounts.start_session(user)
    with pytest.raises(Invalid, match="原密码不正确"):
        accounts.change_password(user, "not-it-at-all", "Another-Pass-77")
    with pytest.raises(Invalid, match="常见密码"):
        accounts.change_password(user, GOOD, "password123")
    with pytest.raises(Invalid, match="不能与原密码相同"):
        accounts.change_password(user, GOOD, GOOD)
    accounts.change_password(user, GOOD, "Another-Pass-77", session_id=here)
    assert accounts.session_user(here) == user and accounts.session_user(elsewhere) is None
    assert accounts.authenticate("clerk1", "Another-Pass-77").name == "clerk1"


def test_wrong_old_passwords_are_limited(accounts: Accounts) -> None:
    user = accounts.create_user("clerk1", GOOD, "window")
    for _ in range(5):
        with pytest.raises(Invalid):
            accounts.change_password(user, "wrong-guess-1", "Another-Pass-77")
    with pytest.raises(TooManyAttempts):
        accounts.change_password(user, GOOD, "Another-Pass-77")


def test_registration_does_not_tell_staff_names_from_reserved_ones(accounts: Accounts) -> None:
    accounts.create_user("supervisor", GOOD, "supervisor")
    accounts.register("zhang.san", GOOD, "张三", address="192.0.2.1")
    answers = []
    for name in ("supervisor", "zhang.san", "window-99", "admin2"):  # taken, taken, free, free
        with pytest.raises(Invalid) as caught:
            accounts.register(name, GOOD, "某人", address="192.0.2.1")
        answers.append((caught.value.status, caught.value.message, caught.value.details))
    assert len(set(map(str, answers))) == 1
    assert "已被使用" not in str(answers[0]) and "supervisor" not in str(answers[0])


def test_registration_is_rate_limited_per_address(accounts: Accounts) -> None:
    for i in range(10):
        accounts.register(f"person{i}", GOOD, "某人", address="192.0.2.7")
    with pytest.raises(TooManyAttempts, match="注册过于频繁"):
        accounts.register("person-late", GOOD, "某人", address="192.0.2.7")
    assert accounts.register("person-late", GOOD, "某人", address="192.0.2.8").role == "applicant"


def test_tokens_listed_with_last_use_and_revoked(accounts: Accounts, clock: Clock) -> None:
    user = accounts.create_user("robot", GOOD, "window")
    token = accounts.create_token("robot")
    other = accounts.create_token("robot")
    [first, _] = accounts.tokens_of(user.id)
    assert first.last_used_at == "" and first.created_at.startswith("2026-11-30T09:00")
    assert accounts.token_use_stale(token)
    clock.now += timedelta(minutes=5)
    accounts.note_token_use(token)
    assert not accounts.token_use_stale(token)
    used = {t.id: t.last_used_at for t in accounts.tokens_of(user.id)}
    assert sorted(used.values()) == ["", "2026-11-30T09:05:00+08:00"]
    revoked = accounts.revoke_token(token)
    assert accounts.user_for_token(token) is None and accounts.user_for_token(other) == user
    assert revoked.id not in {t.id for t in accounts.tokens_of(user.id)}
    remaining = accounts.tokens_of(user.id)[0].id
    accounts.revoke_token(remaining)
    assert accounts.user_for_token(other) is None
    with pytest.raises(NotFound):
        accounts.revoke_token(remaining)


def test_no_token_for_a_disabled_user(accounts: Accounts, store: MemoryStore) -> None:
    user = accounts.create_user("gone", GOOD, "window")
    doc = store.get_user(user.id)
    assert doc is not None
    with store.write() as tx:
        tx.put_user({**doc, "active": False})
    with pytest.raises(Forbidden):
        accounts.create_token("gone")


def test_the_limiter_forgets_idle_counters(store: MemoryStore) -> None:
    now = [1000.0]
    limiter = Limiter(store, lambda: now[0])
    limiter.hit("a")
    limiter.hit("b")
    assert limiter.wait("a", 1, 60) > 0 and limiter.wait("a", 2, 60) == 0
    now[0] += 3601
    assert limiter.prune() == 2 and store.list_limits() == []


def test_user_from_doc_carries_the_must_change_flag() -> None:
    doc = {"id": "u_1", "name": "n", "role": "window", "must_change_password": True}
    assert User.from_doc(doc).must_change_password
