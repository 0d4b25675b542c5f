"""网上咨询 through the API: asked, answered by the lead department, published in the FAQ."""

from __future__ import annotations

from tests.runtime.api.conftest import Api

MATTER = "enterprise-establishment"  # lead: amr


def test_ask_answer_and_publish(api: Api) -> None:
    asked = api.ok(api.post("alice", "/consultations", {"matter": MATTER,
                                                        "question": "外地身份证可以办理吗？"}), 201)
    assert (asked["status"], asked["department"]) == ("asked", "amr")
    assert api.post("alice", "/consultations", {"matter": "nope", "question": "x"}
                    ).status_code == 404
    assert api.post("alice", "/consultations", {"matter": MATTER, "question": " "}
                    ).status_code == 400
    assert api.post("win", "/consultations", {"matter": MATTER, "question": "x"}
                    ).status_code == 403
    second = api.ok(api.post("bob", "/consultations", {"matter": MATTER,
                                                       "question": "需要几个股东？"}), 201)
    assert [q["id"] for q in api.ok(api.get("alice", "/consultations"))] == [asked["id"]]
    assert len(api.ok(api.get("amr1", "/consultations"))) == 2
    assert api.ok(api.get("psb1", "/consultations")) == []
    path = f"/consultations/{asked['id']}/answer"
    assert api.post("psb1", path, {"answer": "x"}).status_code == 404
    done = api.ok(api.post("amr1", path, {"answer": "可以，凭有效身份证件办理。",
                                          "publish": True}))
    assert done["status"] == "answered" and done["published"] is True
    assert api.post("amr1", path, {"answer": "again"}).status_code == 409
    api.ok(api.post("amr1", f"/consultations/{second['id']}/answer", {"answer": "一人即可"}))
    faq = api.ok(api.client.get(f"/api/v1/public/faq?matter={MATTER}"))
    assert faq == [{"question": "外地身份证可以办理吗？", "answer": "可以，凭有效身份证件办理。",
                    "date": faq[0]["date"]}]  # the unpublished answer stays private
    page = api.client.get(f"/matters/{MATTER}")
    assert "外地身份证可以办理吗？" in page.text and "一人即可" not in page.text
