"""The one-time notice (一次性告知) of a matter, readable before applying."""

from __future__ import annotations

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runtime.web.door import services_of
from runtime.web.render import page


def notice(request: Request) -> Response:
    """Conditions, every material (and when it applies), departments, limits, fees, plan."""
    services = services_of(request)
    found = services.pages.notice(request.path_params["matter_id"])
    # The SVG is built by builder.svg, which escapes every catalog text it includes.
    return page(request, "matter_notice.html", {
        "matter": found.matter, "departments": found.departments, "plan": found.plan,
        "materials": found.materials, "steps": found.steps,
        "picture": Markup(found.picture), "faq": services.consultations.faq(found.matter.id)})


routes = [Route("/matters/{matter_id}", notice, name="matter_notice")]
