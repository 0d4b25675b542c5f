"""Statistics (统计分析): charts and tables per department or matter, CSV and XLSX."""

from __future__ import annotations

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runtime.services import Invalid, User
from runtime.services.stats import Table
from runtime.web.auth import current_user, requires
from runtime.web.door import services_of
from runtime.web.render import page

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _table(request: Request, user: User) -> Table:
    params = request.query_params
    by = params.get("by") or "department"
    return services_of(request).stats.table(user, by, params.get("from"), params.get("to"))


@requires("supervisor", "admin", "department")
def statistics(request: Request) -> Response:
    """The period's charts with the table under them (a department: its own row)."""
    user = current_user(request)
    try:
        table = _table(request, user)
    except Invalid as exc:
        return page(request, "statistics.html", {"error": exc.message, "details": exc.details,
                                                 "table": None, "charts": []}, status=400)
    charts = [Markup(svg) for svg in services_of(request).stats.charts(table)]
    return page(request, "statistics.html", {"table": table, "charts": charts, "error": ""})


def _name(table: Table, ext: str) -> str:
    return f"stats-{table.by}-{table.start.isoformat()}-{table.end.isoformat()}.{ext}"


@requires("supervisor", "admin", "department")
def export_csv(request: Request) -> Response:
    """The same table as CSV (UTF-8 with a byte-order mark)."""
    table = _table(request, current_user(request))
    return Response(services_of(request).stats.csv(table), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition":
                             f'attachment; filename="{_name(table, "csv")}"'})


@requires("supervisor", "admin", "department")
def export_xlsx(request: Request) -> Response:
    """The same table as an XLSX workbook."""
    table = _table(request, current_user(request))
    return Response(services_of(request).stats.xlsx(table), media_type=XLSX,
                    headers={"Content-Disposition":
                             f'attachment; filename="{_name(table, "xlsx")}"'})


routes = [
    Route("/statistics", statistics, name="statistics"),
    Route("/statistics.csv", export_csv, name="statistics_csv"),
    Route("/statistics.xlsx", export_xlsx, name="statistics_xlsx"),
]
