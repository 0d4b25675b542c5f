"""GET /me/notifications and POST /me/notifications/{id}/read (CONTRACT.md)."""

from __future__ import annotations

from tests.runtime.api.conftest import Api


def test_my_notifications_newest_first_and_only_mine_to_mark(api: Api) -> None:
    api.headers("amr1")  # the officer exists before the task becomes ready
    case = api.accepted("alice")
    found = api.ok(api.get("alice", "/me/notifications"))
    assert [n["kind"] for n in found] == ["accepted"]
    notice = found[0]
    assert set(notice) == {"id", "kind", "case", "title", "body", "at", "read"}
    assert notice["case"] == case["id"] and notice["read"] is False
    assert case["number"] in notice["body"]
    listed = api.get("amr1", "/me/notifications")
    assert listed.headers["X-Total-Count"] == "1"
    assert [n["kind"] for n in listed.json()] == ["task_ready"]
    # someone else's notification does not exist for the caller
    stranger = api.post("amr1", f"/me/notifications/{notice['id']}/read")
    assert stranger.status_code == 404 and stranger.json()["error"] == "not_found"
    assert api.get("alice", "/me/notifications").json()[0]["read"] is False
    marked = api.ok(api.post("alice", f"/me/notifications/{notice['id']}/read"))
    assert marked["read"] is True and marked["id"] == notice["id"]
    assert api.get("alice", "/me/notifications").json()[0]["read"] is True
    assert api.post("alice", "/me/notifications/n_" + "0" * 24 + "/read").status_code == 404


def test_later_notifications_come_first(api: Api) -> None:
    case = api.licensed("alice")
    kinds = [n["kind"] for n in api.ok(api.get("alice", "/me/notifications"))]
    assert kinds == ["step_decided", "accepted"]
    assert case["status"] == "in_progress"
    page = api.ok(api.get("alice", "/me/notifications", params={"limit": 1, "offset": 1}))
    assert [n["kind"] for n in page] == ["accepted"]
