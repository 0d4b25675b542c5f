"""好差评 pages: the applicant rates on the case page; the department answers on /ratings."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.testclient import TestClient

from runtime.services.container import Services
from tests.runtime.api.conftest import Api
from tests.runtime.api.test_public import finish
from tests.runtime.api.test_scores import late_licence
from tests.runtime.web.conftest import csrf_of


@pytest.fixture
def api(client: TestClient, services: Services) -> Api:
    return Api(client, services)


def _sign_in(api: Api, name: str) -> str:
    api.headers(name)  # the cast member exists, with the Api's password
    client = api.client
    client.cookies.clear()
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"name": name, "password": "correct-horse-9",
                                           "_csrf": token}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/").text)


def test_rate_on_the_case_page_and_answer_on_the_ratings_page(api: Api) -> None:
    case = finish(api)
    client = api.client
    csrf = _sign_in(api, "alice")
    detail = client.get(f"/cases/{case['id']}").text
    assert "评价本次办理" in detail and "非常不满意" in detail
    no_csrf = client.post(f"/my/cases/{case['id']}/rating", data={"level": "2"})
    assert no_csrf.status_code == 403
    done = client.post(f"/my/cases/{case['id']}/rating",
                       data={"level": "2", "comment": "等了很久", "_csrf": csrf})
    assert done.status_code == 200 and "感谢您的评价" in done.text and "我的评价" in done.text
    assert "评价本次办理" not in done.text

    csrf = _sign_in(api, "amr1")
    listing = client.get("/ratings").text
    assert "等了很久" in listing and "待整改" in listing and "整改答复" in listing
    answered = client.post(f"/ratings/{case['id']}/reply",
                           data={"text": "已优化流程", "_csrf": csrf})
    assert answered.status_code == 200 and "已整改待回访" in answered.text
    assert client.post(f"/ratings/{case['id']}/nonsense",
                       data={"text": "x", "_csrf": csrf}).status_code == 400

    csrf = _sign_in(api, "sup")
    followed = client.post(f"/ratings/{case['id']}/follow_up",
                           data={"text": "回访满意", "_csrf": csrf})
    assert followed.status_code == 200 and "已回访办结" in followed.text
    csrf = _sign_in(api, "alice")
    assert "责任部门答复：已优化流程" in client.get(f"/cases/{case['id']}").text


def test_only_staff_see_the_ratings_page(api: Api) -> Any:
    _sign_in(api, "alice")
    assert api.client.get("/ratings").status_code == 403


def test_complaints_page_from_filing_to_rating(api: Api) -> None:
    case = api.accepted()
    client = api.client
    csrf = _sign_in(api, "alice")
    form = client.get("/complaints").text
    assert "我要投诉" in form and case["number"] in form and "市场监督管理局" in form
    assert client.post("/complaints/new", data={"text": "x"}).status_code == 403  # no CSRF
    empty = client.post("/complaints/new", data={"text": " ", "_csrf": csrf})
    assert empty.status_code == 400 and "请填写内容" in empty.text
    filed = client.post("/complaints/new", data={"text": "告知不清", "case": case["id"],
                                                 "department": "amr", "_csrf": csrf})
    assert filed.status_code == 200 and "待分派" in filed.text
    complaint = api.services.store.list_records("complaint")[0]["id"]

    csrf = _sign_in(api, "sup")
    assigned = client.post(f"/complaints/{complaint}/assign",
                           data={"department": "amr", "_csrf": csrf})
    assert assigned.status_code == 200 and "待部门答复" in assigned.text
    csrf = _sign_in(api, "amr1")
    answered = client.post(f"/complaints/{complaint}/answer",
                           data={"text": "已约谈", "_csrf": csrf})
    assert answered.status_code == 200 and "已答复待办结" in answered.text
    csrf = _sign_in(api, "sup")
    page = client.get("/complaints").text
    assert 'name="verdict" value="upheld" required' in page and "撤销该办件" in page
    missing = client.post(f"/complaints/{complaint}/close",
                          data={"text": "属实已整改", "_csrf": csrf})
    assert missing.status_code == 400 and "投诉属实" in missing.text
    client.post(f"/complaints/{complaint}/close",
                data={"text": "属实已整改", "verdict": "upheld", "_csrf": csrf})
    csrf = _sign_in(api, "alice")
    mine = client.get("/complaints").text
    assert "处理结果：属实已整改（投诉属实）" in mine and "评价处理结果" in mine
    rated = client.post(f"/complaints/{complaint}/rate", data={"level": "4", "_csrf": csrf})
    assert "申请人评价：满意" in rated.text and "评价处理结果" not in rated.text


def test_scores_page_and_annulling_a_deduction(api: Api, clock: Any) -> None:
    number = late_licence(api, clock)
    client = api.client
    csrf = _sign_in(api, "sup")
    page = client.get("/scores?period=2026-12").text
    assert "环节超期办结" in page and number in page and "撤销扣分" in page
    key = re.findall(r'name="key" value="([^"]+)"', page)[0]
    refused = client.post("/scores/annul", data={"key": key, "reason": " ",
                                                 "period": "2026-12", "_csrf": csrf})
    assert refused.status_code == 400 and "撤销理由" in refused.text
    done = client.post("/scores/annul", data={"key": key, "reason": "系统故障",
                                              "period": "2026-12", "_csrf": csrf})
    assert done.status_code == 200 and "已撤销：系统故障" in done.text
    _sign_in(api, "amr1")
    own = client.get("/scores?period=2026-12").text
    assert "市场监督管理局" in own and "公安局" not in own and "撤销扣分" not in own
    assert client.get("/scores?period=26").status_code == 400


def test_consultation_pages_and_the_faq(api: Api) -> None:
    client = api.client
    csrf = _sign_in(api, "alice")
    assert "我要咨询" in client.get("/consultations").text
    asked = client.post("/consultations/new", data={
        "matter": "enterprise-establishment", "question": "可以网上签名吗？", "_csrf": csrf})
    assert asked.status_code == 200 and "待答复" in asked.text
    question = api.services.store.list_records("consultation")[0]["id"]
    csrf = _sign_in(api, "amr1")
    done = client.post(f"/consultations/{question}/answer",
                       data={"answer": "可以，使用电子签名。", "publish": "1", "_csrf": csrf})
    assert done.status_code == 200 and "已答复（已公开）" in done.text
    client.cookies.clear()
    notice = client.get("/matters/enterprise-establishment").text
    assert "常见问题" in notice and "可以，使用电子签名。" in notice
