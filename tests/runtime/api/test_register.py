"""The certificate register (证照库, 免提交): the licence enterprise-establishment issues is
found by a second matter for the same company, which then needs no upload of it and has
the company's name filled and locked from it."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from runtime.services.certificates import Register, _until
from runtime.services.errors import Forbidden, Invalid
from tests.runtime.api.conftest import Api
from tests.runtime.api.samples import LICENSE, PDF

MATTER = "government-investment-project"
PROJECT: dict[str, Any] = {
    "project_name": "云川市青禾农业科技有限公司研发楼新建工程",
    "project_code": "2026-511002-47-01-003215",
    "construction_unit": {"name": "随便写的名称", "credit_code": LICENSE["license_no"],
                          "contact": "刘洋", "mobile": "13900001111"},
    "project_type": "其他公共建筑", "location": "云川市新城区锦程路以南、学府路以东",
    "land_source": "划拨", "land_area": 3200, "floor_area": 3600, "underground_area": 600,
    "floors_above": 5, "height": 23.5, "total_investment": 1800,
    "funding_source": "财政预算资金", "needs_eia": False,
}


def _project(api: Api, who: str, data: dict[str, Any], *, licence: bool = False) -> Any:
    matter = api.services.matters.current(MATTER)
    materials = {m.id: [api.upload(who, f"{m.id}.pdf", PDF)]
                 for m in matter.applicable_materials(data)
                 if m.required and (licence or m.id != "unit-licence")}
    return api.post(who, "/cases", {"matter": MATTER, "data": data, "materials": materials})


def test_a_second_matter_takes_the_licence_from_the_register(api: Api) -> None:
    first = api.licensed("alice")  # 营业执照 issued: it enters the register
    entry = api.services.store.get_record("certificate",
                                          f"{LICENSE['license_no']}/business-licence")
    assert entry is not None and entry["case"] == first["id"]
    assert entry["number"] == LICENSE["license_no"] and entry["case_number"] == first["number"]
    assert entry["holder_name"] == "云川市青禾农业科技有限公司" and entry["valid_until"] is None

    case = api.ok(_project(api, "alice", PROJECT), 201)  # no unit-licence uploaded
    taken = case["register"]["materials"]["unit-licence"]
    assert taken["case"] == first["id"] and taken["number"] == LICENSE["license_no"]
    assert taken["name"] == "营业执照" and "unit-licence" not in case["materials"]
    # the locked field: what the register says, not what was sent
    assert case["data"]["construction_unit"]["name"] == "云川市青禾农业科技有限公司"
    assert case["register"]["fields"]["construction_unit.name"]["case"] == first["id"]

    accepted = api.ok(api.post("win", f"/cases/{case['id']}/accept"))
    assert accepted["status"] == "in_progress"
    task = api.task(accepted, "proposal")
    seen = api.ok(api.get("drc1", f"/cases/{case['id']}"))
    assert seen["register"]["materials"]["unit-licence"]["case_number"] == first["number"]
    assert task["status"] == "ready"


def test_someone_else_typing_the_code_finds_nothing_but_the_holders_own_account_does(
        api: Api) -> None:
    api.licensed("alice")
    response = _project(api, "bob", PROJECT)  # bob knows the code, not the company
    assert response.status_code == 400 and "/materials/unit-licence" in response.text
    form = api.services.register.prefill(api.services.accounts.find("bob"),
                                         api.services.matters.current(MATTER), PROJECT)
    assert form == (PROJECT, {})  # the form shows nothing of the register either
    api.services.accounts.create_user("qinghe", "correct-horse-9", "applicant",
                                      id_number=LICENSE["license_no"])  # the company
    api.tokens["qinghe"] = api.services.accounts.create_token("qinghe")
    case = api.ok(_project(api, "qinghe", PROJECT), 201)
    assert case["register"]["materials"]["unit-licence"]["number"] == LICENSE["license_no"]


def test_without_a_certificate_in_the_register_the_material_is_required(api: Api) -> None:
    response = _project(api, "bob", PROJECT)
    assert response.status_code == 400
    assert any(d["pointer"] == "/materials/unit-licence" for d in response.json()["details"])
    assert "建设单位营业执照" in response.text
    uploaded = api.ok(_project(api, "bob", PROJECT, licence=True), 201)
    assert uploaded.get("register") is None
    assert uploaded["data"]["construction_unit"]["name"] == "随便写的名称"


def test_another_holder_does_not_get_the_licence(api: Api) -> None:
    api.licensed("alice")
    other = copy.deepcopy(PROJECT)
    other["construction_unit"]["credit_code"] = "12511002MB1234567L"
    response = _project(api, "bob", other)
    assert response.status_code == 400 and "/materials/unit-licence" in response.text


def test_the_register_is_written_in_the_decisions_batch_only_for_declared_kinds(
        api: Api) -> None:
    case = api.accepted("alice")
    assert api.services.store.list_records("certificate") == []
    task = api.task(case, "license")["id"]
    api.ok(api.post("amr1", f"/tasks/{task}/claim"))
    api.ok(api.post("amr1", f"/tasks/{task}/approve", {"data": LICENSE}))
    records = api.services.store.list_records("certificate")
    assert [r["certificate"] for r in records] == ["business-licence"]  # 印章 etc. are not kinds
    stored = api.ok(api.get("alice", f"/cases/{case['id']}"))
    assert stored["certificates"][0]["holder_id"] == LICENSE["license_no"]


def test_staff_look_a_holder_up(api: Api) -> None:
    api.licensed("alice")
    register: Register = api.services.register
    win = api.services.accounts.find("win")
    alice = api.services.accounts.find("alice")
    assert win is not None and alice is not None
    rows = register.of_holder(win, LICENSE["license_no"].lower())
    assert [r["name"] for r in rows] == ["营业执照"]
    with pytest.raises(Forbidden):
        register.of_holder(alice, LICENSE["license_no"])
    with pytest.raises(Invalid):
        register.of_holder(win, "91530100MA6K2Y7X38")


def test_the_register_over_the_api(api: Api) -> None:
    first = api.licensed("alice")
    rows = api.ok(api.get("drc1", f"/certificates/{LICENSE['license_no']}"))
    assert [(r["certificate"], r["case"]) for r in rows] == [("business-licence", first["id"])]
    assert api.get("alice", f"/certificates/{LICENSE['license_no']}").status_code == 403
    assert api.get("win", "/certificates/91530100MA6K2Y7X38").status_code == 400  # check digit
    assert api.ok(api.get("win", "/certificates/12511002MB1234567L")) == []


def test_validity_in_years_ends_the_day_before_the_anniversary() -> None:
    assert _until("2026-11-30T10:00:00+08:00", 2) == "2028-11-29"
    assert _until("2024-02-29T10:00:00+08:00", 1) == "2025-02-27"
    assert _until("2026-11-30T10:00:00+08:00", None) is None
