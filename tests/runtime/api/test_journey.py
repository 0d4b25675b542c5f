"""A whole enterprise-establishment case through the API, from upload to delivery."""

from __future__ import annotations

from tests.runtime.api.conftest import Api
from tests.runtime.api.samples import DATA, FILES, LICENSE, PARALLEL


def test_enterprise_establishment_from_upload_to_delivery(api: Api) -> None:
    materials = {}
    for material, (name, blob) in FILES.items():
        response = api.post("alice", "/files", files={"file": (name, blob)},
                            data={"matter": "enterprise-establishment", "material": material})
        uploaded = api.ok(response, 201)
        assert set(uploaded) >= {"id", "sha256", "name", "size", "content_type"}
        assert uploaded["name"] == name and uploaded["size"] == len(blob)
        materials[material] = [uploaded["id"]]

    case = api.ok(api.post("alice", "/cases", {"matter": "enterprise-establishment",
                                               "data": DATA, "materials": materials}), 201)
    assert case["status"] == "submitted" and case["number"] is None
    assert case["matter"] == "enterprise-establishment" and case["matter_version"] == 1
    assert case["holder"] == DATA["company_name"]
    assert "rev" not in case and "schema" not in case
    case_id = case["id"]

    listed = api.ok(api.get("win", "/cases", params={"status": "submitted"}))
    assert [c["id"] for c in listed] == [case_id]

    case = api.ok(api.post("win", f"/cases/{case_id}/accept"))
    assert case["status"] == "in_progress"
    assert case["number"].startswith("ZW20261130")
    license_task = api.task(case, "license")
    assert license_task["status"] == "ready" and license_task["light"] == "green"
    assert license_task["due"] and license_task["ready_at"] == "2026-11-30T09:00:00+08:00"
    assert all(t["status"] == "waiting" and t["light"] is None
               for t in case["tasks"] if t["step"] != "license")

    worklist = api.ok(api.get("amr1", "/tasks", params={"status": "ready"}))
    assert [t["id"] for t in worklist] == [license_task["id"]]
    assert worklist[0]["case_summary"]["number"] == case["number"]
    assert worklist[0]["case_summary"]["holder"] == DATA["company_name"]

    claimed = api.ok(api.post("amr1", f"/tasks/{license_task['id']}/claim"))
    assert claimed["status"] == "claimed" and claimed["claimed_by"] == api.user_id("amr1")
    approved = api.ok(api.post("amr1", f"/tasks/{license_task['id']}/approve",
                               {"data": LICENSE, "opinion": "准予设立登记"}))
    assert approved["status"] == "approved" and approved["light"] is None

    case = api.ok(api.get("alice", f"/cases/{case_id}"))
    ready = {t["step"] for t in case["tasks"] if t["status"] == "ready"}
    assert ready == set(PARALLEL)
    assert {t["ready_at"] for t in case["tasks"] if t["step"] in PARALLEL} == \
        {approved["decision"]["at"]}

    for step, (who, data) in PARALLEL.items():
        task = api.ok(api.get(who, "/tasks"))[0]
        assert task["step"] == step and task["light"] == "green"
        seen = api.ok(api.get(who, f"/cases/{task['case']}"))
        assert seen["outputs"]["license"]["license_no"] == LICENSE["license_no"]
        api.ok(api.post(who, f"/tasks/{task['id']}/claim"))
        api.ok(api.post(who, f"/tasks/{task['id']}/approve", {"data": data}))

    case = api.ok(api.get("win", f"/cases/{case_id}"))
    assert case["status"] == "approved" and case["decided_at"]
    certificates = {c["name"]: c for c in case["certificates"]}
    assert set(certificates) == {"营业执照", "印章", "税务事项通知书"}
    assert certificates["营业执照"]["number"] == LICENSE["license_no"]
    assert certificates["营业执照"]["holder"] == DATA["company_name"]

    case = api.ok(api.post("win", f"/cases/{case_id}/deliver"))
    assert case["status"] == "delivered" and case["closed_at"]
    assert [e["action"] for e in case["events"]][-2:] == ["deliver", "issue_document"]
    assert api.ok(api.get("amr1", "/tasks")) == []
