"""Formal documents (文书): issued with the action, archived by hash, printed as PDF whose
text holds the case number and the right items."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.runtime.api.conftest import Api
from tests.runtime.api.samples import DATA, FILES, LICENSE


def text_of(pdf: bytes, tmp_path: Path) -> str:
    """The PDF's text, by poppler's pdftotext (as an archivist's tools would read it)."""
    source = tmp_path / "doc.pdf"
    source.write_bytes(pdf)
    done = subprocess.run(["pdftotext", "-layout", str(source), "-"], check=True,
                          capture_output=True, timeout=60)
    return "".join(done.stdout.decode("utf-8").split())  # CJK lines wrap mid-phrase


def pdf_of(api: Api, who: str, case: dict[str, Any], kind: str) -> bytes:
    response = api.get(who, f"/cases/{case['id']}/documents/{kind}.pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.content.startswith(b"%PDF-")
    return bytes(response.content)


def test_receipt_holds_the_number_the_materials_and_the_centre(api: Api, tmp_path: Path) -> None:
    case = api.accepted()
    text = text_of(pdf_of(api, "alice", case, "receipt"), tmp_path)
    assert "受理通知书" in text and case["number"] in text
    assert "云川市政务服务中心" in text and "（印章）" in text
    for title in ("公司章程（全体股东签署）", "住所（经营场所）使用证明"):
        assert title in text
    assert "enterprise-establishment" not in text  # titles, never ids


def test_a_reprint_is_the_archived_document_even_after_the_case_moves_on(
        api: Api, tmp_path: Path) -> None:
    case = api.accepted()
    first = pdf_of(api, "win", case, "receipt")
    event = next(e for e in api.ok(api.get("win", f"/cases/{case['id']}"))["events"]
             if e["action"] == "issue_document")
    archived = event["changes"][0][2]["receipt"]["sha256"]
    blob = api.services.store.open_blob(archived).read()
    assert hashlib.sha256(blob).hexdigest() == archived and case["number"].encode() in blob
    task = api.task(case, "license")["id"]
    api.ok(api.post("amr1", f"/tasks/{task}/claim"))
    api.ok(api.post("amr1", f"/tasks/{task}/approve", {"data": LICENSE}))
    assert pdf_of(api, "win", case, "receipt") == first


def test_the_supplement_notice_lists_every_item_by_title(api: Api, tmp_path: Path) -> None:
    case = api.apply()
    items = [{"material": "articles", "reason": "缺少全体股东签字"},
             {"field": "business_scope", "reason": "经营范围表述不规范"}]
    api.ok(api.post("win", f"/cases/{case['id']}/supplement", {"items": items}))
    text = text_of(pdf_of(api, "alice", case, "supplement"), tmp_path)
    assert "补正材料通知书" in text and case["id"] in text
    assert "公司章程" in text and "缺少全体股东签字" in text
    assert "经营范围" in text and "经营范围表述不规范" in text


def test_refusal_names_reason_and_remedies_with_the_configured_bodies(
        api: Api, tmp_path: Path) -> None:
    case = api.apply()
    api.ok(api.post("win", f"/cases/{case['id']}/refuse", {"reason": "不属于本中心受理范围"}))
    text = text_of(pdf_of(api, "alice", case, "refusal"), tmp_path)
    assert "不予受理决定书" in text and "不属于本中心受理范围" in text
    assert "六十日内向云川市人民政府申请行政复议" in text
    assert "六个月内向云川市新城区人民法院提起行政诉讼" in text


def test_decision_gives_reasons_basis_and_remedies_from_the_rejecting_department(
        api: Api, tmp_path: Path) -> None:
    case = api.accepted()
    task = api.task(case, "license")["id"]
    api.ok(api.post("amr1", f"/tasks/{task}/claim"))
    api.ok(api.post("amr1", f"/tasks/{task}/reject", {"reason": "名称与在先登记的字号近似"}))
    case = api.ok(api.get("alice", f"/cases/{case['id']}"))
    assert case["status"] == "rejected"
    text = text_of(pdf_of(api, "alice", case, "decision"), tmp_path)
    assert "不予许可决定书" in text and case["number"] in text
    assert "名称与在先登记的字号近似" in text and "市场监督管理局" in text
    assert "行政许可法" in text and "云川市人民政府" in text and "云川市新城区人民法院" in text


def test_commitment_for_deferred_materials_and_delivery_receipt(api: Api,
                                                                 tmp_path: Path) -> None:
    materials = {m: [api.upload("alice", name, blob)] for m, (name, blob) in FILES.items()
                 if m != "premises"}
    case = api.ok(api.post("alice", "/cases", {"matter": "enterprise-establishment",
                                               "data": DATA, "materials": materials}), 201)
    case = api.ok(api.post("win", f"/cases/{case['id']}/accept", {"deferred": ["premises"]}))
    text = text_of(pdf_of(api, "alice", case, "commitment"), tmp_path)
    assert "容缺受理承诺书" in text and case["number"] in text
    assert "住所（经营场所）使用证明" in text


def test_who_may_not_read_the_case_gets_no_document(api: Api) -> None:
    case = api.accepted()
    assert api.get("bob", f"/cases/{case['id']}/documents/receipt.pdf").status_code == 404
    assert api.get("drc1", f"/cases/{case['id']}/documents/receipt.pdf").status_code == 404
    assert api.get("alice", f"/cases/{case['id']}/documents/refusal.pdf").status_code == 404
    assert api.get("alice", f"/cases/{case['id']}/documents/nonsense.pdf").status_code == 404


def test_each_document_renders_to_a_page_image(api: Api, tmp_path: Path) -> None:
    """pdftoppm draws the first page: the PDF is a real, printable A4 page."""
    case = api.accepted()
    source = tmp_path / "receipt.pdf"
    source.write_bytes(pdf_of(api, "win", case, "receipt"))
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(source),
                    str(tmp_path / "page")], check=True, timeout=60)
    image = next(tmp_path.glob("page*.png")).read_bytes()
    assert image.startswith(b"\x89PNG") and len(image) > 2_000


def test_the_receipt_prints_the_query_code_and_a_qr_code_of_the_query_page(
        api: Api, tmp_path: Path) -> None:
    case = api.accepted()  # acceptance makes the query code (issue 15)
    code = case["query_code"]
    html = api.services.cases.document(api.services.accounts.find("win"),  # type: ignore[arg-type]
                                       case["id"], "receipt", pdf=False)[1].decode()
    assert "<svg" in html and code in html
    text = text_of(pdf_of(api, "alice", case, "receipt"), tmp_path)
    assert code in text and "扫码查询办理进度" in text


def test_without_a_query_code_the_receipt_has_no_qr(api: Api,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # A case accepted before query codes existed has none.
    monkeypatch.setattr("runtime.services.cases.new_query_code", lambda: None)
    case = api.accepted()
    html = api.services.cases.document(api.services.accounts.find("win"),  # type: ignore[arg-type]
                                       case["id"], "receipt", pdf=False)[1].decode()
    assert "<svg" not in html and "查询码" not in html
