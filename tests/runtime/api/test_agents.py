"""Full-process proxy (全程代办): an agent applies for someone who never signs in, with the
entrustment letter; it reads and acts on that case only, and no other agent does."""

from __future__ import annotations

from typing import Any

import pytest

from tests.runtime.api.conftest import Api
from tests.runtime.api.samples import DATA, FILES, LICENSE, PARALLEL, PDF

PRINCIPAL = {"name": "王小明", "id_number": "110101199003071233", "phone": "13800138000"}


@pytest.fixture
def agents(api: Api) -> tuple[str, str]:
    for name in ("agent1", "agent2"):
        api.services.accounts.create_user(name, "correct-horse-9", "agent",
                                          service_point="青禾村便民服务代办点")
        api.tokens[name] = api.services.accounts.create_token(name)
    return "agent1", "agent2"


def _apply(api: Api, who: str, *, entrustment: bool = True, **extra: Any) -> Any:
    materials = {m: [api.upload(who, n, b)] for m, (n, b) in FILES.items()}
    if entrustment:
        materials["entrustment"] = [api.upload(who, "委托书.pdf", PDF)]
    body = {"matter": "enterprise-establishment", "data": DATA, "materials": materials,
            "on_behalf_of": PRINCIPAL, **extra}
    return api.post(who, "/cases", body)


def test_an_agent_carries_a_case_to_delivery_and_no_other_agent_sees_it(
        api: Api, agents: tuple[str, str]) -> None:
    mine, other = agents
    case = api.ok(_apply(api, mine), 201)
    assert case["agent"] == api.user_id(mine) and case["on_behalf_of"] == PRINCIPAL
    assert case["status"] == "submitted"
    assert api.get(other, f"/cases/{case['id']}").status_code == 404
    assert api.ok(api.get(other, "/cases")) == []
    assert [c["id"] for c in api.ok(api.get(mine, "/cases"))] == [case["id"]]
    assert api.get("alice", f"/cases/{case['id']}").status_code == 404
    api.ok(api.post("win", f"/cases/{case['id']}/supplement",
                    {"items": [{"material": "articles", "reason": "缺少签字"}]}))
    assert api.post(other, f"/cases/{case['id']}/supplement-answer",
                    {"materials": {}}).status_code == 404
    fixed = {**case["materials"], "articles": [api.upload(mine, "章程2.pdf", PDF)]}
    api.ok(api.post(mine, f"/cases/{case['id']}/supplement-answer", {"materials": fixed}))
    case = api.ok(api.post("win", f"/cases/{case['id']}/accept"))
    task = api.task(case, "license")["id"]
    api.ok(api.post("amr1", f"/tasks/{task}/claim"))
    api.ok(api.post("amr1", f"/tasks/{task}/approve", {"data": LICENSE}))
    for step, (who, data) in PARALLEL.items():
        t = api.task(api.ok(api.get("win", f"/cases/{case['id']}")), step)
        api.ok(api.post(who, f"/tasks/{t['id']}/claim"))
        api.ok(api.post(who, f"/tasks/{t['id']}/approve", {"data": data}))
    assert api.ok(api.post("win", f"/cases/{case['id']}/deliver"))["status"] == "delivered"
    receipt = api.get(mine, f"/cases/{case['id']}/documents/receipt.pdf")
    assert receipt.status_code == 200
    assert api.get(other, f"/cases/{case['id']}/documents/receipt.pdf").status_code == 404


def test_an_agent_must_bring_the_entrustment_letter(api: Api,
                                                    agents: tuple[str, str]) -> None:
    response = _apply(api, agents[0], entrustment=False)
    assert response.status_code == 400
    assert any(d["pointer"] == "/materials/entrustment" for d in response.json()["details"])
    assert "授权委托书" in response.text


def test_on_behalf_of_is_checked_and_only_for_agents(api: Api, agents: tuple[str, str]) -> None:
    bad = _apply(api, agents[0], on_behalf_of={**PRINCIPAL, "id_number": "110101199003071234"})
    assert bad.status_code == 400 and "/on_behalf_of/id_number" in bad.text
    missing = _apply(api, agents[0], on_behalf_of=None)
    assert missing.status_code == 400
    company = _apply(api, agents[0], on_behalf_of={
        **PRINCIPAL, "name": "云川市青禾农业科技有限公司",
        "id_number": LICENSE["license_no"]})
    assert company.status_code == 201, company.text
    not_agent = _apply(api, "alice")
    assert not_agent.status_code == 400 and "代办员" in not_agent.text
