"""The supervisors' daily digest counts the complaints filed since the last digest."""

from __future__ import annotations

from datetime import datetime, timedelta

from runtime.services import Services
from tests.runtime.services.test_cases_actors import _user
from tests.runtime.services.test_worker import consenting

__all__ = ["consenting"]


def _digest_job(services: Services) -> dict:
    return next(j for j in services.store.list_jobs() if j["kind"] == "digest")


def test_the_digest_counts_new_complaints_since_the_last_one(consenting: Services) -> None:
    services = consenting
    supervisor = _user(services, "super1", "supervisor")
    applicant = _user(services, "carol1", "applicant")
    services.worker.prepare()
    first = _digest_job(services)
    at = datetime.fromisoformat(first["run_at"])  # 8:00 the next day
    old = services.complaints.file(applicant, "上个月的投诉")
    with services.store.write() as tx:  # filed before the day the first digest covers
        tx.put_record("complaint", old["id"], {
            **old, "created_at": (at - timedelta(days=2)).isoformat()})
    services.complaints.file(applicant, "窗口排队太久")
    services.complaints.file(applicant, "材料退回没有说明理由")
    services.worker.run_once(at)
    [notice] = services.notices.list(supervisor)
    assert notice.body.endswith("新投诉 2 件。")

    second = _digest_job(services)
    assert second["payload"]["since"] == at.isoformat()
    late = services.complaints.file(applicant, "办结后没有收到通知")
    with services.store.write() as tx:  # filed after the first digest went out
        tx.put_record("complaint", late["id"], {
            **late, "created_at": (at + timedelta(hours=1)).isoformat()})
    services.worker.run_once(datetime.fromisoformat(second["run_at"]))
    newest = services.notices.list(supervisor)[0]
    assert newest.id != notice.id and newest.body.endswith("新投诉 1 件。")
