"""Public pages and the account: home, sign-in, sign-out, registration, own password."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from runtime.services import NotAuthenticated, ServiceError
from runtime.services.passwords import RULES
from runtime.web.auth import PASSWORD_PAGE, client_address, current_user, requires, role_home
from runtime.web.door import services_of
from runtime.web.render import flash, page
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
    services = services_of(request)
    matters = sorted(services.catalog.matters.values(), key=lambda m: m.name)
    return page(request, "home.html", {"matters": matters,
                                       "departments": services.catalog.departments})


def login(request: Request) -> Response:
    """Sign in (GET shows the form); a session record is kept in the store."""
    next_url = _safe_next(request.query_params.get("next"), "")
    if request.method == "GET":
        return page(request, "login.html", {"next": next_url, "error": "", "name": ""})
    form = checked_form(request)
    name = str(form.get("name", "")).strip()[:200]
    password = str(form.get("password", ""))
    accounts = services_of(request).accounts
    address = client_address(request)
    try:
        user = accounts.authenticate(name, password, address)
    except ServiceError as exc:
        status = 401 if isinstance(exc, NotAuthenticated) else exc.status
        return page(request, "login.html", {"next": next_url, "error": exc.message, "name": name},
                    status=status)
    login_session(request, user.id)
    request.session["sid"] = accounts.start_session(user, address)
    if user.must_change_password:
        return RedirectResponse(PASSWORD_PAGE, status_code=303)
    return RedirectResponse(_safe_next(str(form.get("next", "")), role_home(user.role)),
                            status_code=303)


def logout(request: Request) -> Response:
    """Sign out (POST with the CSRF token): the session record ends, not just the cookie."""
    checked_form(request)
    sid = request.session.get("sid")
    if sid:
        services_of(request).accounts.end_session(str(sid))
    request.session.clear()
    return RedirectResponse("/", status_code=303)


def register(request: Request) -> Response:
    """Applicants register themselves (rate-limited per address; names are not disclosed)."""
    blank = {"name": "", "display_name": "", "phone": ""}
    if request.method == "GET":
        return page(request, "register.html", {"values": blank, "errors": {}, "rules": RULES})
    form = checked_form(request)
    values = {k: str(form.get(k, "")).strip()[:200] for k in blank}
    password, again = str(form.get("password", "")), str(form.get("password2", ""))
    errors: dict[str, str] = {}
    status = 400
    if not values["display_name"]:
        errors["display_name"] = "请填写姓名或单位名称"
    if password != again:
        errors["password2"] = "两次输入的密码不一致"
    if not errors:
        accounts = services_of(request).accounts
        address = client_address(request)
        try:
            user = accounts.register(values["name"], password, values["display_name"],
                                     values["phone"], address)
        except ServiceError as exc:
            status = exc.status
            errors = {d["pointer"].lstrip("/"): d["message"] for d in exc.details} or {
                "name": exc.message}
        else:
            login_session(request, user.id)
            request.session["sid"] = accounts.start_session(user, address)
            return RedirectResponse("/my/cases", status_code=303)
    return page(request, "register.html", {"values": values, "errors": errors, "rules": RULES},
                status=status)


@requires()
def password(request: Request) -> Response:
    """Every user changes their own password; the first sign-in with a one-time password
    leads here and nowhere else until it is done."""
    user = current_user(request)
    context = {"errors": {}, "rules": RULES, "forced": user.must_change_password}
    if request.method == "GET":
        return page(request, "account_password.html", context)
    form = checked_form(request)
    old, new, again = (str(form.get(k, "")) for k in ("old", "new", "new2"))
    errors: dict[str, str] = {}
    if new != again:
        errors["new2"] = "两次输入的新密码不一致"
    else:
        sid = request.session.get("sid")
        try:
            services_of(request).accounts.change_password(user, old, new,
                                                          session_id=str(sid) if sid else None)
        except ServiceError as exc:
            errors = {d["pointer"].lstrip("/"): d["message"] for d in exc.details} or {
                "old": exc.message}
            return page(request, "account_password.html", {**context, "errors": errors},
                        status=exc.status)
        else:
            flash(request, "密码已修改，您在其他设备上的登录已退出。")
            return RedirectResponse(role_home(user.role), status_code=303)
    return page(request, "account_password.html", {**context, "errors": errors}, status=400)


def me(request: Request) -> Response:
    """Where am I expected to work: redirect to the role's home."""
    user = current_user(request)
    return RedirectResponse(role_home(user.role), status_code=303)


routes = [
    Route("/", home, name="home"),
    Route("/login", login, methods=["GET", "POST"], name="login"),
    Route("/logout", logout, methods=["POST"], name="logout"),
    Route("/register", register, methods=["GET", "POST"], name="register"),
    Route(PASSWORD_PAGE, password, methods=["GET", "POST"], name="account_password"),
    Route("/me", me, name="me"),
]
