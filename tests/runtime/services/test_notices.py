"""Notifications are written in the same batch as the change that causes them, to the
right people, in Chinese with titles (never ids), once per event and person."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.services import Invalid, NotFound, Services, User
from tests.runtime.services.conftest import Opener
from tests.runtime.services.test_cases_actors import _submitted, _user


def _officer(services: Services, name: str, department: str) -> User:
    return services.accounts.create_user(name, "pw-" + name + "-long", "department",
                                         department=department, display_name=name)


def _kinds(services: Services, user: User) -> list[str]:
    return [n.kind for n in services.notices.list(user)]


@pytest.fixture
def people(services: Services) -> dict[str, User]:
    return {"applicant": _user(services, "alice1", "applicant"),
            "window": _user(services, "window1", "window"),
            "amr": _officer(services, "amr001", "amr"), "amr2": _officer(services, "amr002", "amr"),
            "psb": _officer(services, "psb001", "psb"),
            "supervisor": _user(services, "super1", "supervisor")}


def test_acceptance_tells_the_applicant_and_the_ready_departments(
        services: Services, people: dict[str, User]) -> None:
    case = _submitted(services, people["applicant"])
    assert _kinds(services, people["applicant"]) == []  # submitting tells nobody
    case = services.cases.accept(people["window"], case["id"], deferred=["premises"])
    [accepted] = services.notices.list(people["applicant"])
    assert accepted.kind == "accepted" and accepted.case == case["id"]
    assert case["number"] in accepted.body and "企业开办" in accepted.body
    assert not accepted.read and services.notices.unread(people["applicant"]) == 1
    ready = services.notices.list(people["amr"])
    assert [n.kind for n in ready] == ["task_ready"]
    assert "设立登记、核发营业执照" in ready[0].body and "市场监督管理局" in ready[0].body
    assert "license" not in ready[0].body and "amr" not in ready[0].body  # titles, not ids
    assert _kinds(services, people["amr2"]) == ["task_ready"]
    assert _kinds(services, people["psb"]) == []  # 印章刻制 waits for the licence
    assert _kinds(services, people["window"]) == []  # who acted is not told


def test_a_supplement_lists_every_item_by_title_and_a_refusal_its_reason(
        services: Services, people: dict[str, User]) -> None:
    case = _submitted(services, people["applicant"])
    services.cases.request_supplement(people["window"], case["id"], [
        {"material": "articles", "reason": "缺少股东签字"},
        {"field": "company_name", "reason": "名称与核准不符"}])
    [notice] = services.notices.list(people["applicant"])
    assert notice.kind == "supplement_requested"
    assert "公司章程（全体股东签署）：缺少股东签字" in notice.body
    assert "名称与核准不符" in notice.body and "articles" not in notice.body
    services.cases.refuse(people["window"], case["id"], "申请事项不属于本中心受理范围")
    assert services.notices.list(people["applicant"])[0].kind == "refused"
    assert "不属于本中心受理范围" in services.notices.list(people["applicant"])[0].body


def test_a_rejection_tells_the_applicant_and_the_lead_department(
        services: Services, people: dict[str, User]) -> None:
    case = _submitted(services, people["applicant"])
    case = services.cases.accept(people["window"], case["id"], deferred=["premises"])
    licence = next(t for t in case["tasks"] if t["step"] == "license")
    services.tasks.claim(people["amr"], licence["id"])
    services.tasks.transfer(people["amr"], licence["id"], people["amr2"].id)
    assert _kinds(services, people["amr2"]) == ["task_transferred", "task_ready"]
    services.tasks.urge(people["supervisor"], licence["id"], "请今日办结")
    assert _kinds(services, people["amr2"])[0] == "task_urged"
    assert _kinds(services, people["amr"]) == ["task_ready"]  # the holder is urged, not all
    services.tasks.reject(people["amr2"], licence["id"], "经营范围涉及前置许可")
    kinds = _kinds(services, people["applicant"])
    assert kinds[:2] == ["rejected", "step_decided"] or kinds[:2] == ["step_decided", "rejected"]
    rejected = next(n for n in services.notices.list(people["applicant"]) if n.kind == "rejected")
    assert "经营范围涉及前置许可" in rejected.body
    assert _kinds(services, people["amr"])[0] == "lead_rejected"  # amr leads this matter
    assert "lead_rejected" not in _kinds(services, people["amr2"])  # who rejected knows


def test_a_failed_change_writes_no_notification(services: Services,
                                                people: dict[str, User]) -> None:
    case = _submitted(services, people["applicant"])
    with pytest.raises(Invalid):  # premises missing and not deferred: refused by the engine
        services.cases.accept(people["window"], case["id"])
    assert services.notices.count(people["applicant"]) == 0
    assert services.notices.count(people["amr"]) == 0


def test_only_its_recipient_reads_or_marks_a_notification(services: Services,
                                                          people: dict[str, User]) -> None:
    case = _submitted(services, people["applicant"])
    services.cases.accept(people["window"], case["id"], deferred=["premises"])
    [notice] = services.notices.list(people["applicant"])
    with pytest.raises(NotFound):
        services.notices.mark_read(people["amr"], notice.id)
    assert services.notices.unread(people["applicant"]) == 1
    assert services.notices.mark_read(people["applicant"], notice.id).read
    assert services.notices.unread(people["applicant"]) == 0


def test_the_centre_edits_the_texts_in_the_catalog(opener: Opener, catalog_dir: Path) -> None:
    (catalog_dir / "notifications.yaml").write_text(
        "templates:\n  accepted:\n    body: 【云川政务】{matter} 已受理，编号 {number}。\n",
        encoding="utf-8")
    services = opener.open()
    applicant = _user(services, "alice1", "applicant")
    window = _user(services, "window1", "window")
    case = services.cases.accept(window, _submitted(services, applicant)["id"],
                                 deferred=["premises"])
    [notice] = services.notices.list(applicant)
    name = services.matters.current("enterprise-establishment").name
    assert notice.body == f"【云川政务】{name} 已受理，编号 {case['number']}。"
    assert notice.title == "办件已受理"  # what the file leaves out keeps the default


def test_channels_are_on_until_turned_off(services: Services, people: dict[str, User]) -> None:
    applicant = people["applicant"]
    assert services.notices.channels(applicant) == {"email": True, "sms": True}
    services.notices.set_channels(applicant, {"email": True})
    assert services.notices.channels(applicant) == {"email": True, "sms": False}
