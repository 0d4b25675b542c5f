"""Request bodies are judged by caller, route, type and length before they are read."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from runtime.services import LIFECYCLE
from runtime.services.container import Services
from runtime.settings import Settings
from runtime.store import MemoryStore
from runtime.web.app import SESSION_COOKIE
from runtime.web.bodies import ANONYMOUS_BYTES, FORM_BYTES, UPLOAD_ROUTES
from tests.runtime.web.conftest import ROOT, Clock, csrf_of
from tests.runtime.web.raw import KB, MB, call, endless, sized
from tests.runtime.web.samples import PDF

MATTER = "enterprise-establishment"
#: max_upload_mb is 0.25 here, so an application (20 files) may send 20 × 0.25 MB + 2 MB.
UPLOAD_CAP = 20 * MB // 4 + FORM_BYTES
BOUNDARY = "b0undary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
URLENCODED = "application/x-www-form-urlencoded"


@pytest.fixture
def services(tmp_path: Path, clock: Clock) -> Iterator[Services]:
    settings = Settings.load({"data_dir": str(tmp_path / "data"), "max_upload_mb": 0.25,
                              "catalog_dir": str(ROOT / "catalog")}, environ={})
    store = MemoryStore(tmp_path / "blobs", lifecycle=LIFECYCLE)
    services = Services.open(settings, store=store, clock=clock)
    yield services
    services.close()


@pytest.fixture
def anonymous(client: TestClient) -> dict[str, str]:
    """Headers of a visitor with a session (and its CSRF token) but not signed in."""
    token = csrf_of(client.get("/login").text)
    return {"cookie": f"{SESSION_COOKIE}={client.cookies[SESSION_COOKIE]}", "x-token": token}


@pytest.fixture
def applicant(client: TestClient, make_user: Callable[..., str],
              login: Callable[[str], str]) -> dict[str, str]:
    make_user("applicant1", "applicant")
    token = login("applicant1")
    return {"cookie": f"{SESSION_COOKIE}={client.cookies[SESSION_COOKIE]}", "x-token": token}


def _as(who: dict[str, str], kind: str, length: int | None = None) -> dict[str, str]:
    headers = {"cookie": who["cookie"], "content-type": kind}
    if length is None:
        headers["transfer-encoding"] = "chunked"
    else:
        headers["content-length"] = str(length)
    return headers


def _parts(token: str, files: int = 0, fields: int = 0, field_size: int = 0,
           big: int = 1) -> bytes:
    """A multipart body: the token, ``files`` files, ``fields`` small fields and ``big``
    fields of ``field_size`` bytes."""
    out = [f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{token}\r\n"]
    for i in range(files):
        out.append(f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"material:articles\";"
                   f" filename=\"f{i}.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
                   f"{PDF.decode()}\r\n")
    for i in range(fields):
        out.append(f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"f{i}\"\r\n\r\n1\r\n")
    for i in range(big if field_size else 0):
        out.append(f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"big{i}\""
                   f"\r\n\r\n{'a' * field_size}\r\n")
    return ("".join(out) + f"--{BOUNDARY}--\r\n").encode()


# Anonymous visitors: small urlencoded forms only, judged by their headers first.

def test_an_anonymous_file_upload_is_refused_before_a_byte_is_read(
        app, anonymous: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    answer = call(app, "POST", "/login", _as(anonymous, MULTIPART, 120 * MB), sized(120 * MB))
    assert answer.status == 400 and answer.read == 0
    assert "此处不接受文件上传" in answer.text and "<html" in answer.text
    assert answer.headers["connection"] == "close"  # 120 MB is not worth draining


def test_an_anonymous_form_longer_than_its_allowance_is_refused_by_its_length(
        app, anonymous: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    answer = call(app, "POST", "/login", _as(anonymous, URLENCODED, MB + 1), sized(MB + 1))
    assert answer.status == 413 and answer.read == 0
    assert "提交的内容超过 64 KB 的上限" in answer.text
    assert "connection" not in answer.headers  # 1 MB is drained: the connection lives on
    huge = call(app, "POST", "/register", _as(anonymous, URLENCODED, 410 * MB), sized(410 * MB))
    assert huge.status == 413 and huge.read == 0 and huge.headers["connection"] == "close"


def test_a_body_that_lies_about_its_length_is_cut_off_at_the_allowance(
        app, anonymous: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    answer = call(app, "POST", "/login", _as(anonymous, URLENCODED), endless(16 * KB))
    assert answer.status == 413 and ANONYMOUS_BYTES < answer.read <= ANONYMOUS_BYTES + 16 * KB
    assert answer.headers["connection"] == "close"


def test_an_anonymous_upload_to_an_upload_route_asks_to_sign_in_first(
        app, anonymous: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    answer = call(app, "POST", f"/apply/{MATTER}", _as(anonymous, MULTIPART, 50 * MB),
                  sized(50 * MB))
    assert answer.status == 303 and answer.read == 0
    assert answer.headers["location"] == f"/login?next=/apply/{MATTER}"


def test_a_post_without_a_session_token_is_refused_before_it_is_read(app) -> None:  # type: ignore[no-untyped-def]
    answer = call(app, "POST", "/login", {"content-type": URLENCODED, "content-length": "9000"},
                  sized(9000))
    assert answer.status == 403 and answer.read == 0 and "CSRF" in answer.text


def test_a_wrong_csrf_header_is_refused_before_the_body_is_read(
        app, applicant: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    headers = {**_as(applicant, MULTIPART, 3 * MB), "x-csrf-token": "forged"}
    answer = call(app, "POST", f"/apply/{MATTER}", headers, sized(3 * MB))
    assert answer.status == 403 and answer.read == 0


@pytest.mark.parametrize(("body", "kind", "status", "message"), [
    (_parts("T", files=21), MULTIPART, 400, "此处不接受文件上传"),
    ("_csrf=T&" + "&".join(f"f{i}=1" for i in range(2001)), URLENCODED, 400,
     "表单的项目过多（最多 100 项）"),
    ("_csrf=T&name=" + "a" * MB, URLENCODED, 413, "提交的内容超过 64 KB 的上限"),
    ("name=a", "application/json", 400, "提交的内容须为表单"),
])
def test_hostile_anonymous_forms_get_a_clean_chinese_error(
        client: TestClient, body: str | bytes, kind: str, status: int, message: str) -> None:
    token = csrf_of(client.get("/login").text)
    content = body.replace("T", token, 1) if isinstance(body, str) else \
        body.replace(b"\r\n\r\nT\r\n", f"\r\n\r\n{token}\r\n".encode(), 1)
    # The client raises any exception that escapes the app: none may.
    response = client.post("/login", content=content, headers={"Content-Type": kind})
    assert response.status_code == status and message in response.text
    assert "<html" in response.text and "Traceback" not in response.text
    fragment = client.post("/login", content=content,
                           headers={"Content-Type": kind, "HX-Request": "true"})
    assert fragment.status_code == status and fragment.headers["hx-retarget"] == "#flash"
    assert message in fragment.text and "<html" not in fragment.text


# Signed-in users: files only on upload routes, within the route's own limit.

@pytest.mark.parametrize(("body", "status", "message"), [
    (_parts("T", files=21), 400, "一次最多上传 20 个文件"),
    (_parts("T", fields=2001), 400, "表单的项目过多（最多 2000 项）"),
    (_parts("T", field_size=MB + 1), 413, "表单中有一项超过 1 MB 的上限"),
    (_parts("T", field_size=MB // 2, big=5), 413, "表单中文件以外的内容合计超过 2 MB 的上限"),
])
def test_hostile_uploads_of_a_signed_in_user_get_a_clean_chinese_error(
        client: TestClient, applicant: dict[str, str], body: bytes, status: int,
        message: str) -> None:
    content = body.replace(b"\r\n\r\nT\r\n", f"\r\n\r\n{applicant['x-token']}\r\n".encode(), 1)
    response = client.post(f"/apply/{MATTER}", content=content,
                           headers={"Content-Type": MULTIPART})
    assert response.status_code == status and message in response.text, response.text
    assert "<html" in response.text


def test_an_upload_is_capped_by_its_route_limit_by_header_and_while_reading(
        app, applicant: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    path = f"/apply/{MATTER}"
    declared = call(app, "POST", path, _as(applicant, MULTIPART, UPLOAD_CAP + 1),
                    sized(UPLOAD_CAP + 1))
    assert declared.status == 413 and declared.read == 0 and "7 MB" in declared.text
    head = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"material:articles\"; "
            f"filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").encode()
    lying = call(app, "POST", path, _as(applicant, MULTIPART),
                 iter([head, *sized(UPLOAD_CAP + 4 * MB, 256 * KB)]))
    assert lying.status == 413 and UPLOAD_CAP < lying.read <= UPLOAD_CAP + 256 * KB + len(head)
    assert lying.headers["connection"] == "close"


def test_signed_in_users_send_small_forms_elsewhere(
        app, applicant: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    big = call(app, "POST", "/logout", _as(applicant, URLENCODED, FORM_BYTES + 1),
               sized(FORM_BYTES + 1))
    assert big.status == 413 and big.read == 0 and "2 MB" in big.text
    files = call(app, "POST", "/logout", _as(applicant, MULTIPART, 1000), sized(1000))
    assert files.status == 400 and files.read == 0 and "此处不接受文件上传" in files.text


def test_a_normal_upload_still_goes_through(client: TestClient,
                                           applicant: dict[str, str]) -> None:
    response = client.post(f"/apply/{MATTER}", data={"_csrf": applicant["x-token"],
                                                     "company_name": "测试公司"},
                           files=[("material:articles", ("章程.pdf", PDF, "application/pdf"))],
                           follow_redirects=False)
    assert response.status_code == 303, response.text


def test_every_multipart_form_posts_to_an_upload_route(app) -> None:  # type: ignore[no-untyped-def]
    posts = {r.path for r in app.routes if isinstance(r, Route) and "POST" in (r.methods or ())}
    posts |= {"/api/v1" + r.path for m in app.routes if getattr(m, "path", "") == "/api/v1"
              for r in m.routes if "POST" in (r.methods or ())}
    for path, _ in UPLOAD_ROUTES:
        assert path in posts, path
    uploads = [re.compile(re.sub(r"\{[^}]+\}", "[^/]+", p) + "$") for p, _ in UPLOAD_ROUTES]
    found = 0
    for template in (ROOT / "runtime").rglob("*.html"):
        for tag in re.findall(r"<form[^>]*multipart/form-data[^>]*>", template.read_text()):
            action = re.search(r'action="([^"]+)"', tag)
            assert action, (template, tag)
            url = re.sub(r"\{\{[^}]+\}\}", "x", action.group(1))
            found += 1
            if url == "x":  # the application form: its action is an upload route (below)
                continue
            assert any(u.match(url) for u in uploads), (template.name, url)
    assert found >= 4


def test_a_body_sent_with_get_is_never_read_nor_drained(app) -> None:  # type: ignore[no-untyped-def]
    answer = call(app, "GET", "/login", {"content-length": str(50 * MB)}, sized(50 * MB))
    assert answer.status == 200 and answer.read == 0
    assert answer.headers["connection"] == "close"
    small = call(app, "GET", "/login", {"content-length": "10"}, sized(10))
    assert small.status == 200 and "connection" not in small.headers
