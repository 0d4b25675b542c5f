"""Which materials apply, their upload controls, and checks of uploaded files."""

from __future__ import annotations

from typing import Any

from builder.spec import Material
from runtime.forms import (
    FieldError,
    applicable_materials,
    build_uploads,
    defaults,
    validate_materials,
)
from tests.runtime.forms.dom import dom, macros, matter

M = matter()
MATERIALS: list[dict[str, Any]] = M["materials"]
BASE = defaults(M["form"])
MB = 1024 * 1024


def ids(items: list[Any]) -> list[str]:
    return [i["id"] if isinstance(i, dict) else i.id for i in items]


def test_when_decides_which_materials_apply() -> None:
    assert ids(applicable_materials(MATERIALS, BASE)) == [
        "articles", "legal-rep-id", "shareholder-id", "officers-appointment", "premises",
        "tax-officer-id"]
    entrusted = BASE | {"applicant_role": "委托代理人", "needs_invoice": False}
    found = ids(applicable_materials(MATERIALS, entrusted))
    assert "entrustment" in found and "tax-officer-id" not in found


def test_material_objects_are_accepted_too() -> None:
    objects = [Material(id="a", name="甲"),
               Material(id="b", name="乙", when={"required": ["x"]})]
    assert applicable_materials(objects, {}) == objects[:1]
    assert ids(applicable_materials(objects, {"x": 1})) == ["a", "b"]
    assert [u.accept_attr for u in build_uploads(objects, {})] == [".pdf,.jpg,.jpeg,.png"]


def test_validate_materials() -> None:
    uploaded = {
        "articles": [{"id": "u1", "name": "章程.PDF", "size": 2 * MB}],
        "legal-rep-id": [{"id": "u2", "name": "身份证.exe", "size": 6 * MB}],
        "entrustment": [{"id": "u3", "name": "x.exe", "size": 1}],  # does not apply
    }
    errors = validate_materials(MATERIALS, BASE, uploaded)
    assert errors == [
        FieldError("/materials/legal-rep-id", "f-material-legal-rep-id",
                   "「身份证.exe」的格式不支持，「法定代表人身份证件」"
                   "请上传 PDF、JPG、JPEG、PNG 格式的文件"),
        FieldError("/materials/legal-rep-id", "f-material-legal-rep-id",
                   "「身份证.exe」超过 5 MB，请压缩后重新上传"),
        FieldError("/materials/shareholder-id", "f-material-shareholder-id",
                   "请上传「股东主体资格证明或自然人身份证件」"),
        FieldError("/materials/officers-appointment", "f-material-officers-appointment",
                   "请上传「董事、监事、经理任职文件（股东会决议或股东决定）」"),
    ]  # premises and tax-officer-id are deferrable (容缺)
    entrusted = BASE | {"applicant_role": "委托代理人"}
    missing = "请上传「授权委托书及委托代理人身份证件」"
    now = [e.message for e in validate_materials(MATERIALS, entrusted, uploaded)]
    assert missing not in now
    assert any(m.startswith("「x.exe」的格式不支持") for m in now)
    assert missing in [e.message for e in validate_materials(MATERIALS, entrusted, {})]


def test_upload_controls() -> None:
    uploaded = {"articles": [{"id": "u1", "name": "公司章程.pdf", "size": 1536 * 1024}]}
    errors = validate_materials(MATERIALS, BASE, uploaded)
    root = dom(macros().uploads(build_uploads(MATERIALS, BASE, uploaded, errors)))
    articles = root.by_id("f-material-articles")
    assert (articles.tag, articles.get("type"), articles.get("name")) == (
        "input", "file", "material:articles")
    assert articles.get("accept") == ".pdf,.ofd,.doc,.docx"
    label = root.find("label", for_="f-material-articles")
    assert label.find("span", class_="req").text() == "*"
    help_ = root.by_id("f-material-articles-help")
    assert help_.text() == "支持格式：PDF、OFD、DOC、DOCX；单个文件不超过 10 MB"
    assert articles.get("aria-describedby") == "f-material-articles-help"
    box = root.find("div", data_material="articles")
    uploaded = box.find_all("li")
    assert len(uploaded) == 1 and uploaded[0].text().startswith("公司章程.pdf")
    assert "（1.5 MB）" in uploaded[0].text()
    remove = uploaded[0].find("button")  # the delete sits beside its file
    assert remove.get("name") == "_remove_file" and remove.get("value", "").startswith("articles:")
    premises = root.find("div", data_material="premises")
    assert "可容缺后补" in premises.text()
    assert premises.find_all("span", class_="req") == []
    missing = root.by_id("f-material-shareholder-id")
    assert missing.get("aria-invalid") == "true"
    assert root.by_id("f-material-shareholder-id-error").text() == (
        "请上传「股东主体资格证明或自然人身份证件」")
    assert root.find_all("div", data_material="entrustment") == []
