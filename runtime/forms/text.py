"""Text that is never stored, said in Chinese: control characters, lone surrogates, and
data nested too deep. Used where requests are parsed (the JSON API) and by ``validate``
for posted forms; the engine refuses the same (``builder.formats.odd_text``)."""

from __future__ import annotations

from typing import Any

from builder.formats import OddText, odd_text
from runtime.forms.schema import pointer

MAX_DEPTH = 32
"""The deepest nesting of objects and lists accepted in form data."""


def text_message(odd: OddText, limit: int = MAX_DEPTH) -> str:
    """What is wrong at ``odd.path``, in Chinese, without the field's title."""
    if odd.kind == "depth":
        return f"嵌套超过 {limit} 层"
    where = "名称" if odd.key else "内容"
    if odd.kind == "surrogate":
        return f"{where}含有无效的 Unicode 字符（单独的代理项 {odd.character}）"
    return f"{where}含有不允许的控制字符（{odd.character}）；请删除后重新填写"


def text_errors(value: Any, limit: int = MAX_DEPTH) -> list[dict[str, str]]:
    """``[{pointer, message}]`` of every place in ``value`` that must not be stored."""
    return [{"pointer": pointer(odd.path), "message": text_message(odd, limit)}
            for odd in odd_text(value, limit)]
