"""Centralised fees (集中收费): a case with an unpaid notice cannot be delivered; the
cashier or the bank's signed confirmation pays it; refunds; reconciliation."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from runtime.services.fees import owed, signature
from tests.runtime.api.conftest import Api
from tests.runtime.api.samples import PARALLEL

KEY = "bank-test-key-0123456789"


@pytest.fixture
def cashier(api: Api) -> str:
    api.services.accounts.create_user("cash1", "correct-horse-9", "window",
                                      duties=["cashier"])
    api.tokens["cash1"] = api.services.accounts.create_token("cash1")
    return "cash1"


def approved_case(api: Api) -> dict[str, Any]:
    case = api.licensed()
    for step, (who, data) in PARALLEL.items():
        task = api.task(api.ok(api.get("win", f"/cases/{case['id']}")), step)
        api.ok(api.post(who, f"/tasks/{task['id']}/claim"))
        api.ok(api.post(who, f"/tasks/{task['id']}/approve", {"data": data}))
    case = api.ok(api.get("win", f"/cases/{case['id']}"))
    assert case["status"] == "approved"
    return dict(case)


ITEMS = [{"name": "工本费", "amount": 1050}, {"name": "登记费", "amount": 20000}]


def test_delivery_waits_for_payment_and_the_cashier_records_it(api: Api, cashier: str,
                                                               tmp_path: Path) -> None:
    case = approved_case(api)
    issued = api.ok(api.post("win", f"/cases/{case['id']}/fees", {"items": ITEMS}))
    notice = issued["fees"][0]
    assert notice["total"] == 21050 and notice["paid"] is None
    assert notice["reference"] == f"{case['number']}-01" and notice["due"]
    refused = api.post("win", f"/cases/{case['id']}/deliver")
    assert refused.status_code == 409
    clerk = api.services.accounts.find("win")
    assert clerk is not None  # the page hides the button too: the engine says no
    assert "deliver" not in api.services.cases.actions(clerk, issued)
    # a clerk without the cashier duty may not take money
    assert api.post("win", f"/cases/{case['id']}/fees/paid",
                    {"reference": notice["reference"]}).status_code == 403
    paid = api.ok(api.post(cashier, f"/cases/{case['id']}/fees/paid",
                           {"reference": notice["reference"], "channel": "刷卡"}))
    assert paid["fees"][0]["paid"]["channel"] == "刷卡"
    assert api.post(cashier, f"/cases/{case['id']}/fees/paid",
                    {"reference": notice["reference"]}).status_code == 409
    delivered = api.ok(api.post("win", f"/cases/{case['id']}/deliver"))
    assert delivered["status"] == "delivered"
    pdf = api.get("alice", f"/cases/{case['id']}/documents/payment.pdf")
    assert pdf.status_code == 200
    source = tmp_path / "p.pdf"
    source.write_bytes(pdf.content)
    text = "".join(subprocess.run(["pdftotext", str(source), "-"], check=True,
                                  capture_output=True).stdout.decode().split())
    assert "缴款通知书" in text and case["number"] in text and notice["reference"] in text
    assert "工本费" in text and "10.50" in text and "210.50" in text


def test_money_is_whole_fen_and_items_are_checked(api: Api) -> None:
    case = api.accepted()
    for bad in ([{"name": "工本费", "amount": 10.5}], [{"name": "", "amount": 1}],
                [{"name": "x", "amount": -1}], []):
        response = api.post("win", f"/cases/{case['id']}/fees", {"items": bad})
        assert response.status_code == 400, (bad, response.text)
    assert api.ok(api.get("win", f"/cases/{case['id']}")).get("fees") is None


def test_who_may_issue(api: Api) -> None:
    case = api.accepted()
    assert api.post("alice", f"/cases/{case['id']}/fees",
                    {"items": ITEMS}).status_code == 403
    assert api.post("drc1", f"/cases/{case['id']}/fees",
                    {"items": ITEMS}).status_code == 404  # no task: cannot even see it
    issued = api.ok(api.post("amr1", f"/cases/{case['id']}/fees", {"items": ITEMS}))
    assert issued["fees"][0]["department"] == "amr"
    again = api.post("win", f"/cases/{case['id']}/fees", {"items": ITEMS})
    assert again.status_code == 409  # one unpaid notice at a time


def _confirm(api: Api, body: dict[str, Any], *, key: str = KEY,
             at: int | None = None) -> Any:
    raw = json.dumps(body).encode()
    stamp = str(at if at is not None else int(api.services.clock().timestamp()))
    return api.client.post("/api/v1/fees/bank-confirmations", content=raw, headers={
        "X-Onewindow-Timestamp": stamp,
        "X-Onewindow-Signature": signature(key, stamp, raw)})


def test_the_bank_confirms_signed_and_idempotent(api: Api) -> None:
    api.services.fees.bank_key = KEY
    case = approved_case(api)
    notice = api.ok(api.post("win", f"/cases/{case['id']}/fees", {"items": ITEMS}))["fees"][0]
    body = {"reference": notice["reference"], "amount": 21050}
    assert _confirm(api, body, key="wrong").status_code == 401
    stale = int(api.services.clock().timestamp()) - 3600
    assert _confirm(api, body, at=stale).status_code == 401
    assert _confirm(api, {**body, "amount": 100}).status_code == 400
    first = _confirm(api, body)
    assert first.status_code == 200, first.text
    second = _confirm(api, body)
    assert second.json() == first.json()
    events = api.ok(api.get("win", f"/cases/{case['id']}"))["events"]
    assert [e["action"] for e in events].count("record_payment") == 1
    assert api.ok(api.post("win", f"/cases/{case['id']}/deliver"))["status"] == "delivered"


def test_refund_with_reason_and_reconciliation(api: Api, cashier: str) -> None:
    case = approved_case(api)
    ref = api.ok(api.post("win", f"/cases/{case['id']}/fees",
                          {"items": ITEMS}))["fees"][0]["reference"]
    assert api.post(cashier, f"/cases/{case['id']}/fees/refund",
                    {"reference": ref, "reason": "多收"}).status_code == 409  # not paid yet
    api.ok(api.post(cashier, f"/cases/{case['id']}/fees/paid", {"reference": ref}))
    refunded = api.ok(api.post(cashier, f"/cases/{case['id']}/fees/refund",
                               {"reference": ref, "reason": "重复收费"}))
    assert refunded["fees"][0]["refund"]["reason"] == "重复收费"
    rows = api.ok(api.get(cashier, "/fees/reconciliation/2026-11-30"))
    assert rows == [{"department": "", "issued": 1, "issued_fen": 21050, "paid": 1,
                     "paid_fen": 21050, "refunded_fen": 21050}]
    assert api.get("win", "/fees/reconciliation/2026-11-30").status_code == 403
    assert api.get(cashier, "/fees/reconciliation/yesterday").status_code == 400


def test_fees_are_computed_from_the_answers_with_exemptions(api: Api) -> None:
    matter = api.services.matters.current("government-investment-project")
    hospital = owed(matter, {"floor_area": 1234.5, "project_type": "医院"})
    assert [(o.name, o.amount, o.exempt) for o in hospital] == [
        ("城市基础设施配套费", 3_703_500, "")]  # 1234.5 m² × 30 元, in fen
    school = owed(matter, {"floor_area": 1234.5, "project_type": "学校"})
    assert [(o.amount, o.exempt) for o in school] == [
        (0, "学校、保障性住房项目免征城市基础设施配套费")]
