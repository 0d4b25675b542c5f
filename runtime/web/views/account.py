"""Public pages and the account: home, sign-in, sign-out, registration."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from runtime.services.errors import NotAuthenticated, ServiceError
from runtime.web.auth import current_user, role_home
from runtime.web.render import page
from runtime.web.security import checked_form, login_session


def _safe_next(target: str | None, default: str) -> str:
    """Only same-site paths: an open redirect would help phishing."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def home(request: Request) -> Response:
    """The matter list (事项列表) for everyone; signed-in staff get their workspace link."""
    services = request.app.state.services
    matters = sorted(services.catalog.matters.values(), key=lambda m: m.name)
    return page(request, "home.html", {"matters": matters,
                                       "departments": services.catalog.departments})


def login(request: Request) -> Response:
    """Sign in (GET shows the form)."""
    next_url = _safe_next(request.query_params.get("next"), "")
    if request.method == "GET":
        return page(request, "login.html", {"next": next_url, "error": "", "name": ""})
    form = checked_form(request)
    name = str(form.get("name", "")).strip()
    password = str(form.get("password", ""))
    address = request.client.host if request.client else ""
    try:
        user = request.app.state.services.accounts.authenticate(name, password, address)
    except NotAuthenticated as exc:
        return page(request, "login.html", {"next": next_url, "error": exc.message, "name": name},
                    status=401)
    except ServiceError as exc:
        return page(request, "login.html", {"next": next_url, "error": exc.message, "name": name},
                    status=exc.status)
    login_session(request, user.id)
    return RedirectResponse(_safe_next(str(form.get("next", "")), role_home(user.role)),
                            status_code=303)


def logout(request: Request) -> Response:
    """Sign out (POST with the CSRF token)."""
    checked_form(request)
    request.session.clear()
    return RedirectResponse("/", status_code=303)


def register(request: Request) -> Response:
    """Applicants register themselves."""
    blank = {"name": "", "display_name": "", "phone": ""}
    if request.method == "GET":
        return page(request, "register.html", {"values": blank, "errors": {}})
    form = checked_form(request)
    values = {k: str(form.get(k, "")).strip() for k in blank}
    password, again = str(form.get("password", "")), str(form.get("password2", ""))
    errors: dict[str, str] = {}
    if not values["display_name"]:
        errors["display_name"] = "请填写姓名或单位名称"
    if password != again:
        errors["password2"] = "两次输入的密码不一致"
    if not errors:
        try:
            user = request.app.state.services.accounts.register(
                values["name"], password, values["display_name"], values["phone"])
        except ServiceError as exc:
            errors = {d["pointer"].lstrip("/"): d["message"] for d in exc.details} or {
                "name": exc.message}
        else:
            login_session(request, user.id)
            return RedirectResponse("/my/cases", status_code=303)
    return page(request, "register.html", {"values": values, "errors": errors}, status=400)


def me(request: Request) -> Response:
    """Where am I expected to work: redirect to the role's home."""
    user = current_user(request)
    return RedirectResponse(role_home(user.role), status_code=303)



routes = [
    Route("/", home, name="home"),
    Route("/login", login, methods=["GET", "POST"], name="login"),
    Route("/logout", logout, methods=["POST"], name="logout"),
    Route("/register", register, methods=["GET", "POST"], name="register"),
    Route("/me", me, name="me"),
]
