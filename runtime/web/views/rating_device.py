"""The window's rating device (一次一评): the window starts a one-time session for a
decided case; the device page, open without sign-in, records the applicant's rating."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from runtime.services import ServiceError
from runtime.services.errors import Conflict, NotFound
from runtime.web.auth import current_user, requires
from runtime.web.door import services_of
from runtime.web.render import page
from runtime.web.security import checked_form


@requires("window")
def start(request: Request) -> Response:
    """Start a session for the case and open the device page."""
    checked_form(request)
    token = services_of(request).rating_device.start(current_user(request),
                                                     request.path_params["case_id"])
    return RedirectResponse(f"/rate/{token}", status_code=303)


def _device(request: Request, *, done: bool = False, error: str = "",
            status: int = 200) -> Response:
    token = request.path_params["token"]
    device = services_of(request).rating_device
    shown: dict[str, Any] | None = None
    if not done:
        try:
            shown = device.describe(token)
        except NotFound as exc:
            error, status = exc.message, 404
    return page(request, "rate_device.html", {
        "token": token, "case": shown, "done": done, "error": error,
        "levels": device.levels(), "dimensions": device.dimensions(),
        # a device on the window's counter: no navigation, no sign-in or registration
        "kiosk": True},
        status=status)


def device(request: Request) -> Response:
    """The device page: the five levels as large buttons (no sign-in)."""
    return _device(request)


def rate(request: Request) -> Response:
    """Record the rating of the session's case (once)."""
    form = checked_form(request)
    raw = str(form.get("level", ""))
    level: object = int(raw) if raw.isdigit() else raw
    dimensions: dict[str, object] = {}
    for key in services_of(request).rating_device.dimensions():
        value = str(form.get(f"dim_{key}", ""))
        if value:
            dimensions[key] = int(value) if value.isdigit() else value
    try:
        services_of(request).rating_device.rate(request.path_params["token"], level,
                                                str(form.get("comment", "")), dimensions)
    except NotFound as exc:
        return _device(request, error=exc.message, status=404)
    except Conflict as exc:
        return _device(request, done=True, error=exc.message, status=409)
    except ServiceError as exc:
        return _device(request, error=exc.message, status=exc.status)
    return _device(request, done=True)


routes = [
    Route("/window/cases/{case_id}/rating-device", start, methods=["POST"],
          name="rating_device_start"),
    Route("/rate/{token}", device, name="rating_device"),
    Route("/rate/{token}", rate, methods=["POST"], name="rating_device_rate"),
]
