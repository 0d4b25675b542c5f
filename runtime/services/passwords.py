"""Passwords: scrypt hashing (stdlib, salted, memory-hard, constant-time check) and the
strength rules every new password must meet."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import cache
from pathlib import Path

_N, _R, _P = 2**14, 8, 1

#: Length bounds, in characters, checked before hashing (a huge password costs scrypt time).
MIN_PASSWORD = 8
MAX_PASSWORD = 128
COMMON_FILE = Path(__file__).with_name("common-passwords.txt")
RULES = (f"密码须为 {MIN_PASSWORD}–{MAX_PASSWORD} 个字符，"
         "不能是常见密码、用户名或简单重复/连续的字符")

_SEQUENCES = ("0123456789012345678901234567890", "abcdefghijklmnopqrstuvwxyz",
              "qwertyuiopasdfghjklzxcvbnm", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p")


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$salt$hash`` for storage; never the password itself."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return "$".join(["scrypt", str(_N), str(_R), str(_P),
                     base64.b64encode(salt).decode(), base64.b64encode(digest).decode()])


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches the stored hash."""
    if len(password) > MAX_PASSWORD:
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt),
                                n=int(n), r=int(r), p=int(p), dklen=len(expected))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def dummy_verify() -> None:
    """Spend the time of one check, so unknown names take as long as wrong passwords."""
    verify_password("x", _DUMMY)


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (lower case)."""
    lines = COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def password_problem(password: str, name: str = "") -> str | None:
    """Why ``password`` is too weak for the user ``name`` (in Chinese), or None if it will do."""
    if len(password) < MIN_PASSWORD:
        return f"密码至少 {MIN_PASSWORD} 个字符"
    if len(password) > MAX_PASSWORD:
        return f"密码最多 {MAX_PASSWORD} 个字符"
    lowered = password.lower()
    if name and (lowered == name.lower() or lowered == name.lower()[::-1]
                 or (len(name) >= 4 and name.lower() in lowered
                     and len(lowered) - len(name) < 4)):
        return "密码不能是用户名或仅在用户名前后加几个字符"
    if len(set(lowered)) <= 2:
        return "密码不能只由一两个字符重复组成（如 aaaaaaaa）"
    if any(lowered in run or lowered[::-1] in run for run in _SEQUENCES):
        return "密码不能是连续的数字或字母（如 12345678、abcdefgh）"
    if lowered in common_passwords():
        return "这是常见密码，很容易被猜中，请换一个"
    return None


def one_time_password() -> str:
    """A random password to hand over once; it must be changed at first sign-in."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(12))
        if password_problem(candidate) is None:
            return candidate


_DUMMY = hash_password("onewindow-dummy")
