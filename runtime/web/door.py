"""The one typed way a view or API handler reaches the services."""

from __future__ import annotations

from starlette.requests import Request

from runtime.services import Services


def services_of(request: Request) -> Services:
    """The app's services (built once by ``create_app``)."""
    found: Services = request.app.state.services
    return found
