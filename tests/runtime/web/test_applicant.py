"""The applicant's side over HTTP: apply, drafts, uploads, check answers, submit, track."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from runtime.services.container import Services
from tests.runtime.web.conftest import csrf_of
from tests.runtime.web.samples import ANSWERS, FILES, PDF, multipart_files

MATTER = "enterprise-establishment"


@pytest.fixture
def applicant(make_user: Callable[..., str], login: Callable[[str], str]) -> str:
    make_user("applicant1", "applicant")
    return login("applicant1")


def _case_id(location: str) -> str:
    match = re.search(r"/my/cases/(c_[0-9a-f]+)", location)
    assert match, location
    return match.group(1)


def _start(client: TestClient, token: str, answers: dict[str, str] | None = None,
           files: list | None = None, action: str = "save") -> tuple[int, str, str]:
    data = {**(ANSWERS if answers is None else answers), "_csrf": token, "_action": action}
    response = client.post(f"/apply/{MATTER}", data=data,
                           files=multipart_files() if files is None else files,
                           follow_redirects=False)
    return response.status_code, response.headers.get("location", ""), response.text


def test_blank_form_renders_every_field_kind(client: TestClient, applicant: str) -> None:
    html = client.get(f"/apply/{MATTER}").text
    assert 'name="company_name"' in html and "企业名称" in html
    assert '<textarea id="f-business_scope"' in html
    assert 'name="shareholders.0.name"' in html and "添加股东" in html
    assert 'type="file"' in html and 'name="material:articles"' in html
    assert 'accept=".pdf,.ofd,.doc,.docx"' in html
    assert re.search(r'data-field="pre_approval_name"[^>]*hidden', html)  # conditional, off
    assert 'hx-post="/forms/enterprise-establishment/1/live"' in html


def test_save_draft_then_come_back(client: TestClient, applicant: str,
                                   services: Services) -> None:
    status, location, _ = _start(client, applicant, {"company_name": "半成品公司"}, files=[])
    assert status == 303
    case_id = _case_id(location)
    page = client.get(location).text
    assert "草稿已保存" in page and 'value="半成品公司"' in page
    assert services.store.get_case(case_id)["status"] == "draft"
    # log out and in again: the draft is listed and editable
    client.post("/logout", data={"_csrf": csrf_of(page)})
    token = csrf_of(client.get("/login").text)
    client.post("/login", data={"name": "applicant1", "password": "correct-horse-9",
                                "_csrf": token})
    mine = client.get("/my/cases").text
    assert "继续填写" in mine and "草稿" in mine


def test_review_lists_every_error_next_to_its_field(client: TestClient, applicant: str) -> None:
    answers = {**ANSWERS, "registered_capital": "abc", "legal_representative.id_no": "123"}
    del answers["company_name"]
    status, _, html = _start(client, applicant, answers, files=[], action="review")
    assert status == 400
    assert "请修改以下" in html
    assert "「企业名称」为必填项" in html
    assert "应为数字" in html
    assert 'href="#f-legal_representative-id_no"' in html
    assert "请上传「公司章程」" in html or "请上传" in html


def test_full_application_check_answers_and_submit(client: TestClient, applicant: str,
                                                   services: Services) -> None:
    status, location, html = _start(client, applicant, action="review")
    assert status == 303, html
    assert location.endswith("/review")
    review = client.get(location).text
    assert "核对申请信息" in review and "云川市青禾农业科技有限公司" in review
    assert "修改" in review and "章程.pdf" in review
    case_id = _case_id(location)
    token = csrf_of(review)
    refused = client.post(f"/my/cases/{case_id}/submit", data={"_csrf": token})
    assert refused.status_code == 400 and "请确认承诺声明" in refused.text
    done = client.post(f"/my/cases/{case_id}/submit", data={"_csrf": token, "declare": "yes"},
                       follow_redirects=False)
    assert done.status_code == 303
    detail = client.get(done.headers["location"]).text
    assert "已提交待受理" in detail and "提交申请" in detail
    assert services.store.get_case(case_id)["status"] == "submitted"


def test_conditional_field_is_required_only_when_shown(client: TestClient,
                                                       applicant: str) -> None:
    answers = {**ANSWERS, "has_pre_approval": "true"}
    status, _, html = _start(client, applicant, answers, action="review")
    assert status == 400 and "前置许可文件名称及文号" in html
    answers = {**ANSWERS, "has_pre_approval": "false", "pre_approval_name": "不该保留"}
    status, location, _ = _start(client, applicant, answers, action="review")
    assert status == 303
    assert "不该保留" not in client.get(location).text  # hidden answer cleared


def test_live_rerender_swaps_only_fields_whose_visibility_changed(client: TestClient,
                                                                 applicant: str) -> None:
    response = client.post(f"/forms/{MATTER}/1/live",
                           data={**ANSWERS, "has_pre_approval": "true",
                                 "_shown": "seal_count", "_materials": "x"},
                           headers={"X-CSRF-Token": applicant, "HX-Request": "true"})
    assert response.status_code == 200 and "<html" not in response.text
    html = response.text
    assert re.search(r'id="f-pre_approval_name-wrap"[^>]*hx-swap-oob="true"', html)
    assert not re.search(r'data-field="pre_approval_name"[^>]*hidden', html)
    assert 'id="f-company_name-wrap"' not in html  # nothing being typed is replaced
    assert 'id="uploads" hx-swap-oob="true"' in html and "登记前置许可文件" in html
    assert 'value="seal_count,pre_approval_name"' in html or \
        'value="pre_approval_name,seal_count"' in html


def test_add_row_returns_one_row(client: TestClient, applicant: str) -> None:
    response = client.post(f"/forms/{MATTER}/1/row", data={**ANSWERS, "_add": "shareholders"},
                           headers={"X-CSRF-Token": applicant, "HX-Request": "true"})
    assert response.status_code == 200
    assert 'name="shareholders.1.name"' in response.text
    assert 'name="shareholders.0.name"' not in response.text


def test_rows_can_be_added_and_removed_without_javascript(client: TestClient,
                                                          applicant: str) -> None:
    data = {**ANSWERS, "_csrf": applicant, "_add": "shareholders"}
    response = client.post(f"/apply/{MATTER}", data=data, follow_redirects=False)
    assert response.status_code == 200 and 'name="shareholders.1.name"' in response.text


def test_upload_too_large_is_413_and_nothing_else_lost(client: TestClient, applicant: str,
                                                       services: Services) -> None:
    big = PDF + b"0" * (11 * 1024 * 1024)  # articles allow 10 MB
    files = [("material:articles", ("big.pdf", big, "application/pdf"))]
    status, _, html = _start(client, applicant, files=files)
    assert status == 413
    assert "超过 10 MB" in html and 'value="云川市青禾农业科技有限公司"' in html


def test_upload_with_fake_extension_is_415(client: TestClient, applicant: str) -> None:
    files = [("material:articles", ("章程.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")),
             ("material:legal-rep-id", ("id.png", PDF, "image/png"))]
    status, _, html = _start(client, applicant, files=files)
    assert status == 415
    assert "实际类型不受支持或与扩展名不符" in html


def test_file_name_path_tricks_are_neutralised(client: TestClient, applicant: str,
                                               services: Services) -> None:
    files = [("material:articles", ("../../etc/passwd.pdf", PDF, "application/pdf"))]
    status, location, _ = _start(client, applicant, files=files)
    assert status == 303
    case = services.store.get_case(_case_id(location))
    meta = services.store.get_file(case["materials"]["articles"][0])
    assert meta["name"] == "passwd.pdf"
    download = client.get(f"/cases/{case['id']}/files/{meta['id']}")
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("payload", ["<script>alert(1)</script>",
                                     '"><img src=x onerror=alert(1)>'])
def test_xss_payloads_are_escaped_everywhere(client: TestClient, applicant: str,
                                             payload: str) -> None:
    answers = {**ANSWERS, "company_name": payload + "公司名", "business_scope": payload,
               "legal_representative.name": payload, "shareholders.0.name": payload}
    files = [("material:articles", (payload + ".pdf", PDF, "application/pdf")),
             *multipart_files({k: v for k, v in FILES.items() if k != "articles"})]
    status, location, _ = _start(client, applicant, answers, files=files, action="review")
    assert status == 303
    for url in (location, location.replace("/review", "/edit")):
        html = client.get(url).text
        assert "<script>alert(1)</script>" not in html
        assert "<img src=x onerror" not in html


def test_another_applicant_cannot_see_the_case(client: TestClient, applicant: str,
                                               make_user: Callable[..., str],
                                               login: Callable[[str], str]) -> None:
    _, location, _ = _start(client, applicant, files=[])
    case_id = _case_id(location)
    client.post("/logout", data={"_csrf": applicant})
    make_user("applicant2", "applicant")
    login("applicant2")
    for url in (f"/my/cases/{case_id}", f"/my/cases/{case_id}/edit", f"/cases/{case_id}"):
        assert client.get(url).status_code == 404, url


def test_staff_pages_need_sign_in(client: TestClient) -> None:
    response = client.get(f"/apply/{MATTER}", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_withdraw_and_query(client: TestClient, applicant: str, services: Services) -> None:
    _, location, _ = _start(client, applicant, files=[])
    case_id = _case_id(location)
    response = client.post(f"/my/cases/{case_id}/withdraw", data={"_csrf": applicant},
                           follow_redirects=False)
    assert response.status_code == 303
    assert services.store.get_case(case_id)["status"] == "withdrawn"
    assert "已撤回" in client.get(f"/my/cases/{case_id}").text
    missing = client.get("/query?number=ZW000")
    assert missing.status_code == 404 and "没有这个受理编号" in missing.text


def test_control_characters_in_a_posted_form_are_errors_at_their_field(
        client: TestClient, applicant: str) -> None:
    answers = {**ANSWERS, "company_name": "云川\x00公司",
               "legal_representative.mobile": "1381234",
               "legal_representative.id_no": "110101199003074515"}
    status, _, html = _start(client, applicant, answers, files=[], action="review")
    assert status == 400
    assert "「企业名称」内容含有不允许的控制字符（U+0000）" in html
    assert "应为 11 位中国大陆手机号码" in html
    assert "应为 18 位居民身份证号码，末位校验码不正确" in html
