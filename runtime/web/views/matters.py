"""The one-time notice (一次性告知) of a matter, readable before applying."""

from __future__ import annotations

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from builder.plan import make_plan
from builder.svg import render_svg
from runtime.services.errors import NotFound
from runtime.web.describe import describe_condition
from runtime.web.render import page


def notice(request: Request) -> Response:
    """Conditions, every material (and when it applies), departments, limits, fees, plan."""
    services = request.app.state.services
    matter = services.catalog.matters.get(request.path_params["matter_id"])
    if matter is None:
        raise NotFound("没有这个事项")
    departments = {d.id: d.name for d in services.catalog.departments.values()}
    plan = make_plan(matter)
    materials = [(m, describe_condition(m.when, matter.form)) for m in matter.materials]
    steps = [(s, describe_condition(s.when, matter.form), plan.steps[s.id])
             for s in matter.steps]
    # The SVG is built by builder.svg, which escapes every catalog text it includes.
    picture = Markup(render_svg(matter, plan, departments))
    return page(request, "matter_notice.html", {
        "matter": matter, "departments": departments, "plan": plan, "materials": materials,
        "steps": steps, "picture": picture})


routes = [Route("/matters/{matter_id}", notice, name="matter_notice")]
