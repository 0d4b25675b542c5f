"""全程代办 on the site: an agent applies with the generic form, the 委托人 section and
the entrustment letter, through the same service calls as the API; the principal's
我的办件 lists the case by the principal's index, never by reading every case."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from runtime.services import Invalid
from runtime.services.container import Services
from runtime.services.entrusted import kind_of
from runtime.services.forwarding import KIND as FORWARDING
from tests.runtime.web.conftest import PASSWORD, csrf_of
from tests.runtime.web.samples import ANSWERS, PDF, multipart_files

MATTER = "enterprise-establishment"
PRINCIPAL = {"obo_name": "王小明", "obo_id_number": "110101199003071233",
             "obo_phone": "13800138000"}
VILLAGE = ("青禾村代办点", "village", "青禾镇代办点")


def _agent(services: Services, name: str, point: tuple[str, str, str] | None) -> None:
    user = services.accounts.create_user(name, PASSWORD, "agent", display_name=f"代办员{name}")
    if point is not None:
        services.users.update(services.accounts.find("root"), user.id, {
            "service_point": {"name": point[0], "level": point[1], "town": point[2]}})


@pytest.fixture
def agents(services: Services, make_user: Callable[..., str]) -> None:
    make_user("root", "admin")
    _agent(services, "village1", VILLAGE)
    _agent(services, "village2", VILLAGE)


def _case_id(location: str) -> str:
    match = re.search(r"/my/cases/(c_[0-9a-f]+)", location)
    assert match, location
    return match.group(1)


def _post(client: TestClient, url: str, token: str, fields: dict[str, str],
          files: list | None = None, action: str = "save") -> tuple[int, str, str]:
    response = client.post(url, data={**fields, "_csrf": token, "_action": action},
                           files=files or [], follow_redirects=False)
    return response.status_code, response.headers.get("location", ""), response.text


def _entrustment() -> list:
    return [("material:entrustment", ("委托书.pdf", PDF, "application/pdf"))]


def test_the_form_asks_for_the_principal_and_the_entrustment_letter(
        client: TestClient, agents: None, login: Callable[[str], str]) -> None:
    login("village1")
    home = client.get("/agent").text
    assert '<a class="button primary" href="/">代办申报</a>' in home
    assert "POST /api/v1/cases" not in home
    html = client.get(f"/apply/{MATTER}").text
    assert "委托人（全程代办）" in html
    for key in ("name", "id_number", "phone"):
        assert f'name="obo_{key}"' in html and f'id="f-obo-{key}"' in html
    entrust = html[html.index('for="f-material-entrustment"'):][:300]
    assert "授权委托书" in entrust and "必填" in entrust


def test_a_wrong_principal_is_refused_beside_its_field_and_nothing_is_written(
        client: TestClient, agents: None, login: Callable[[str], str],
        services: Services) -> None:
    token = login("village1")
    bad = {**PRINCIPAL, "obo_id_number": "110101199003071234", "obo_phone": ""}
    status, _, html = _post(client, f"/apply/{MATTER}", token, {**ANSWERS, **bad},
                            multipart_files() + _entrustment())
    assert status == 400
    assert "末位校验码须正确" in html and 'href="#f-obo-id_number"' in html
    assert "请填写委托人手机号码" in html and 'href="#f-obo-phone"' in html
    assert re.search(r'id="f-obo-id_number"[^>]*value="110101199003071234"', html)
    assert 'value="云川市青禾农业科技有限公司"' in html  # the answers are kept on the page
    assert services.store.list_cases() == []


def test_the_agent_applies_on_the_site_and_the_principal_sees_it(
        client: TestClient, agents: None, login: Callable[[str], str],
        services: Services) -> None:
    token = login("village1")
    # without the letter: a draft with the principal, stopped at 核对信息 beside the upload
    status, _, html = _post(client, f"/apply/{MATTER}", token,
                            {**ANSWERS, **PRINCIPAL}, multipart_files(), "review")
    assert status == 400
    assert 'href="#f-material-entrustment"' in html and "授权委托书" in html
    case_id = _case_id(html)
    draft = services.store.get_case(case_id)
    assert draft["status"] == "draft" and draft["agent"] == services.accounts.find(
        "village1").id
    assert draft["on_behalf_of"] == {"name": "王小明", "id_number": "110101199003071233",
                                     "phone": "13800138000"}
    assert "forward" not in draft  # 转报 starts at submission
    assert services.store.list_records(FORWARDING) == []
    review = client.get(f"/my/cases/{case_id}/review")
    assert review.status_code == 400
    assert "授权委托书" in review.text and 'href="#f-material-entrustment"' in review.text
    # the principal corrected, the letter uploaded: 核对信息 shows the principal
    fixed = {**ANSWERS, **PRINCIPAL, "obo_name": "王小明（本人）"}
    status, location, html = _post(client, f"/my/cases/{case_id}/edit", token, fixed,
                                   _entrustment(), "review")
    assert status == 303, html
    review = client.get(location).text
    assert "委托人（全程代办）" in review and "王小明（本人）" in review
    assert "受委托人书面委托代为申请" in review
    assert services.store.list_records(kind_of("110101199003071233")) == []  # not yet
    done = client.post(f"/my/cases/{case_id}/submit",
                       data={"_csrf": csrf_of(review), "declare": "yes"},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/agent/cases/{case_id}"
    case = services.store.get_case(case_id)
    assert case["status"] == "submitted" and case["on_behalf_of"]["name"] == "王小明（本人）"
    assert case["agent_point"]["name"] == "青禾村代办点"
    assert case["forward"]["to"] == "青禾镇代办点"
    assert case["forward"]["due"].startswith("2026-12-02")  # Monday + 2 working days
    assert [r["case"] for r in services.store.list_records(FORWARDING)] == [case_id]
    assert [r["case"] for r in services.store.list_records(
        kind_of("110101199003071233"))] == [case_id]
    mine = client.get("/agent").text
    assert f'href="/agent/cases/{case_id}"' in mine and "王小明（本人）" in mine
    assert client.get(f"/agent/cases/{case_id}").status_code == 200

    login("village2")  # another agent, even of the same point
    assert client.get(f"/agent/cases/{case_id}").status_code == 404
    assert client.get(f"/my/cases/{case_id}/edit").status_code == 404
    assert f"/agent/cases/{case_id}" not in client.get("/agent").text

    services.accounts.create_user("wang", PASSWORD, "applicant", display_name="王小明",
                                  id_number="110101199003071233")
    services.accounts.create_user("lisi", PASSWORD, "applicant", display_name="李四",
                                  id_number="11010119900307125X")
    login("wang")
    listed = client.get("/my/cases").text
    assert f'href="/cases/{case_id}"' in listed
    assert "代办</span>" in listed and "代办员village1（青禾村代办点）" in listed
    assert client.get(f"/cases/{case_id}").status_code == 200
    login("lisi")
    assert case_id not in client.get("/my/cases").text


def test_only_an_agent_names_a_principal(client: TestClient, make_user: Callable[..., str],
                                         login: Callable[[str], str],
                                         services: Services) -> None:
    make_user("applicant1", "applicant")
    token = login("applicant1")
    status, location, _ = _post(client, f"/apply/{MATTER}", token, {**ANSWERS, **PRINCIPAL})
    assert status == 303
    case = services.store.get_case(_case_id(location))
    assert "on_behalf_of" not in case and "agent" not in case  # the fields are ignored
    assert "委托人（全程代办）" not in client.get(location).text
    user = services.accounts.find("applicant1")
    with pytest.raises(Invalid):
        services.cases.start(user, MATTER, on_behalf_of={"name": "王小明"})
    with pytest.raises(Invalid):
        services.cases.save(user, case["id"], on_behalf_of={"name": "王小明"})
