"""The window's fee panel: issue the computed notice, the cashier takes the payment, and
only then is the deliver button offered; the applicant sees what to pay, how, by when."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from runtime.services.container import Services
from tests.runtime.api.conftest import Api
from tests.runtime.api.samples import PARALLEL
from tests.runtime.web.conftest import PASSWORD, csrf_of


def _approved(api: Api) -> dict[str, Any]:
    case = api.licensed()
    for step, (who, data) in PARALLEL.items():
        task = api.task(api.ok(api.get("win", f"/cases/{case['id']}")), step)
        api.ok(api.post(who, f"/tasks/{task['id']}/claim"))
        api.ok(api.post(who, f"/tasks/{task['id']}/approve", {"data": data}))
    return dict(api.ok(api.get("win", f"/cases/{case['id']}")))


def test_the_cashier_takes_payment_before_the_result_is_handed_over(
        client: TestClient, services: Services, login: Any) -> None:
    api = Api(client, services)
    case = _approved(api)
    api.ok(api.post("win", f"/cases/{case['id']}/fees",
                    {"items": [{"name": "工本费", "amount": 1050}]}))
    services.accounts.create_user("cash1", PASSWORD, "window", duties=["cashier"])
    login("cash1")
    page = client.get(f"/window/cases/{case['id']}").text
    assert "工本费" in page and "10.50" in page and "缴费后才能出件" in page
    assert "确认已向申请人出件" not in page
    paid = client.post(f"/window/cases/{case['id']}/fees/paid", data={
        "_csrf": csrf_of(page), "reference": f"{case['number']}-01", "channel": "刷卡"},
        follow_redirects=False)
    assert paid.status_code == 303
    page = client.get(f"/window/cases/{case['id']}").text
    assert "已确认收款" in page and "确认已向申请人出件" in page and "刷卡" in page
    forged = client.post(f"/window/cases/{case['id']}/fees/refund",
                         data={"reference": f"{case['number']}-01", "reason": "x"},
                         follow_redirects=False)
    assert forged.status_code == 403  # no CSRF token


def test_the_applicant_sees_what_to_pay_how_and_by_when(
        client: TestClient, services: Services, login: Any) -> None:
    api = Api(client, services)
    case = _approved(api)
    api.ok(api.post("win", f"/cases/{case['id']}/fees",
                    {"items": [{"name": "工本费", "amount": 1050}]}))
    services.accounts.set_password(api.user_id("alice"), PASSWORD, must_change=False)
    login("alice")
    page = client.get(f"/my/cases/{case['id']}").text
    assert "缴款识别码" in page and f"{case['number']}-01" in page and "10.50" in page
    assert "收费窗口缴纳" in page and "前凭缴款识别码" in page
    assert "确认已收款" not in page and "缴款通知书" in page
