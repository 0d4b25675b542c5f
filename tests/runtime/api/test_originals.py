"""原件核验 over the API: the window records which original it saw; who and when."""

from __future__ import annotations

from tests.runtime.api.conftest import Api


def test_the_window_records_an_original_and_gets_the_record(api: Api) -> None:
    case = api.apply("alice")
    path = f"/cases/{case['id']}/originals"
    record = api.ok(api.post("win", path, {"material": "legal-rep-id"}), 201)
    assert record["case"] == case["id"] and record["material"] == "legal-rep-id"
    assert record["material_name"] == "法定代表人身份证件"
    assert record["by"] == api.user_id("win") and record["by_name"]
    stored = api.ok(api.get("win", f"/cases/{case['id']}"))
    assert stored["originals"]["legal-rep-id"] == {"by": record["by"], "at": record["at"]}
    assert stored["events"][-1]["action"] == "verify_original"

    again = api.post("win", path, {"material": "legal-rep-id"})
    assert again.status_code == 400 and again.json()["details"][0]["pointer"] == "/material"
    assert "原件已经核验登记" in again.json()["message"]
    unmarked = api.post("win", path, {"material": "articles"})
    assert unmarked.status_code == 400 and "无需核验原件" in unmarked.json()["message"]
    assert api.post("win", path, {}).status_code == 400
    assert api.post("alice", path, {"material": "shareholder-id"}).status_code == 403
    assert api.post("amr1", path, {"material": "shareholder-id"}).status_code == 404
    assert api.post("win", "/cases/c_nope/originals",
                    {"material": "shareholder-id"}).status_code == 404
