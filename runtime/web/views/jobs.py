"""The administrator's view of the job queue (后台任务): pending, failed with the error,
dead, and a retry button."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from runtime.services.jobs import STATUS_LABELS
from runtime.web.auth import current_user, requires
from runtime.web.door import services_of
from runtime.web.render import flash, page
from runtime.web.security import checked_form

LIST = "/admin/jobs"


@requires("admin")
def jobs(request: Request) -> Response:
    """Jobs by state (dead ones first when any), with their last error."""
    user = current_user(request)
    service = services_of(request).jobs
    chosen = request.query_params.get("status", "")
    status = [chosen] if chosen in STATUS_LABELS else None
    return page(request, "admin_jobs.html", {
        "rows": service.list(user, status=status, limit=200), "counts": service.counts(user),
        "labels": STATUS_LABELS, "chosen": chosen if status else ""})


@requires("admin")
def retry(request: Request) -> Response:
    """Run a job again now (a dead one starts its tries afresh)."""
    checked_form(request)
    done = services_of(request).jobs.retry(current_user(request), request.path_params["job_id"])
    flash(request, f"已重新安排“{done.kind_label}”任务，将立即执行。")
    return RedirectResponse(LIST, status_code=303)


routes = [
    Route(LIST, jobs, name="admin_jobs"),
    Route(LIST + "/{job_id:path}/retry", retry, methods=["POST"], name="admin_job_retry"),
]
