"""Window, department and supervisor pages over HTTP: one joint case, end to end."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from starlette.testclient import TestClient

from runtime.services.container import Services
from tests.runtime.web.conftest import PASSWORD, Clock, csrf_of
from tests.runtime.web.samples import ANSWERS, FILES, multipart_files

LICENSE_NO = "91530100MA6K2Y7X37"


class Person:
    """One signed-in browser: its own cookie jar and CSRF token."""

    def __init__(self, app, name: str) -> None:  # type: ignore[no-untyped-def]
        self.client = TestClient(app, base_url="http://testserver")
        self.client.__enter__()
        token = csrf_of(self.client.get("/login").text)
        response = self.client.post("/login", data={"name": name, "password": PASSWORD,
                                                    "_csrf": token}, follow_redirects=False)
        assert response.status_code == 303, response.text
        self.token = csrf_of(self.client.get("/").text)

    def get(self, url: str, **kw):  # type: ignore[no-untyped-def]
        return self.client.get(url, **kw)

    def post(self, url: str, data: dict | None = None, **kw):  # type: ignore[no-untyped-def]
        return self.client.post(url, data={**(data or {}), "_csrf": self.token},
                                follow_redirects=False, **kw)


@pytest.fixture
def people(app, make_user: Callable[..., str]) -> Iterator[Callable[[str], Person]]:  # type: ignore[no-untyped-def]
    made: list[Person] = []
    roles = {"applicant1": ("applicant", None), "window1": ("window", None),
             "amr1": ("department", "amr"), "psb1": ("department", "psb"),
             "tax1": ("department", "tax"), "hrss1": ("department", "hrss"),
             "hf1": ("department", "hf"), "super1": ("supervisor", None)}

    def person(name: str) -> Person:
        role, department = roles[name]
        make_user(name, role, department)
        made.append(Person(app, name))
        return made[-1]
    yield person
    for p in made:
        p.client.__exit__(None, None, None)


def _submitted_case(applicant: Person, without: tuple[str, ...] = ()) -> str:
    files = multipart_files({k: v for k, v in FILES.items() if k not in without})
    response = applicant.post("/apply/enterprise-establishment",
                              data={**ANSWERS, "_action": "review"}, files=files)
    assert response.status_code == 303, response.text
    case_id = re.search(r"(c_[0-9a-f]+)", response.headers["location"]).group(1)
    done = applicant.post(f"/my/cases/{case_id}/submit", data={"declare": "yes"})
    assert done.status_code == 303
    return case_id


def _task_id(person: Person, view: str = "ready") -> str:
    html = person.get(f"/tasks?view={view}").text
    match = re.search(r'href="/tasks/(t_[^"]+)"', html)
    assert match, html
    return match.group(1)


def test_joint_case_through_every_workspace(people: Callable[[str], Person],
                                            services: Services, clock: Clock) -> None:
    applicant, window = people("applicant1"), people("window1")
    amr, psb, tax, hrss, hf, supervisor = (people(n) for n in (
        "amr1", "psb1", "tax1", "hrss1", "hf1", "super1"))
    case_id = _submitted_case(applicant, without=("premises",))

    queue = window.get("/window").text
    assert case_id in queue and "待受理" in queue
    page = window.get(f"/window/cases/{case_id}").text
    assert "云川市青禾农业科技有限公司" in page and "受理并分送各部门" in page
    assert 'src="/cases/' in page and "/preview" in page  # materials viewable in place
    accepted = window.post(f"/window/cases/{case_id}/accept", data={"deferred": "premises"})
    assert accepted.status_code == 303, accepted.text[accepted.text.find("accept-h"):][:1500]
    case = services.store.get_case(case_id)
    assert case["status"] == "in_progress" and case["number"].startswith("ZW20261130")
    receipt = window.get(f"/cases/{case_id}/receipt").text
    assert receipt.count("受理通知书") >= 2 and case["number"] in receipt
    assert "第一联" in receipt and "第二联" in receipt and "容缺受理" in receipt
    # the applicant's copy carries a QR code of the public query page with number and code
    assert receipt.count('class="receipt-qr"') == 1 and "扫码查询办理进度" in receipt
    assert services.documents.query_qr(case) in receipt
    assert services.documents.query_qr({**case, "query_code": "X"}) not in receipt

    # only the licence step is ready; the others wait for it
    assert "暂无任务" in psb.get("/tasks?view=ready").text
    task_id = _task_id(amr)
    ready_page = amr.get(f"/tasks/{task_id}")
    assert ready_page.status_code == 200 and "签收" in ready_page.text, ready_page.text[-3000:]
    assert amr.post(f"/tasks/{task_id}/claim").status_code == 303
    bad = amr.post(f"/tasks/{task_id}/approve", data={"step.license_no": "123"})
    assert bad.status_code == 400 and "统一社会信用代码" in bad.text
    ok = amr.post(f"/tasks/{task_id}/approve",
                  data={"step.license_no": LICENSE_NO, "step.established_on": "2026-11-30",
                        "opinion": "符合设立条件"})
    assert ok.status_code == 303, ok.text

    # every parallel department sees the licence number without typing it
    for person in (psb, tax, hrss, hf):
        tid = _task_id(person)
        page = person.get(f"/tasks/{tid}").text
        assert LICENSE_NO in page, person
        assert "上游环节提供的信息" in page
        assert person.post(f"/tasks/{tid}/claim").status_code == 303
    # another department's task is not found
    assert tax.get(f"/tasks/{task_id}").status_code == 404

    supervisor_board = supervisor.get("/supervision").text
    assert case["number"] in supervisor_board
    page = supervisor.get(f"/supervision/cases/{case_id}").text
    assert "<svg" in page and 'data-state="approved"' in page and "审计记录" in page
    tax_task = _task_id(tax, "mine")
    assert supervisor.post(f"/supervision/tasks/{tax_task}/urge",
                           data={"note": "请今日办结"}).status_code == 303
    assert "督办：请今日办结" in tax.get("/tasks?view=mine").text

    forms = {"psb1": {"step.seal_maker": "云川市安信印章有限公司", "step.seal_count": "5"},
             "tax1": {"step.tax_office": "云川市新城区税务局第一税务所"},
             "hrss1": {"step.si_unit_no": "5301000012345"},
             "hf1": {"step.hf_account_no": "530100123456"}}
    for person, name in ((psb, "psb1"), (tax, "tax1"), (hrss, "hrss1"), (hf, "hf1")):
        tid = _task_id(person, "mine")
        response = person.post(f"/tasks/{tid}/approve", data={**forms[name], "opinion": "同意"})
        assert response.status_code == 303, (name, response.text[-2000:])
    case = services.store.get_case(case_id)
    assert case["status"] == "approved", [t["status"] for t in case["tasks"]]
    assert [c["name"] for c in case["certificates"]] and case["certificates"][0]["number"] == \
        LICENSE_NO
    certificates = window.get(f"/cases/{case_id}/certificates").text
    assert "营业执照" in certificates and LICENSE_NO in certificates

    blocked = window.post(f"/window/cases/{case_id}/deliver")
    assert blocked.status_code in (400, 409)  # the deferred material is still missing
    pdf = multipart_files()[0][1]
    supplied = window.post(f"/window/cases/{case_id}/deferred",
                           files=[("material:premises", pdf)])
    assert supplied.status_code == 303, supplied.text
    assert window.post(f"/window/cases/{case_id}/deliver").status_code == 303
    assert services.store.get_case(case_id)["status"] == "delivered"
    assert "已办结" in applicant.get(f"/my/cases/{case_id}").text
    # the delivered case's licence task is still on amr's "已办结" list
    assert f'href="/tasks/{task_id}"' in amr.get("/tasks?view=done").text


def test_supplement_notice_and_answer(people: Callable[[str], Person],
                                      services: Services) -> None:
    applicant, window = people("applicant1"), people("window1")
    case_id = _submitted_case(applicant)
    missing_reason = window.post(f"/window/cases/{case_id}/supplement",
                                 data={"item": ["field:address", "material:articles"],
                                       "reason:field:address": "门牌号不完整"})
    assert missing_reason.status_code == 400 and "缺少补正原因" in missing_reason.text
    response = window.post(f"/window/cases/{case_id}/supplement",
                           data={"item": ["field:address", "material:articles"],
                                 "reason:field:address": "门牌号不完整",
                                 "reason:material:articles": "缺少全体股东签字"})
    assert response.status_code == 303
    notice = window.get(f"/window/cases/{case_id}/supplement-notice").text
    assert "门牌号不完整" in notice and "缺少全体股东签字" in notice and "公司章程" in notice
    page = applicant.get(f"/my/cases/{case_id}/supplement").text
    assert "门牌号不完整" in page and 'name="address"' in page
    assert 'name="company_name"' not in page  # only what was asked
    answered = applicant.post(
        f"/my/cases/{case_id}/supplement",
        data={"address": "云川市新城区锦程路18号2栋3单元1206室", "_action": "submit"},
        files=[("material:articles", multipart_files()[0][1])])
    assert answered.status_code == 303, answered.text
    case = services.store.get_case(case_id)
    assert case["status"] == "submitted" and case["data"]["address"].endswith("1206室")


def test_refusal_and_rejection(people: Callable[[str], Person], services: Services) -> None:
    applicant, window, amr = people("applicant1"), people("window1"), people("amr1")
    case_id = _submitted_case(applicant)
    assert window.post(f"/window/cases/{case_id}/refuse", data={"reason": ""}).status_code \
        == 400
    other = _submitted_case(applicant, without=("premises",))
    assert window.post(f"/window/cases/{case_id}/refuse",
                       data={"reason": "不属于本中心受理范围"}).status_code == 303
    assert services.store.get_case(case_id)["status"] == "refused"
    window.post(f"/window/cases/{other}/accept", data={"deferred": "premises"})
    tid = _task_id(amr)
    amr.post(f"/tasks/{tid}/claim")
    assert amr.post(f"/tasks/{tid}/reject", data={"reason": "名称与已登记企业相同"}).status_code \
        == 303
    case = services.store.get_case(other)
    assert case["status"] == "rejected"
    assert {t["status"] for t in case["tasks"] if t["step"] != "license"} <= {
        "cancelled", "skipped"}


def test_roles_stay_on_their_pages(people: Callable[[str], Person]) -> None:
    applicant, amr = people("applicant1"), people("amr1")
    assert applicant.get("/window").status_code == 403
    assert applicant.get("/tasks").status_code == 403
    assert amr.get("/supervision").status_code == 403
    assert amr.get("/window").status_code == 403


def test_task_list_filters_are_saved_per_user(people: Callable[[str], Person],
                                              services: Services) -> None:
    amr = people("amr1")
    amr.get("/tasks?view=done&sort=ready")
    user = services.store.get_user_by_name("amr1")
    assert services.store.get_setting(user["id"], "tasks.filter") == {"view": "done",
                                                                     "sort": "ready"}
    assert 'aria-current="page">已办结' in amr.get("/tasks").text
    rows = amr.get("/tasks", headers={"HX-Request": "true"})
    assert rows.status_code == 200 and "<html" not in rows.text
