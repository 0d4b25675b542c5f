"""全程代办 on the site, after submission: the case's agent answers the window's 补正
notice and uploads a 容缺 material from its own case page (the applicant's service
calls), and reads what to pay and the case's documents; another agent finds nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from runtime import forms
from runtime.services.container import Services
from runtime.services.files import Upload
from tests.runtime.web.conftest import PASSWORD, csrf_of
from tests.runtime.web.samples import ANSWERS, PDF

MATTER = "enterprise-establishment"
PRINCIPAL = {"name": "王小明", "id_number": "110101199003071233", "phone": "13800138000"}


@pytest.fixture
def case_id(services: Services, make_user: Callable[..., str]) -> str:
    """A case agent1 submitted for 王小明, without its premises proof (容缺-able)."""
    make_user("window1", "window")
    for name in ("agent1", "agent2"):
        services.accounts.create_user(name, PASSWORD, "agent", display_name=f"代办员{name}")
    agent = services.accounts.find("agent1")
    assert agent is not None
    spec = services.matters.current(MATTER)
    files = {m: [services.files.upload(agent, Upload(f"{m}.pdf", PDF))["id"]]
             for m in ("articles", "legal-rep-id", "shareholder-id", "officers-appointment",
                       "entrustment")}
    case = services.cases.apply(agent, MATTER, forms.parse(spec.form, list(ANSWERS.items())),
                                files, on_behalf_of=PRINCIPAL)
    return str(case["id"])


def _window(services: Services) -> Any:
    return services.accounts.find("window1")


def _supplement(services: Services, case_id: str) -> None:
    services.cases.request_supplement(_window(services), case_id, [
        {"field": "address", "reason": "门牌号不完整"},
        {"material": "articles", "reason": "缺少全体股东签字"}])


def test_the_agent_answers_the_supplement_notice_from_its_case_page(
        client: TestClient, services: Services, login: Callable[[str], str],
        case_id: str) -> None:
    _supplement(services, case_id)
    login("agent1")
    page = client.get(f"/agent/cases/{case_id}").text
    assert "请补正以下内容（一次性告知）" in page and "门牌号不完整" in page
    assert "材料：公司章程（全体股东签署）：缺少全体股东签字" in page
    assert f'href="/agent/cases/{case_id}/supplement"' in page
    assert "补正材料通知书" in page  # the notice among the documents
    assert "出具文书：补正材料通知书" in page and "出具文书：supplement" not in page
    form = client.get(f"/agent/cases/{case_id}/supplement").text
    assert f'action="/agent/cases/{case_id}/supplement"' in form
    assert f'<a href="/agent/cases/{case_id}">返回办件</a>' in form
    assert 'name="address"' in form and 'name="company_name"' not in form
    token = csrf_of(form)
    address = {"address": "云川市新城区锦程路18号2栋3单元1206室", "_action": "submit"}
    # no CSRF token: refused, nothing written
    assert client.post(f"/agent/cases/{case_id}/supplement", data=address,
                       files=[("material:articles", ("章程.pdf", PDF, "application/pdf"))],
                       follow_redirects=False).status_code == 403
    # the listed file not brought again: the error beside its control, nothing written
    before = services.store.get_case(case_id)
    missing = client.post(f"/agent/cases/{case_id}/supplement",
                          data={**address, "_csrf": token}, follow_redirects=False)
    assert missing.status_code == 400
    assert 'href="#f-material-articles"' in missing.text
    after = services.store.get_case(case_id)
    assert after["status"] == "supplement_requested" and after["rev"] == before["rev"]
    # another agent: not found, whatever it posts
    login("agent2")
    assert client.get(f"/agent/cases/{case_id}/supplement").status_code == 404
    other = client.post(f"/agent/cases/{case_id}/supplement",
                        data={**address, "_csrf": csrf_of(client.get("/agent").text)},
                        files=[("material:articles", ("章程.pdf", PDF, "application/pdf"))])
    assert other.status_code == 404
    assert services.store.get_case(case_id)["rev"] == before["rev"]
    # the agent answers every item
    token = login("agent1")
    done = client.post(f"/agent/cases/{case_id}/supplement", data={**address, "_csrf": token},
                       files=[("material:articles", ("章程2.pdf", PDF, "application/pdf"))],
                       follow_redirects=False)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/agent/cases/{case_id}"
    case = services.store.get_case(case_id)
    assert case["status"] == "submitted" and case["data"]["address"].endswith("1206室")
    assert case["materials"]["articles"] != before["materials"]["articles"]
    page = client.get(f"/agent/cases/{case_id}").text
    assert "补正材料已提交" in page and "请补正以下内容" not in page
    # nothing to answer now: the page sends the agent back to its case
    again = client.get(f"/agent/cases/{case_id}/supplement", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == f"/agent/cases/{case_id}"


def test_the_agent_uploads_a_deferred_material_and_sees_what_to_pay(
        client: TestClient, services: Services, login: Callable[[str], str],
        case_id: str) -> None:
    window = _window(services)
    services.cases.accept(window, case_id, deferred=["premises"])
    services.fees.issue(window, case_id, [{"name": "工本费", "amount": 1050}])
    token = login("agent1")
    page = client.get(f"/agent/cases/{case_id}").text
    assert "容缺受理：尚需补交的材料" in page
    assert f'action="/agent/cases/{case_id}/deferred"' in page
    number = services.store.get_case(case_id)["number"]
    assert f"缴款识别码 {number}-01" in page and "10.50" in page and "（未缴）" in page
    assert "请于" in page and "缴费后方可领取办理结果" in page
    assert 'action="/window/' not in page  # record payment, issue fees: staff only
    for kind, title in (("receipt", "受理通知书"), ("payment", "缴款通知书"),
                        ("commitment", "容缺受理承诺书")):
        assert title in page and f'href="/cases/{case_id}/documents/{kind}.pdf"' in page
        pdf = client.get(f"/cases/{case_id}/documents/{kind}.pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert f'href="/cases/{case_id}/receipt"' in page
    # no file chosen: said on the page, nothing written
    rev = services.store.get_case(case_id)["rev"]
    empty = client.post(f"/agent/cases/{case_id}/deferred", data={"_csrf": token})
    assert empty.status_code == 400 and "请选择要补交的材料文件" in empty.text
    assert "<h1>" in empty.text and "容缺受理" in empty.text  # the agent's own page again
    assert services.store.get_case(case_id)["rev"] == rev
    # another agent: not found
    token2 = login("agent2")
    assert client.get(f"/agent/cases/{case_id}").status_code == 404
    assert client.get(f"/cases/{case_id}/documents/payment.pdf").status_code == 404
    assert client.post(f"/agent/cases/{case_id}/deferred", data={"_csrf": token2},
                       files=[("material:premises", ("住所.pdf", PDF, "application/pdf"))]
                       ).status_code == 404
    assert services.store.get_case(case_id)["rev"] == rev
    token = login("agent1")
    done = client.post(f"/agent/cases/{case_id}/deferred", data={"_csrf": token},
                       files=[("material:premises", ("住所.pdf", PDF, "application/pdf"))],
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/agent/cases/{case_id}"
    assert services.store.get_case(case_id)["materials"].get("premises")
    page = client.get(f"/agent/cases/{case_id}").text
    assert "已补交" in page and f'action="/agent/cases/{case_id}/deferred"' not in page
    assert "补交容缺材料：住所（经营场所）使用证明" in page  # the timeline names it by title


def test_an_applicant_cannot_use_the_agent_pages(
        client: TestClient, services: Services, login: Callable[[str], str],
        make_user: Callable[..., str], case_id: str) -> None:
    _supplement(services, case_id)
    make_user("applicant1", "applicant")
    login("applicant1")
    assert client.get(f"/agent/cases/{case_id}").status_code == 403
    assert client.get(f"/agent/cases/{case_id}/supplement").status_code == 404
