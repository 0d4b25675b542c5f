"""Defects users found on a first day at the centre (issue 11): walk-in intake, live
conditions, supplements, deferred materials, urging, the audit trail, buttons."""

from __future__ import annotations

import re
from collections.abc import Callable

from runtime.services import Services
from tests.runtime.web.conftest import Clock
from tests.runtime.web.samples import FILES, multipart_files
from tests.runtime.web.test_workspaces import (
    LICENSE_NO,
    Person,
    _submitted_case,
    _task_id,
    people,
)

__all__ = ["people"]
MATTER = "enterprise-establishment"


def _walk_in(window: Person, **values: str):  # type: ignore[no-untyped-def]
    return window.post("/window/walk-in", data={"matter": MATTER, **values})


def test_walk_in_asks_a_valid_id_number_and_keeps_form_defaults(
        people: Callable[[str], Person], services: Services) -> None:
    window = people("window1")
    bad = _walk_in(window, display_name="李四", phone="1381234", id_number="110101199003071235")
    assert bad.status_code == 400
    assert "11 位中国大陆手机号码" in bad.text and "居民身份证号码" in bad.text
    made = _walk_in(window, display_name="李四", phone="13812345678",
                    id_number="11010519491231002X")
    # the one-time password is shown on the page once, never kept in the cookie
    assert made.status_code == 200 and "初始密码" in made.text
    assert "初始密码" not in window.get("/window").text
    case_id = re.search(r"/my/cases/(c_[0-9a-f]+)/edit", made.text).group(1)
    case = services.store.get_case(case_id)
    # the form's defaults are filled in, as on an online application
    assert case["data"]["needs_seal"] is True and case["data"]["seal_count"] == 5
    visitor = services.store.get_user(case["applicant"])
    assert visitor["role"] == "applicant" and visitor["id_number"] == "11010519491231002X"
    assert visitor["must_change_password"] is True
    again = _walk_in(window, display_name="李四", phone="13812345678",
                     id_number="11010519491231002X")  # comes back: the same account
    assert again.status_code == 303
    second = re.search(r"(c_[0-9a-f]+)", again.headers["location"]).group(1)
    assert services.store.get_case(second)["applicant"] == visitor["id"]
    assert case["entered_by"] == services.store.get_user_by_name("window1")["id"]
    edit = window.get(f"/my/cases/{case_id}/edit").text
    assert re.search(r'name="needs_seal" value="true"[^>]*checked', edit), "radio unselected"
    assert re.search(r'id="f-seal_count"[^>]*value="5"', edit), "number emptied"


def test_the_window_declares_for_the_applicant_not_as_them(
        people: Callable[[str], Person], services: Services) -> None:
    window = people("window1")
    made = _walk_in(window, display_name="李四", phone="13812345678",
                    id_number="11010519491231002X")
    case_id = re.search(r"/my/cases/(c_[0-9a-f]+)/edit", made.text).group(1)
    review = window.get(f"/my/cases/{case_id}/review")
    # the draft is not complete yet: the review page sends the clerk back to the form
    page = review.text if review.status_code == 200 else ""
    assert "本人承诺" not in page


def test_a_conditional_field_shown_again_gets_its_default(
        people: Callable[[str], Person]) -> None:
    applicant = people("applicant1")
    live = applicant.post(f"/forms/{MATTER}/1/live",
                          data={"needs_seal": "true", "_shown": "pre_approval_name"})
    assert re.search(r'id="f-seal_count"[^>]*value="5"', live.text), live.text[:2000]


def test_the_window_cannot_attach_or_edit_another_applicants_work(
        people: Callable[[str], Person], services: Services) -> None:
    applicant, window = people("applicant1"), people("window1")
    draft = applicant.post(f"/apply/{MATTER}", data={"company_name": "甲公司",
                                                     "_action": "save"})
    case_id = re.search(r"(c_[0-9a-f]+)", draft.headers["location"]).group(1)
    # an online applicant's draft is not the window's to edit
    edited = window.post(f"/my/cases/{case_id}/edit", data={"company_name": "乙公司",
                                                            "_action": "save"})
    assert edited.status_code == 303 and "/edit" not in edited.headers["location"]
    case = services.store.get_case(case_id)
    assert case["data"]["company_name"] == "甲公司" and len(case["events"]) == 1
    assert "继续代录" not in window.get(f"/window/cases/{case_id}").text


def test_supplement_must_bring_every_listed_file(people: Callable[[str], Person],
                                                 services: Services) -> None:
    applicant, window = people("applicant1"), people("window1")
    case_id = _submitted_case(applicant)
    asked = window.post(f"/window/cases/{case_id}/supplement", data={
        "item": ["material:articles"], "reason:material:articles": "未签字"})
    assert asked.status_code == 303
    notice = applicant.get(f"/cases/{case_id}").text
    assert "公司章程" in notice and "articles" not in re.sub(r"<[^>]+>", " ", notice)
    empty = applicant.post(f"/my/cases/{case_id}/supplement", data={"_action": "submit"})
    assert empty.status_code == 400 and "补正通知要求重新提交“公司章程" in empty.text
    assert services.store.get_case(case_id)["status"] == "supplement_requested"
    files = multipart_files({"articles": FILES["articles"]})
    done = applicant.post(f"/my/cases/{case_id}/supplement", data={"_action": "submit"},
                          files=files)
    assert done.status_code == 303, done.text[-2000:]
    assert services.store.get_case(case_id)["status"] == "submitted"


def test_deliver_is_not_offered_while_a_deferred_material_is_owed(
        people: Callable[[str], Person], services: Services) -> None:
    applicant, window = people("applicant1"), people("window1")
    case_id = _submitted_case(applicant, without=("premises",))
    assert window.post(f"/window/cases/{case_id}/accept",
                       data={"deferred": "premises"}).status_code == 303
    receipt = window.get(f"/cases/{case_id}/receipt").text
    assert "部分材料按容缺受理办理" in receipt and "申请材料齐全、符合法定形式" not in receipt
    assert "住所（经营场所）使用证明" in receipt and "premises" not in receipt.replace(
        'id="', "")
    page = applicant.get(f"/cases/{case_id}").text
    assert "尚需补交的材料" in page and 'name="material:premises"' in page


def test_audit_names_people_and_shows_changes(people: Callable[[str], Person],
                                              services: Services, clock: Clock) -> None:
    applicant, window, amr, supervisor = (people(n) for n in (
        "applicant1", "window1", "amr1", "super1"))
    case_id = _submitted_case(applicant)
    window.post(f"/window/cases/{case_id}/accept")
    task = _task_id(amr)
    amr.post(f"/tasks/{task}/claim")
    page = supervisor.get(f"/supervision/cases/{case_id}").text
    assert "amr1（市场监督管理局）" in page and "window1" in page
    assert "u_" not in re.sub(r"<[^>]+>", " ", page)  # no user ids in front of people
    assert "企业名称" in page  # old/new values of the answers, by title
    text = re.sub(r"<[^>]+>", " ", page)
    assert "法定代表人·姓名" in text and "True" not in text and "{'" not in text
    empty = supervisor.post(f"/supervision/tasks/{task}/urge", data={"note": "",
                                                                      "case": case_id})
    assert empty.status_code == 400 and "请填写说明" in empty.text
    assert not services.store.get_case(case_id)["tasks"][0]["urges"]


def test_pages_draw_only_the_buttons_the_engine_allows(people: Callable[[str], Person]) -> None:
    applicant, window, amr = people("applicant1"), people("window1"), people("amr1")
    case_id = _submitted_case(applicant)
    window.post(f"/window/cases/{case_id}/accept")
    task = _task_id(amr)
    page = amr.get(f"/tasks/{task}").text
    assert f"/tasks/{task}/claim" in page and f"/tasks/{task}/approve" not in page
    amr.post(f"/tasks/{task}/claim")
    page = amr.get(f"/tasks/{task}").text
    assert f"/tasks/{task}/claim" not in page and f"/tasks/{task}/approve" in page
    assert f"/tasks/{task}/resume" not in page
    # the window offers no acceptance once the case runs
    assert f"/window/cases/{case_id}/accept" not in window.get(f"/window/cases/{case_id}").text


def test_a_deferred_material_is_due_as_the_matter_says(people: Callable[[str], Person],
                                                      services: Services) -> None:
    """Defect: the receipt said 2 days where the notice says 30 days after the licence."""
    applicant, window, amr = people("applicant1"), people("window1"), people("amr1")
    case_id = _submitted_case(applicant, without=("premises",))
    window.post(f"/window/cases/{case_id}/accept", data={"deferred": "premises"})
    owed = services.store.get_case(case_id)["deferred"]
    assert owed == [{"material": "premises", "due": None, "supplied": False,
                     "after": "license", "days": 30}]
    receipt = window.get(f"/cases/{case_id}/receipt").text
    assert "“设立登记、核发营业执照”办结后 30 日内" in receipt
    task = _task_id(amr)
    amr.post(f"/tasks/{task}/claim")
    done = amr.post(f"/tasks/{task}/approve", data={
        "step.license_no": LICENSE_NO, "step.established_on": "2026-11-30"})
    assert done.status_code == 303, done.text[-1500:]
    page = applicant.get(f"/cases/{case_id}").text
    assert "2026-12-30 前补交" in page  # decided on 2026-11-30, plus 30 days
