"""Sign-in, registration, CSRF, security headers and the error pages, over real HTTP."""

from __future__ import annotations

from collections.abc import Callable

from starlette.routing import Route
from starlette.testclient import TestClient

from tests.runtime.web.conftest import PASSWORD, csrf_of


def test_home_lists_matters_in_chinese(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "企业开办" in response.text and "承诺时限" in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_login_logout(client: TestClient, make_user: Callable[..., str]) -> None:
    make_user("window1", "window")
    token = csrf_of(client.get("/login").text)
    bad = client.post("/login", data={"name": "window1", "password": "nope", "_csrf": token})
    assert bad.status_code == 401 and "用户名或密码不正确" in bad.text
    ok = client.post("/login", data={"name": "window1", "password": PASSWORD, "_csrf": token},
                     follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/window"
    cookie = ok.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    page = client.get("/").text
    assert "window1" in page and "退出" in page
    new_token = csrf_of(page)
    assert new_token != token  # a fresh session on sign-in: no fixation
    out = client.post("/logout", data={"_csrf": new_token}, follow_redirects=False)
    assert out.status_code == 303
    assert "登录" in client.get("/").text


def test_login_is_rate_limited(client: TestClient, make_user: Callable[..., str]) -> None:
    make_user("victim", "applicant")
    token = csrf_of(client.get("/login").text)
    for _ in range(5):
        client.post("/login", data={"name": "victim", "password": "wrong", "_csrf": token})
    blocked = client.post("/login", data={"name": "victim", "password": PASSWORD,
                                          "_csrf": token})
    assert blocked.status_code == 429 and "登录失败次数过多" in blocked.text


def test_next_parameter_cannot_redirect_off_site(client: TestClient,
                                                 make_user: Callable[..., str]) -> None:
    make_user("someone", "applicant")
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"name": "someone", "password": PASSWORD,
                                           "_csrf": token, "next": "//evil.example/x"},
                           follow_redirects=False)
    assert response.headers["location"] == "/my/cases"


def test_register_applicant_with_errors_then_success(client: TestClient) -> None:
    token = csrf_of(client.get("/register").text)
    bad = client.post("/register", data={"name": "x", "display_name": "", "password": "short",
                                         "password2": "other", "_csrf": token})
    assert bad.status_code == 400
    for message in ("请填写姓名或单位名称", "两次输入的密码不一致"):
        assert message in bad.text
    ok = client.post("/register", data={"name": "zhang.san", "display_name": "张三",
                                        "password": PASSWORD, "password2": PASSWORD,
                                        "_csrf": token}, follow_redirects=False)
    assert ok.status_code == 303
    assert "张三（申请人）" in client.get("/").text
    token = csrf_of(client.get("/").text)
    client.post("/logout", data={"_csrf": token})
    token = csrf_of(client.get("/register").text)
    taken = client.post("/register", data={"name": "zhang.san", "display_name": "另一个",
                                           "password": PASSWORD, "password2": PASSWORD,
                                           "_csrf": token})
    assert taken.status_code == 400 and "该用户名无法注册" in taken.text


def test_register_short_password_and_bad_name(client: TestClient) -> None:
    token = csrf_of(client.get("/register").text)
    bad = client.post("/register", data={"name": "x", "display_name": "张三", "password": "short",
                                         "password2": "short", "_csrf": token})
    assert bad.status_code == 400
    assert "密码至少 8 个字符" in bad.text and "用户名须为 3–64 位" in bad.text


def test_xss_in_display_name_is_escaped(client: TestClient) -> None:
    token = csrf_of(client.get("/register").text)
    client.post("/register", data={"name": "xss-user", "display_name": "<script>alert(1)</script>",
                                   "password": PASSWORD, "password2": PASSWORD, "_csrf": token})
    page = client.get("/").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_every_state_changing_route_refuses_a_post_without_csrf(app, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    client.get("/")  # a session exists, but the POST carries no token
    checked = 0
    for route in app.routes:
        if isinstance(route, Route) and route.methods and "POST" in route.methods \
                and not route.path.startswith("/api/"):
            path = route.path.replace("{", "").replace("}", "")
            response = client.post(path, data={"x": "1"}, follow_redirects=False)
            assert response.status_code in (403, 303, 401), (route.path, response.status_code)
            if response.status_code == 403:
                checked += 1
    assert checked >= 3


def test_cross_origin_post_is_refused(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"name": "a", "password": "b", "_csrf": token},
                           headers={"Origin": "https://evil.example"})
    assert response.status_code == 403


def test_unknown_page_is_a_chinese_404_without_traceback(client: TestClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "未找到" in response.text
    assert "Traceback" not in response.text
    fragment = client.get("/no/such/page", headers={"HX-Request": "true"})
    assert fragment.status_code == 404 and "<html" not in fragment.text
    assert fragment.headers["hx-retarget"] == "#flash"


def test_api_errors_are_json(client: TestClient) -> None:
    response = client.get("/api/v1/nothing")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_server_error_shows_an_incident_id_not_a_traceback(app, services) -> None:  # type: ignore[no-untyped-def]
    from starlette.routing import Route as R

    async def boom(request):  # type: ignore[no-untyped-def]
        raise RuntimeError("secret internals")

    app.router.routes.insert(0, R("/boom", boom))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert "系统内部错误" in response.text and "secret internals" not in response.text


def test_notice_page_lists_materials_steps_limits_and_plan(client: TestClient) -> None:
    response = client.get("/matters/enterprise-establishment")
    assert response.status_code == 200
    text = response.text
    for expected in ("一次性告知", "申请材料", "承诺时限", "法定时限", "市场监督管理局", "<svg",
                     "开始申请"):
        assert expected in text, expected
    assert client.get("/matters/nope").status_code == 404


def test_wrong_method_says_which_are_allowed(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    response = client.put("/login", headers={"X-CSRF-Token": token})
    assert response.status_code == 405 and "GET" in response.headers["allow"]
    api = client.delete("/api/v1/matters")
    assert api.status_code == 405 and api.json()["error"] == "method_not_allowed"
    assert "GET" in api.headers["allow"]
