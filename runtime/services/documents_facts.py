"""The facts each formal document prints, by title (never ids), from a case and its matter.

Kept apart from rendering so each kind's facts are a small pure function of the case.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from builder import Centre, MatterSpec
from runtime.engine.states import CaseAction, TaskStatus
from runtime.services.accounts import Accounts
from runtime.services.problems import Titles
from runtime.services.reading import field_title

GENERAL_BASIS = ("《中华人民共和国行政许可法》第三十八条第二款：行政机关依法作出不予行政许可的"
                 "书面决定的，应当说明理由，并告知申请人享有依法申请行政复议或者提起行政诉讼的权利。")
REFUSAL_BASIS = "《中华人民共和国行政许可法》第三十二条第一款"


def yuan(fen: Any) -> str:
    """Whole fen as yuan with two decimals and thousands separators (¥ not included)."""
    value = int(fen)
    sign = "-" if value < 0 else ""
    whole, cents = divmod(abs(value), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def cn_date(value: Any) -> str:
    """An ISO date or datetime as 2026年12月6日 (empty for nothing)."""
    if not value:
        return ""
    moment = datetime.fromisoformat(str(value))
    return f"{moment.year}年{moment.month}月{moment.day}日"


def common(case: Mapping[str, Any], matter: MatterSpec, centre: Centre, accounts: Accounts,
           department: str | None) -> dict[str, Any]:
    """What every document carries: number, date, matter, applicant, issuer, remedies."""
    issuer = centre.name
    if department:
        dept = accounts.departments.get(department)
        issuer = getattr(dept, "name", None) or department
    applicant = case.get("on_behalf_of") or {}
    return {
        "case": case, "number": case.get("number") or "", "application": case["id"],
        "matter": matter.name, "centre": centre, "issuer": issuer,
        "applicant": applicant.get("name") or accounts.name_of(case["applicant"]),
        "holder": case.get("holder") or "",
        "date": cn_date(case.get("updated_at") or case.get("created_at")),
        "review_body": centre.review_body or "本级人民政府或者上一级主管部门",
        "litigation_court": centre.litigation_court or "有管辖权的人民法院",
        "query_code": case.get("query_code") or "",
    }


def _receipt(case: Mapping[str, Any], matter: MatterSpec, _: Accounts) -> dict[str, Any]:
    titles = Titles(matter)
    return {
        "accepted_at": cn_date(case.get("accepted_at")),
        "time_limit": matter.time_limit,
        "materials": [titles.material(m) for m, files in (case.get("materials") or {}).items()
                      if files],
        "deferred": [titles.material(d["material"]) for d in case.get("deferred") or ()],
    }


def _supplement(case: Mapping[str, Any], matter: MatterSpec, _: Accounts) -> dict[str, Any]:
    titles = Titles(matter)
    notice = case.get("supplement") or {}
    items = [{"title": field_title(matter, i["field"]) if "field" in i
              else titles.material(i["material"]),
              "kind": "填写内容" if "field" in i else "申请材料", "reason": i["reason"]}
             for i in notice.get("items", ())]
    return {"items": items}


def _refusal(case: Mapping[str, Any], _m: MatterSpec, _: Accounts) -> dict[str, Any]:
    reasons = [e.get("note") or "" for e in case.get("events") or ()
               if e["action"] == CaseAction.REFUSE]
    return {"reason": reasons[-1] if reasons else "", "basis": REFUSAL_BASIS}


def _decision(case: Mapping[str, Any], matter: MatterSpec,
              accounts: Accounts) -> dict[str, Any]:
    titles = Titles(matter)
    reasons = []
    for task in case.get("tasks") or ():
        if task["status"] == TaskStatus.REJECTED and task.get("decision"):
            dept = accounts.departments.get(task["department"])
            reasons.append({"step": titles.step(task["step"]),
                            "department": getattr(dept, "name", task["department"]),
                            "reason": task["decision"]["opinion"]})
    basis = matter.source.get("legal_basis") if matter.source else None
    return {"reasons": reasons, "basis": basis or GENERAL_BASIS}


def _payment(case: Mapping[str, Any], _m: MatterSpec, _: Accounts) -> dict[str, Any]:
    notices = case.get("fees") or ()
    return {"notice": notices[-1] if notices else None}


def _commitment(case: Mapping[str, Any], matter: MatterSpec, _: Accounts) -> dict[str, Any]:
    titles = Titles(matter)
    return {"owed": [{"title": titles.material(d["material"]), "due": cn_date(d.get("due"))}
                     for d in case.get("deferred") or ()]}


def _delivery(case: Mapping[str, Any], matter: MatterSpec, _: Accounts) -> dict[str, Any]:
    delivered = ["办理结果告知书"]
    delivered += [f"{c.get('name') or c.get('kind') or '证照'}"
                  + (f"（{c['number']}）" if c.get("number") else "")
                  for c in case.get("certificates") or ()]
    return {"delivered": delivered}


BY_KIND: dict[str, Callable[[Mapping[str, Any], MatterSpec, Accounts], dict[str, Any]]] = {
    "receipt": _receipt, "supplement": _supplement, "refusal": _refusal,
    "decision": _decision, "payment": _payment, "commitment": _commitment,
    "delivery": _delivery,
}
