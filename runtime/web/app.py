"""``create_app(settings)``: the Starlette app from routes, middleware and handlers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from runtime.services import ServiceError, Services
from runtime.settings import Settings
from runtime.web import api, errors, exchange_inbox
from runtime.web.auth import Authenticate
from runtime.web.bodies import BodyLimit
from runtime.web.methods import AllowedMethods
from runtime.web.render import RUNTIME, make_templates
from runtime.web.security import CsrfProtect, SecurityHeaders
from runtime.web.views import (
    account,
    accountability,
    admin,
    agents,
    applicant,
    calendar,
    cases,
    department,
    editor,
    exchange,
    jobs,
    matters,
    notifications,
    supervision,
    users,
    window,
)

SESSION_COOKIE = "ow_session"
log = logging.getLogger("onewindow.web")
WAKE_LOOK = 0.02
"""How often a dozing worker looks whether it was woken (seconds)."""


async def _favicon(request: Request) -> Response:
    """Browsers ask for /favicon.ico whatever the page links: send them the icon."""
    return RedirectResponse("/static/favicon.svg", status_code=301)


def routes() -> list[BaseRoute]:
    """Every route, grouped by role in small modules."""
    return [
        *account.routes,
        *notifications.routes,
        *matters.routes,
        *applicant.routes,
        *agents.routes,
        *cases.routes,
        *window.routes,
        *department.routes,
        *supervision.routes,
        *accountability.routes,
        *admin.routes,
        *users.routes,
        *jobs.routes,
        *calendar.routes,
        *exchange.routes,
        *editor.routes,
        *api.routes,
        *exchange_inbox.routes,
        Route("/favicon.ico", _favicon),
        Mount("/static", StaticFiles(directory=RUNTIME / "static"), name="static"),
    ]


async def _keep_time(services: Services, seconds: float) -> None:
    """Run the worker in this process (runtime/services/worker.py): due jobs — 超时默许,
    lights, digests — as they fall due, so lists and the board are right even when
    nobody opens a case (reads never write). Claims are safe beside other workers."""
    worker = services.worker
    try:
        await run_in_threadpool(worker.prepare)
    except Exception:  # logged; the loop below still runs what is scheduled
        log.exception("preparing the worker failed")
    while True:
        pause = seconds
        try:
            await run_in_threadpool(worker.run_once)
            pause = await run_in_threadpool(worker.pause, seconds)
        except Exception:  # logged, and tried again next round: time must keep running
            log.exception("running jobs failed")
        await _doze(worker.woken, pause)


async def _doze(woken: threading.Event, seconds: float) -> None:
    """Sleep up to ``seconds``, less when a new exchange message wakes the worker."""
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while not woken.is_set() and loop.time() < end:
        await asyncio.sleep(min(WAKE_LOOK, max(0.0, end - loop.time())))
    woken.clear()


async def _follow_published(services: Services, seconds: float) -> None:
    """Serve the matter versions other processes publish (one data set, many processes)."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await run_in_threadpool(services.follow_published)
        except Exception as exc:  # the database away: try again next round
            log.warning("looking for newly published versions failed: %s", exc)


def create_app(settings: Settings, services: Services | None = None) -> Starlette:
    """Build the app; opens the services from ``settings`` unless given."""
    services = services or Services.open(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # With PostgreSQL, time-driven work is `onewindow worker`'s (once, not in every
        # server process); each process follows what the others publish.
        chores = [asyncio.create_task(
            _follow_published(services, settings.follow_seconds) if settings.database
            else _keep_time(services, settings.tick_seconds))]
        try:
            yield
        finally:
            for chore in chores:
                chore.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await chore
            services.close()

    # Outermost first. The body is read only by CsrfProtect (HTML forms) or the API
    # handler, after Authenticate knows the caller and BodyLimit has set the allowance.
    middleware = [
        Middleware(SecurityHeaders, hsts_seconds=settings.hsts_seconds),
        Middleware(AllowedMethods),
        Middleware(errors.DatabaseAway),
        Middleware(SessionMiddleware, secret_key=services.session_key(),
                   session_cookie=SESSION_COOKIE,
                   max_age=int(settings.session_hours * 3600), same_site="lax",
                   https_only=settings.secure_cookies),
        Middleware(Authenticate),
        Middleware(BodyLimit),
        Middleware(CsrfProtect),
    ]
    handlers = {ServiceError: errors.handle, HTTPException: errors.handle,
                Exception: errors.handle}
    app = Starlette(routes=routes(), middleware=middleware,
                    exception_handlers=handlers,
                    lifespan=lifespan)
    app.state.services = services
    app.state.templates = make_templates()
    app.state.templates.env.globals["elsewhere"] = services.tasks.elsewhere
    app.state.settings = settings
    return app


def app_from_environment() -> Starlette:
    """One process of ``serve --workers N``: the app from the ``ONEWINDOW_*`` settings."""
    return create_app(Settings.load())
