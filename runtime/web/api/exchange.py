"""The exchange between centres as administrators and supervisors watch it."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool

from runtime.web.api.operation import Call, Operation
from runtime.web.api.schemas import list_of, obj, text


async def exchange_status(call: Call) -> Any:
    """Peers (probed), messages not yet acknowledged, refused messages."""
    return await run_in_threadpool(call.services.exchange.report, call.user)


def exchange_retry(call: Call) -> Any:
    """Send a queued message again now."""
    call.services.exchange.retry(call.user, call.path("job_id"))
    return {"retried": call.path("job_id")}


STATUS = obj(("centre", "peers", "queued", "refusals"), closed=False, centre=text(),
             name=text(), peers=list_of(obj(closed=False)), queued=list_of(obj(closed=False)),
             refusals=list_of(obj(closed=False)))
operations: list[Operation] = [
    Operation("GET", "/exchange/status", exchange_status,
              "The exchange between centres: peers, queued and refused messages",
              "admin, supervisor", STATUS, "exchange", errors=(401, 403),
              description="What `onewindow exchange status` prints (docs/exchange.md)."),
    Operation("POST", "/exchange/queued/{job_id}/retry", exchange_retry,
              "Send a queued message again now", "admin",
              obj(("retried",), retried=text()), "exchange", body=obj(),
              errors=(400, 401, 403, 404, 409, 413)),
]
