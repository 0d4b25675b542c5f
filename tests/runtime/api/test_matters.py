"""GET /matters and /matters/{id}: published matters, their definitions and plans."""

from __future__ import annotations

from tests.runtime.api.conftest import Api


def test_lists_every_published_matter(api: Api) -> None:
    matters = api.ok(api.get("alice", "/matters"))
    ids = {m["id"] for m in matters}
    assert "enterprise-establishment" in ids
    assert all(set(m) >= {"id", "name", "version"} for m in matters)
    assert len(ids) == len(api.services.matters.published())


def test_a_matter_has_its_definition_and_plan(api: Api) -> None:
    matter = api.ok(api.get("amr1", "/matters/enterprise-establishment"))
    assert matter["version"] == 1
    assert [m["id"] for m in matter["definition"]["materials"]][:2] == ["articles",
                                                                        "legal-rep-id"]
    assert matter["definition"]["form"]["properties"]["company_name"]["title"] == "企业名称"
    plan = matter["plan"]
    assert plan["matter"] == "enterprise-establishment" and plan["version"] == 1
    assert plan["stages"][0] == ["license"]
    assert set(plan["stages"][1]) == {"seal", "tax", "social-insurance", "housing-fund",
                                      "bank-account"}
    assert plan["parallel_days"] == 1 and plan["serial_days"] == 3
    assert plan["critical_path"][0] == "license"
    assert plan["steps"]["license"] == {"start": 0, "finish": 0.5, "slack": 0, "stage": 0}


def test_an_unknown_matter_is_404(api: Api) -> None:
    response = api.get("alice", "/matters/no-such-matter")
    assert response.status_code == 404 and response.json()["error"] == "not_found"
