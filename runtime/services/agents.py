"""Full-process proxy (全程代办): whom an agent (代办员) acts for, checked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from builder.formats import format_problem
from runtime.services.errors import Invalid

FIELDS = {"name": "委托人姓名或名称", "id_number": "身份证号码或统一社会信用代码",
          "phone": "委托人手机号码"}


def principal(raw: Any) -> dict[str, str]:
    """``on_behalf_of`` checked: ``{name, id_number, phone}``; the id number is a resident
    identity card number (个人) or a unified social credit code (企业), the phone a mobile."""
    if not isinstance(raw, Mapping):
        raise Invalid("代办申请须写明委托人", [{"pointer": "/on_behalf_of",
                                         "message": "须为 {name, id_number, phone}"}])
    details = []
    out: dict[str, str] = {}
    for key, title in FIELDS.items():
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            details.append({"pointer": f"/on_behalf_of/{key}", "message": f"请填写{title}"})
            continue
        out[key] = value.strip()[:200]
    extra = sorted(set(raw) - set(FIELDS))
    details += [{"pointer": f"/on_behalf_of/{k}", "message": "不支持的字段"} for k in extra]
    number = out.get("id_number", "")
    if number and format_problem(number, "cn-ric") and format_problem(number, "uscc"):
        details.append({"pointer": "/on_behalf_of/id_number", "message":
                        "应为 18 位居民身份证号码或统一社会信用代码，末位校验码须正确"})
    phone = out.get("phone", "")
    problem = format_problem(phone, "cn-mobile") if phone else None
    if problem:
        details.append({"pointer": "/on_behalf_of/phone", "message": problem.text})
    if details:
        raise Invalid("委托人信息有误：" + "；".join(d["message"] for d in details), details)
    return out
