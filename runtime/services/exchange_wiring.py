"""Building the exchange between centres from the catalog, the environment and the
settings, and hooking it into the case changes, the worker and the matters."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from builder import Catalog
from runtime.exchange.signature import env_name
from runtime.services.cases import Cases
from runtime.services.exchange import Exchange
from runtime.services.exchange_base import JOB, Link
from runtime.services.exchange_in import Inbox
from runtime.services.exchange_out import Outbox
from runtime.services.exchange_probe import Probe
from runtime.services.exchange_sync import Sync
from runtime.services.files import Files
from runtime.services.tasks import Tasks
from runtime.services.worker import Worker
from runtime.settings import Settings
from runtime.store import Store

__all__ = ["Exchange", "open_exchange"]
log = logging.getLogger("onewindow.exchange")


def open_exchange(catalog: Catalog, environ: Mapping[str, str], settings: Settings,
                  store: Store, cases: Cases, tasks: Tasks, worker: Worker, files: Files,
                  clock: Callable[[], datetime]) -> Exchange:
    """The exchange of this centre; with no peers it sends nothing and refuses every
    message (no key is configured)."""
    link = Link.of(catalog, environ, settings.exchange_alarm_minutes)
    link.wake = worker.wake
    cases.accounts.outside.update({f"exchange:{p}": peer.name for p, peer in link.peers.items()})
    departments = cases.accounts.departments

    def user_name(user_id: str) -> str:
        user = store.get_user(user_id)
        return str((user or {}).get("display_name") or (user or {}).get("name") or "")

    outbox = Outbox(link, store, clock, files.read,
                    lambda d: getattr(departments.get(d), "name", d), user_name)
    inbox = Inbox(link, store, cases, cases.calendar, clock)
    cases.matters.fallback = inbox.mirror
    cases.effects.also.append(outbox.after)
    worker.many[JOB] = outbox.deliver_all
    outbox.fail = lambda job, error: worker.jobs.fail(job, error)
    Sync(link, store, inbox, outbox, clock, user_name)
    exchange = Exchange(link, store, inbox, outbox, clock)
    exchange.probe = Probe(exchange, worker, settings.exchange_probe_seconds, clock)
    tasks.elsewhere = exchange.remote_label
    if link.active:
        worker.poll = settings.exchange_poll_seconds
    for peer in sorted(p for p, keys in link.keys.items() if not keys):
        log.warning("peer %s has no key in %s: messages to it wait, messages from it are "
                    "refused (docs/exchange.md)", peer, env_name(peer))
    return exchange
