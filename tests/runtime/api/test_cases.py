"""Cases: applying, reading, listing, and the applicant's and the window's actions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.runtime.api.conftest import Api
from tests.runtime.api.samples import DATA, PDF


def _errors(response: Any, status: int = 400) -> dict[str, str]:
    assert response.status_code == status, response.text
    return {d["pointer"]: d["message"] for d in response.json()["details"]}


# -- applying ---------------------------------------------------------------------


def test_apply_creates_a_submitted_case(api: Api) -> None:
    case = api.apply("alice")
    assert case["status"] == "submitted" and case["applicant"] == api.user_id("alice")
    assert case["tasks"] == [] and case["outputs"] == {} and case["certificates"] == []
    assert case["events"][-1]["action"] == "submit"


def test_the_window_applies_for_a_walk_in_applicant(api: Api) -> None:
    case = api.apply("win", applicant=api.user_id("alice"))
    assert case["applicant"] == api.user_id("alice") and case["status"] == "submitted"
    by_name = api.apply("win", applicant="alice")
    assert by_name["applicant"] == api.user_id("alice")
    mine = api.ok(api.get("alice", f"/cases/{case['id']}"))
    assert mine["id"] == case["id"]


def test_the_window_must_name_an_existing_applicant(api: Api) -> None:
    body = {"matter": "enterprise-establishment", "data": DATA}
    assert "/applicant" in _errors(api.post("win", "/cases", body))
    assert "/applicant" in _errors(api.post("win", "/cases", {**body, "applicant": "nobody"}))
    assert "/applicant" in _errors(api.post("win", "/cases", {**body, "applicant": "sup"}))


def test_an_applicant_cannot_apply_for_someone_else(api: Api) -> None:
    api.headers("bob")
    response = api.post("alice", "/cases", {"matter": "enterprise-establishment",
                                            "data": DATA, "applicant": "bob"})
    assert response.status_code == 403


def test_invalid_answers_are_400_with_a_pointer_per_field(api: Api) -> None:
    data = {**DATA, "registered_capital": -1,
            "legal_representative": {**DATA["legal_representative"], "mobile": "12345"}}
    del data["company_name"]
    errors = _errors(api.post("alice", "/cases", {"matter": "enterprise-establishment",
                                                  "data": data, "materials": {}}))
    assert {"/company_name", "/registered_capital", "/legal_representative/mobile",
            "/materials/articles"} <= set(errors)
    assert api.ok(api.get("alice", "/cases")) == []  # nothing is kept


def test_someone_else_s_file_cannot_be_used(api: Api) -> None:
    theirs = api.upload("bob", "a.pdf", PDF)
    response = api.post("alice", "/cases", {"matter": "enterprise-establishment", "data": DATA,
                                            "materials": {"articles": [theirs]}})
    assert "/materials/articles" in _errors(response)


def test_an_unknown_matter_is_404(api: Api) -> None:
    response = api.post("alice", "/cases", {"matter": "no-such-matter", "data": {}})
    assert response.status_code == 404


# -- reading and listing -------------------------------------------------------------


def test_another_applicant_s_case_is_404(api: Api) -> None:
    case = api.apply("alice")
    response = api.get("bob", f"/cases/{case['id']}")
    assert response.status_code == 404 and response.json()["error"] == "not_found"
    assert api.get("alice", "/cases/c_000000000000").status_code == 404


def test_a_department_sees_a_case_only_once_it_has_a_task(api: Api) -> None:
    case = api.apply("alice")
    assert api.get("amr1", f"/cases/{case['id']}").status_code == 404
    api.ok(api.post("win", f"/cases/{case['id']}/accept"))
    assert api.get("amr1", f"/cases/{case['id']}").status_code == 200
    assert api.get("drc1", f"/cases/{case['id']}").status_code == 404


def test_an_applicant_lists_only_their_own_cases(api: Api) -> None:
    mine = api.apply("alice")
    api.apply("bob")
    assert [c["id"] for c in api.ok(api.get("alice", "/cases"))] == [mine["id"]]
    assert len(api.ok(api.get("win", "/cases"))) == 2


def test_lists_page_filter_and_count(api: Api, clock: Any) -> None:
    ids = []
    for _ in range(3):
        ids.append(api.apply("alice")["id"])
        clock.now += timedelta(minutes=1)
    api.ok(api.post("win", f"/cases/{ids[0]}/accept"))
    response = api.get("win", "/cases", params={"limit": 2, "offset": 0})
    assert response.headers["x-total-count"] == "3" and len(response.json()) == 2
    assert "events" not in response.json()[0]
    rest = api.get("win", "/cases", params={"limit": 2, "offset": 2}).json()
    assert len(rest) == 1
    running = api.get("sup", "/cases", params={"status": "in_progress"})
    assert [c["id"] for c in running.json()] == [ids[0]]
    assert running.headers["x-total-count"] == "1"
    both = api.get("win", "/cases", params=[("status", "in_progress"), ("status", "submitted")])
    assert both.headers["x-total-count"] == "3"
    assert api.get("win", "/cases?status=in_progress,submitted").headers["x-total-count"] == "3"


def test_a_department_has_no_case_list(api: Api) -> None:
    assert api.get("amr1", "/cases").status_code == 403


# -- the window -------------------------------------------------------------------------


def test_accept_numbers_the_case_and_twice_is_409(api: Api) -> None:
    case = api.apply("alice")
    accepted = api.ok(api.post("win", f"/cases/{case['id']}/accept"))
    assert accepted["number"] == "ZW20261130000001" and accepted["accepted_at"]
    again = api.post("win", f"/cases/{case['id']}/accept")
    assert again.status_code == 409 and again.json()["error"] == "conflict"
    second = api.ok(api.post("win", f"/cases/{api.apply('bob')['id']}/accept"))
    assert second["number"] == "ZW20261130000002"


def test_accept_with_a_deferred_material(api: Api) -> None:
    case = api.apply("alice")
    body = {"matter": "enterprise-establishment", "data": DATA, "materials": {
        m: ids for m, ids in case["materials"].items() if m != "premises"}}
    case = api.ok(api.post("alice", "/cases", body), 201)
    refused = api.post("win", f"/cases/{case['id']}/accept")
    assert "/materials/premises" in _errors(refused)
    bad = api.post("win", f"/cases/{case['id']}/accept", {"deferred": ["articles"]})
    assert bad.status_code == 400
    case = api.ok(api.post("win", f"/cases/{case['id']}/accept", {"deferred": ["premises"]}))
    assert [d["material"] for d in case["deferred"]] == ["premises"]
    assert case["deferred"][0]["supplied"] is False


def test_supplement_then_answer_then_accept(api: Api) -> None:
    case = api.apply("alice")
    url = f"/cases/{case['id']}"
    empty = api.post("win", f"{url}/supplement", {"items": []})
    assert empty.status_code == 400
    case = api.ok(api.post("win", f"{url}/supplement", {"items": [
        {"field": "company_name", "reason": "名称未经自主申报"},
        {"material": "articles", "reason": "章程缺少股东签名"}]}))
    assert case["status"] == "supplement_requested"
    assert len(case["supplement"]["items"]) == 2
    assert api.post("win", f"{url}/accept").status_code == 409
    unlisted = api.post("alice", f"{url}/supplement-answer",
                        {"data": {**DATA, "address": "云川市新城区锦程路20号"}})
    assert "/address" in _errors(unlisted)
    fixed = api.upload("alice", "章程.pdf", PDF)
    case = api.ok(api.post("alice", f"{url}/supplement-answer", {
        "data": {**DATA, "company_name": "云川市青禾农业发展有限公司"},
        "materials": {**case["materials"], "articles": [fixed]}}))
    assert case["status"] == "submitted" and case["supplement"] is None
    assert case["holder"] == "云川市青禾农业发展有限公司"
    assert api.ok(api.post("win", f"{url}/accept"))["status"] == "in_progress"


def test_refuse_needs_a_reason(api: Api) -> None:
    case = api.apply("alice")
    url = f"/cases/{case['id']}/refuse"
    assert "/reason" in _errors(api.post("win", url, {"reason": ""}))
    assert "/reason" in _errors(api.post("win", url, {"reason": 5}))
    case = api.ok(api.post("win", url, {"reason": "经营范围涉及前置许可，未取得许可文件"}))
    assert case["status"] == "refused" and case["closed_at"]
    assert api.post("win", url, {"reason": "again"}).status_code == 409


def test_pre_review_records_a_note(api: Api) -> None:
    case = api.apply("alice")
    case = api.ok(api.post("win", f"/cases/{case['id']}/pre-review", {"note": "材料齐全"}))
    assert case["status"] == "submitted"
    assert case["notes"][-1]["note"] == "材料齐全"


def test_deliver_before_the_outcome_is_409(api: Api) -> None:
    case = api.accepted("alice")
    response = api.post("win", f"/cases/{case['id']}/deliver")
    assert response.status_code == 409


@pytest.mark.parametrize("path, body", [
    ("accept", None), ("supplement", {"items": [{"field": "address", "reason": "x"}]}),
    ("refuse", {"reason": "x"}), ("deliver", None), ("pre-review", {"note": "x"}),
])
def test_window_actions_are_the_window_s(api: Api, path: str, body: Any) -> None:
    case = api.apply("alice")
    assert api.post("alice", f"/cases/{case['id']}/{path}", body).status_code == 403
    assert api.post("bob", f"/cases/{case['id']}/{path}", body).status_code == 404


# -- the applicant ---------------------------------------------------------------------


def test_withdraw_cancels_open_tasks(api: Api) -> None:
    case = api.accepted("alice")
    url = f"/cases/{case['id']}/withdraw"
    assert api.post("win", url, {"reason": "x"}).status_code == 403
    assert api.post("bob", url, {"reason": "x"}).status_code == 404
    case = api.ok(api.post("alice", url, {"reason": "暂不开办"}))
    assert case["status"] == "withdrawn"
    assert {t["status"] for t in case["tasks"] if t["status"] != "skipped"} == {"cancelled"}
    assert api.post("alice", url).status_code == 409
