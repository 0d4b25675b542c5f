"""The calendar editor over HTTP: CSRF required, bad input answered in Chinese with the
right status and nothing written, an edit published (a job for the deadlines)."""

from __future__ import annotations

from pathlib import Path

from tests.runtime.web.test_admin import admin_app

__all__ = ["admin_app"]


def test_calendar_forms(admin_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client, services, token = admin_app
    path = tmp_path / "catalog" / "calendar.yaml"
    before = path.read_text(encoding="utf-8")
    page = client.get("/admin/calendar")
    assert page.status_code == 200 and "2027 年" in page.text and "通知未发布" in page.text
    forged = client.post("/admin/calendar/set_year", data={
        "year": "2027", "status": "published", "source": "x"})
    assert forged.status_code == 403
    bad = client.post("/admin/calendar/add_day", data={
        "year": "2027", "kind": "holidays", "date": "2027-01-01", "name": "元旦",
        "_csrf": token})
    assert bad.status_code == 400 and 'role="alert">该年通知未发布：请先将状态设为' in bad.text
    assert path.read_text(encoding="utf-8") == before
    client.post("/admin/calendar/set_year", data={
        "year": "2027", "status": "published", "source": "国务院办公厅通知", "_csrf": token})
    bad = client.post("/admin/calendar/add_day", data={
        "year": "2027", "kind": "holidays", "date": "2027-13-01", "name": "<b>元旦</b>",
        "_csrf": token})
    assert bad.status_code == 400 and 'role="alert">日期格式须为 YYYY-MM-DD' in bad.text
    assert "<b>元旦</b>" not in bad.text  # escaped
    assert path.read_text(encoding="utf-8") != before  # only the status change is written
    done = client.post("/admin/calendar/add_day", data={
        "year": "2027", "kind": "holidays", "date": "2027-01-01", "name": "元旦",
        "_csrf": token}, follow_redirects=False)
    assert done.status_code == 303
    assert "2027-01-01" in path.read_text(encoding="utf-8")
    assert any(j["kind"] == "recalendar" for j in services.store.list_jobs())
    missing = client.post("/admin/calendar/remove_day", data={
        "year": "2027", "kind": "workdays", "date": "2027-01-01", "_csrf": token})
    assert missing.status_code == 404 and "2027-01-01 不在该年的调休上班日中" in missing.text
    unknown = client.post("/admin/calendar/jump", data={"_csrf": token})
    assert unknown.status_code == 404
