"""Formats and patterns of the JSON Schemas catalogs write, safe on hostile answers.

Every ``pattern`` and ``patternProperties`` key runs in RE2, whose time is linear in
the answer: Python's ``re`` backtracks, and ``^(a+)+$`` against 40 characters would
stall the process for hours. ``onewindow check`` refuses a pattern RE2 cannot run
(``pattern_problem``); answers are validated by ``validator_class`` (Draft 2020-12 with
the RE2 keywords) and ``FORMAT_CHECKER``, which knows the Chinese formats below
besides jsonschema's own. The Chinese formats use python-stdnum (GB 32100 统一社会
信用代码, GB 11643 居民身份证号码) and phonenumbers (中国大陆手机号码); python-stdnum
has no GB 11714 组织机构代码, so its one-line check digit is computed here. A failed
format raises `FormatProblem`, which says in Chinese what the answer should be.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import re2
from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from jsonschema import _keywords as _jsonschema_keywords
from jsonschema.protocols import Validator
from jsonschema.validators import extend
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError


@dataclass(frozen=True)
class Format:
    """A catalog format: its name in schemas, what it is called and what it looks like."""

    name: str
    title: str  # 统一社会信用代码
    expected: str  # what a valid answer looks like, said after a field's title


class FormatProblem(ValueError):
    """An answer is not in its field's format; ``text`` says why, after the field's title."""

    def __init__(self, fmt: str, reason: str, text: str) -> None:
        super().__init__(text)
        self.format, self.reason, self.text = fmt, reason, text


FORMATS: Mapping[str, Format] = {f.name: f for f in (
    Format("uscc", "统一社会信用代码",
           "应为 18 位统一社会信用代码（数字或大写字母，不含 I、O、Z、S、V，末位为校验码），"
           "如 91110000600037341L"),
    Format("cn-ric", "居民身份证号码",
           "应为 18 位居民身份证号码（前 17 位为数字，末位为数字或 X），如 110101199003074514"),
    Format("cn-mobile", "中国大陆手机号码", "应为 11 位中国大陆手机号码，如 13812345678"),
    Format("cn-orgcode", "组织机构代码",
           "应为 9 位组织机构代码（8 位数字或大写字母加 1 位校验码），如 60003734-1"),
)}

# (format, reason): what is wrong, said after the field's title; {n}: the length given
_SAID: Mapping[tuple[str, str], str] = {
    ("uscc", "case"): "应为 18 位统一社会信用代码，只能使用数字和大写字母，不含空格",
    ("uscc", "length"): "应为 18 位统一社会信用代码（现为 {n} 位）",
    ("uscc", "checksum"): "应为 18 位统一社会信用代码，末位校验码不正确",
    ("uscc", "format"): "应为 18 位统一社会信用代码：前 8 位为数字，后 10 位为数字或大写字母"
                        "（不含 I、O、Z、S、V）",
    ("cn-ric", "case"): "应为 18 位居民身份证号码，末位的 X 须大写，不含空格",
    ("cn-ric", "length"): "应为 18 位居民身份证号码（现为 {n} 位）",
    ("cn-ric", "checksum"): "应为 18 位居民身份证号码，末位校验码不正确",
    ("cn-ric", "birth_date"): "应为 18 位居民身份证号码，第 7 至 14 位的出生日期无效",
    ("cn-ric", "region"): "应为 18 位居民身份证号码，前 6 位不是有效的行政区划代码",
    ("cn-ric", "format"): "应为 18 位居民身份证号码：前 17 位为数字，末位为数字或 X",
    ("cn-mobile", "format"): FORMATS["cn-mobile"].expected,
    ("cn-mobile", "not_mobile"): "应为 11 位中国大陆手机号码；这个号码段不是手机号码",
    ("cn-orgcode", "format"): FORMATS["cn-orgcode"].expected,
    ("cn-orgcode", "checksum"): "应为 9 位组织机构代码，末位校验码不正确",
}


def _fail(fmt: str, reason: str, value: str) -> FormatProblem:
    return FormatProblem(fmt, reason, _SAID[fmt, reason].format(n=len(value)))


def _stdnum(fmt: str, module: Any, value: str) -> None:
    """python-stdnum's verdict on ``value``, as a `FormatProblem` saying why."""
    if value != module.compact(value):
        raise _fail(fmt, "case", value)
    try:
        module.validate(value)
    except InvalidLength:
        raise _fail(fmt, "length", value) from None
    except InvalidChecksum:
        raise _fail(fmt, "checksum", value) from None
    except InvalidComponent:  # the RIC's birth date, or its region
        try:
            module.get_birth_date(value)
        except StdnumError:
            raise _fail(fmt, "birth_date", value) from None
        raise _fail(fmt, "region", value) from None
    except StdnumError:
        raise _fail(fmt, "format", value) from None


def _mobile(value: str) -> None:
    if not (len(value) == 11 and value.isascii() and value.isdigit() and value[0] == "1"):
        raise _fail("cn-mobile", "format", value)
    import phonenumbers  # on first use: its metadata costs 0.1 s at every start otherwise

    kinds = (phonenumbers.PhoneNumberType.MOBILE,
             phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    number = phonenumbers.parse(value, "CN")
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in kinds:
        raise _fail("cn-mobile", "not_mobile", value)


_ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # letters count 10..35 (GB 11714)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def orgcode_check_digit(body: str) -> str:
    """The GB 11714 check character of an 8-character organisation code body."""
    total = sum(_ORG_ALPHABET.index(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    digit = 11 - total % 11
    return {10: "X", 11: "0"}.get(digit, str(digit))


def _orgcode(value: str) -> None:
    code = value[:8] + value[9:] if len(value) == 10 and value[8] == "-" else value
    if len(code) != 9 or any(c not in _ORG_ALPHABET for c in code[:8]) or \
            code[8] not in "0123456789X":
        raise _fail("cn-orgcode", "format", value)
    if code[8] != orgcode_check_digit(code[:8]):
        raise _fail("cn-orgcode", "checksum", value)


_CHECKS: Mapping[str, Callable[[str], None]] = {
    "uscc": lambda v: _stdnum("uscc", uscc, v), "cn-ric": lambda v: _stdnum("cn-ric", ric, v),
    "cn-mobile": _mobile, "cn-orgcode": _orgcode}


def _format_checker() -> FormatChecker:
    checker = FormatChecker(())
    checker.checkers = dict(Draft202012Validator.FORMAT_CHECKER.checkers)
    for name, check in _CHECKS.items():
        def checks(value: object, check: Callable[[str], None] = check) -> bool:
            if isinstance(value, str):
                check(value)
            return True
        checker.checks(name, raises=FormatProblem)(checks)
    return checker


FORMAT_CHECKER = _format_checker()
"""jsonschema's format checks (date, email, ...) and the Chinese formats of ``FORMATS``."""

KNOWN_FORMATS = frozenset(FORMAT_CHECKER.checkers)
"""The formats a catalog may name: every one of them is checked on answers."""


def format_problem(value: str, fmt: str) -> FormatProblem | None:
    """Why ``value`` is not in the Chinese format ``fmt`` (None when it is, or unknown)."""
    check = _CHECKS.get(fmt)
    if check is None:
        return None
    try:
        check(value)
    except FormatProblem as problem:
        return problem
    return None


# -- patterns in RE2 ---------------------------------------------------------------------

class PatternUnusable(ValueError):
    """RE2 cannot run this pattern (it needs backtracking, or is not a regex at all)."""


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False  # RE2 would print every refused pattern on stderr
    return options


_OPTIONS = _options()


@lru_cache(maxsize=2048)
def compiled_pattern(pattern: str) -> Any:
    """``pattern`` compiled by RE2 (cached); `PatternUnusable` saying why it cannot be."""
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else str(exc)
        text = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
        raise PatternUnusable(text) from None


def pattern_problem(pattern: str) -> str | None:
    """Why RE2 cannot run ``pattern`` (None when it can)."""
    try:
        compiled_pattern(pattern)
    except PatternUnusable as exc:
        return str(exc)
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")


def matches(pattern: str, text: str) -> bool:
    """JSON Schema's ``pattern``: ``text`` contains a match (unanchored), in linear time.
    A pattern RE2 cannot run matches nothing: a check refuses such catalogs anyway."""
    try:
        return compiled_pattern(pattern).search(text) is not None
    except PatternUnusable:
        return False
    except UnicodeEncodeError:  # a lone surrogate (refused anyway): match it as U+FFFD
        return compiled_pattern(pattern).search(_SURROGATE.sub("\ufffd", text)) is not None


def _pattern(validator: Validator, pattern: str, instance: Any,
             schema: Mapping[str, Any]) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not matches(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(validator: Validator, patterns: Mapping[str, Any], instance: Any,
                        schema: Mapping[str, Any]) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if matches(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(validator: Validator, additional: Any, instance: Any,
                           schema: Mapping[str, Any]) -> Iterator[ValidationError]:
    """jsonschema's own, except that ``patternProperties`` keys are matched by RE2."""
    patterns = schema.get("patternProperties")
    if not patterns or not validator.is_type(instance, "object"):
        yield from _jsonschema_keywords.additionalProperties(validator, additional, instance,
                                                             schema)
        return
    known = schema.get("properties", {})
    extras = sorted((key for key in instance if key not in known
                     and not any(matches(p, key) for p in patterns)), key=str)
    if validator.is_type(additional, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], additional, path=extra)
    elif additional is False and extras:
        joined = ", ".join(repr(extra) for extra in extras)
        yield ValidationError(f"{joined} do not match any of the regexes: "
                              f"{', '.join(map(repr, sorted(patterns)))}")


SafeValidator: type[Draft202012Validator] = extend(Draft202012Validator, {
    "pattern": _pattern,
    "patternProperties": _pattern_properties,
    "additionalProperties": _additional_properties,
})
"""Draft 2020-12 whose patterns run in RE2; use it with ``FORMAT_CHECKER``.
(``unevaluatedProperties`` would match ``patternProperties`` with Python's ``re``:
``onewindow check`` refuses the two together.)"""


# -- text that must never be stored ---------------------------------------------------

# C0 and C1 controls but tab, line feed and carriage return; lone UTF-16 surrogates
# (JSON's "\\ud800" decodes to one, and no UTF-8 encoder accepts it).
_BAD_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

Where = tuple[str | int, ...]


@dataclass(frozen=True)
class OddText:
    """A place in a JSON value that must be refused: ``kind`` is ``control_character``,
    ``surrogate`` (``character`` is ``U+XXXX``; ``key`` when in a key) or ``depth``."""

    path: Where
    kind: str
    character: str = ""
    key: bool = False


def odd_text(value: Any, limit: int) -> list[OddText]:
    """Control characters and lone surrogates in the strings and keys of ``value``, and
    places nested deeper than ``limit``; walked without recursion, so any depth is safe."""
    found: list[OddText] = []
    stack: list[tuple[Any, Where]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            found += _odd(item, path, key=False)
        elif isinstance(item, Mapping | list | tuple):
            if len(path) >= limit:
                found.append(OddText(path, "depth"))
            elif isinstance(item, Mapping):
                for name, child in item.items():
                    # a bad key is named with U+FFFD in its place: a path is shown
                    # to people and sent as JSON, which cannot carry a lone surrogate
                    safe = _BAD_CHARACTER.sub("\ufffd", str(name))
                    found += _odd(str(name), (*path, safe), key=True)
                    stack.append((child, (*path, safe)))
            else:
                stack.extend((child, (*path, i)) for i, child in enumerate(item))
    return sorted(found, key=lambda odd: [str(p) for p in odd.path])


def _odd(text: str, path: Where, *, key: bool) -> list[OddText]:
    bad = _BAD_CHARACTER.search(text)
    if bad is None:
        return []
    char = bad.group()
    kind = "surrogate" if "\ud800" <= char <= "\udfff" else "control_character"
    return [OddText(path, kind, f"U+{ord(char):04X}", key)]
