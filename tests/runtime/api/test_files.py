"""POST /files: size and real-type checks, per material when asked, and who may upload."""

from __future__ import annotations

import hashlib

import pytest

from tests.runtime.api.conftest import Api
from tests.runtime.api.samples import PDF, PNG

MATTER = "enterprise-establishment"


def test_upload_returns_the_metadata(api: Api) -> None:
    response = api.post("alice", "/files", files={"file": ("营业执照 副本.pdf", PDF)})
    meta = api.ok(response, 201)
    assert meta["id"].startswith("f_") and meta["name"] == "营业执照 副本.pdf"
    assert meta["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert meta["size"] == len(PDF) and meta["content_type"] == "application/pdf"
    assert "uploaded_by" not in meta


def test_the_window_uploads_for_a_walk_in(api: Api) -> None:
    assert api.post("win", "/files", files={"file": ("a.png", PNG)}).status_code == 201


def test_folders_in_the_name_are_dropped(api: Api) -> None:
    meta = api.ok(api.post("alice", "/files", files={"file": ("../../etc/x.pdf", PDF)}), 201)
    assert meta["name"] == "x.pdf"


@pytest.mark.parametrize("name, data", [
    ("fake.pdf", PNG),                           # a PNG calling itself a PDF
    ("virus.pdf", b"MZ\x90\x00" + b"\x00" * 64),  # a Windows program
    ("script.sh", b"#!/bin/sh\nrm -rf /\n"),      # a type no material accepts
    ("noextension", PDF),
])
def test_a_fake_or_unaccepted_type_is_415(api: Api, name: str, data: bytes) -> None:
    response = api.post("alice", "/files", files={"file": (name, data)})
    assert response.status_code == 415, response.text
    assert response.json()["error"] == "unsupported_type"


def test_a_material_s_own_types_apply_when_named(api: Api) -> None:
    # 公司章程 accepts pdf, ofd, doc, docx: a real PNG is refused for it, accepted otherwise.
    named = api.post("alice", "/files", files={"file": ("a.png", PNG)},
                     data={"matter": MATTER, "material": "articles"})
    assert named.status_code == 415
    assert "PDF" in named.json()["message"] and "PNG" not in named.json()["message"]
    assert api.post("alice", "/files", files={"file": ("a.png", PNG)}).status_code == 201


def test_a_material_s_size_limit_applies_when_named(api: Api) -> None:
    big = PDF + b"\x00" * (5 * 1024 * 1024)  # legal-rep-id: at most 5 MB
    response = api.post("alice", "/files", files={"file": ("id.pdf", big)},
                        data={"matter": MATTER, "material": "legal-rep-id"})
    assert response.status_code == 413 and response.json()["error"] == "too_large"
    assert api.post("alice", "/files", files={"file": ("id.pdf", big)}).status_code == 201


def test_over_the_centre_limit_is_413(api: Api) -> None:
    api.services.files.max_mb = 1
    big = PDF + b"\x00" * (1024 * 1024)
    response = api.post("alice", "/files", files={"file": ("big.pdf", big)})
    assert response.status_code == 413 and response.json()["error"] == "too_large"


def test_an_oversize_body_is_refused_while_streaming(api: Api) -> None:
    api.services.files.max_mb = 1

    def chunks():  # type: ignore[no-untyped-def]  # no Content-Length: read until the cap
        yield b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n"
        for _ in range(40):
            yield PDF + b"\x00" * 65536
        yield b"\r\n--b--\r\n"

    response = api.post("alice", "/files", content=chunks(),
                        headers={"content-type": "multipart/form-data; boundary=b"})
    assert response.status_code == 413


def test_unknown_material_is_404(api: Api) -> None:
    response = api.post("alice", "/files", files={"file": ("a.pdf", PDF)},
                        data={"matter": MATTER, "material": "no-such-material"})
    assert response.status_code == 404


@pytest.mark.parametrize("kwargs", [
    {"data": {"file": "not a file"}},
    {"json": {"file": "x"}},
    {"files": {"other": ("a.pdf", PDF)}},
    {"files": {"file": ("empty.pdf", b"")}},
])
def test_no_usable_file_is_400(api: Api, kwargs: dict[str, object]) -> None:
    response = api.post("alice", "/files", **kwargs)
    assert response.status_code == 400, response.text
    assert response.json()["details"][0]["pointer"] == "/file"


@pytest.mark.parametrize("who", ["amr1", "sup", "root"])
def test_only_applicants_and_the_window_upload(api: Api, who: str) -> None:
    response = api.post(who, "/files", files={"file": ("a.pdf", PDF)})
    assert response.status_code == 403 and response.json()["error"] == "forbidden"
