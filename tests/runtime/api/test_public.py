"""Public query by number and code, and the results announcement — no token."""

from __future__ import annotations

from typing import Any

from runtime.services.public import WRONG_CODES, mask
from tests.runtime.api.conftest import Api
from tests.runtime.api.samples import PARALLEL


def finish(api: Api) -> dict[str, Any]:
    """A case approved by every department (审批通过)."""
    case = api.licensed()
    for step, (who, data) in PARALLEL.items():
        task = next((t for t in case["tasks"] if t["step"] == step
                     and t["status"] == "ready"), None)
        if task is None:
            continue
        api.ok(api.post(who, f"/tasks/{task['id']}/claim"))
        api.ok(api.post(who, f"/tasks/{task['id']}/approve", {"data": data}))
    return dict(api.ok(api.get("alice", f"/cases/{case['id']}")))


def test_the_code_is_made_at_acceptance_and_shown_to_applicant_and_window(api: Api) -> None:
    case = api.accepted()
    code = case["query_code"]
    assert len(code) == 8 and code.isalnum() and code.upper() == code
    assert api.ok(api.get("alice", f"/cases/{case['id']}"))["query_code"] == code
    assert "query_code" not in api.ok(api.get("sup", f"/cases/{case['id']}"))
    assert "query_code" not in api.ok(api.get("amr1", f"/cases/{case['id']}"))
    assert api.accepted()["query_code"] != code


def test_query_by_number_and_code(api: Api) -> None:
    case = api.accepted()
    got = api.client.get(f"/api/v1/public/cases/{case['number']}",
                         params={"code": case["query_code"].lower()})
    body = api.ok(got)
    assert body["number"] == case["number"] and body["status_label"] == "办理中"
    license_row = next(s for s in body["steps"] if s["department"] == "市场监督管理局")
    assert license_row["name"] == "设立登记、核发营业执照" and license_row["status"] == "ready"
    text = got.text
    for personal in ("王小明", "110101199003071233", "13800138000", "青禾", "alice"):
        assert personal not in text
    wrong = api.client.get(f"/api/v1/public/cases/{case['number']}", params={"code": "AAAAAAAA"})
    assert wrong.status_code == 404 and wrong.json()["message"] == "受理编号或查询码不正确"
    assert api.client.get("/api/v1/public/cases/ZW20261130999999",
                          params={"code": "AAAAAAAA"}).status_code == 404


def test_wrong_codes_are_rate_limited(api: Api) -> None:
    case = api.accepted()
    url = f"/api/v1/public/cases/{case['number']}"
    for _ in range(WRONG_CODES):
        assert api.client.get(url, params={"code": "WRONG234"}).status_code == 404
    assert api.client.get(url, params={"code": "WRONG234"}).status_code == 429
    # Even the right code waits: the number is under attack.
    assert api.client.get(url, params={"code": case["query_code"]}).status_code == 429


def test_results_announcement(api: Api) -> None:
    case = finish(api)
    assert case["status"] == "approved"
    rows = api.ok(api.client.get("/api/v1/public/results"))
    assert rows == [{"number": case["number"], "matter": "enterprise-establishment",
                     "matter_name": rows[0]["matter_name"], "holder": "云川市青禾**有限公司",
                     "result": "准予许可", "date": "2026-11-30"}]
    assert api.ok(api.client.get("/api/v1/public/results?month=2026-12")) == []
    assert len(api.ok(api.client.get("/api/v1/public/results?month=2026-11"))) == 1
    bad = api.client.get("/api/v1/public/results?matter=government-investment-project")
    assert bad.status_code == 400 and bad.json()["details"][0]["pointer"] == "/matter"
    assert api.client.get("/api/v1/public/results?month=2026-13").status_code == 400
    api.accepted()  # running: not announced
    assert len(api.ok(api.client.get("/api/v1/public/results"))) == 1


def test_mask() -> None:
    assert mask("云川市青禾农业科技有限公司") == "云川市青禾**有限公司"
    assert mask("王小明") == "王**"
    assert mask("李建国家庭农场") == "李建国**农场"
    assert mask("") == "—"


def test_public_pages_without_sign_in(api: Api) -> None:
    case = finish(api)
    page = api.client.get("/public/query", params={"number": case["number"],
                                                   "code": case["query_code"]})
    assert page.status_code == 200 and "审批通过" in page.text and "市场监督管理局" in page.text
    assert "王小明" not in page.text and "青禾" not in page.text
    wrong = api.client.get("/public/query", params={"number": case["number"], "code": "X"})
    assert wrong.status_code == 404 and "查询码不正确" in wrong.text
    assert api.client.get("/public/query", params={"number": case["number"]}).status_code == 400
    results = api.client.get("/public/results")
    assert results.status_code == 200 and "云川市青禾**有限公司" in results.text
    assert api.client.get("/public/results?month=nope").status_code == 400
