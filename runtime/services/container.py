"""The services the web layer and the CLI call, built once from the settings."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from builder import Catalog, load_catalog
from runtime.engine.calendar import CHINA_TZ, WorkCalendar
from runtime.engine.vocabulary import CLOSED_CASE, DECIDED_TASK
from runtime.services import complaint_index, list_index, rating_tally
from runtime.services.accounts import Accounts
from runtime.services.admin import Admin
from runtime.services.agency import Agency
from runtime.services.cases import Cases
from runtime.services.certificates import Register
from runtime.services.complaints import Complaints
from runtime.services.consultations import Consultations
from runtime.services.documents import Documents
from runtime.services.effects import Effects
from runtime.services.entrusted import backfill_at_start
from runtime.services.exchange_wiring import Exchange, open_exchange
from runtime.services.fees import Fees
from runtime.services.files import Files
from runtime.services.jobs import Jobs
from runtime.services.matters import Matters
from runtime.services.notices import Notices
from runtime.services.pages import Pages
from runtime.services.public import Public
from runtime.services.rating_device import RatingDevice
from runtime.services.ratings import Ratings
from runtime.services.recalendar import KIND as RECALENDAR
from runtime.services.recalendar import Recalendar
from runtime.services.reconcile import reconcile
from runtime.services.scores import Scores
from runtime.services.senders import Mailer, SmsGateway
from runtime.services.stat_projection import Projection
from runtime.services.stats import Stats
from runtime.services.tasks import Tasks
from runtime.services.users import Users
from runtime.services.walk_in import WalkIn
from runtime.services.worker import Worker
from runtime.settings import Settings
from runtime.store import Lifecycle, Store, TinyDBStore
from runtime.store.admin_store import AdminStore
from runtime.store.core import IndexedStore
from runtime.store.postgres import PostgresStore
from runtime.store.postgres.admin import PostgresAdminStore

Clock = Callable[[], datetime]
LIFECYCLE = Lifecycle(closed_case=frozenset(str(s) for s in CLOSED_CASE),
                      decided_task=frozenset(str(s) for s in DECIDED_TASK))
"""What the store needs of the engine's states (it spells none itself)."""


def _senders(settings: Settings) -> dict[str, Mailer | SmsGateway]:
    """The delivery channels the settings configure."""
    found: dict[str, Mailer | SmsGateway] = {}
    if settings.smtp_url:
        found["email"] = Mailer(settings.smtp_url, settings.mail_from)
    if settings.sms_url:
        found["sms"] = SmsGateway(settings.sms_url)
    return found


def china_now() -> datetime:
    """The current time in China (UTC+8), to the second."""
    return datetime.now(CHINA_TZ).replace(microsecond=0)


@dataclass
class Services:
    """Everything a use case needs: settings, catalog, calendar, store, clock."""

    settings: Settings
    catalog: Catalog
    calendar: WorkCalendar
    store: Store
    accounts: Accounts
    matters: Matters
    files: Files
    cases: Cases
    tasks: Tasks
    pages: Pages
    users: Users
    walk_in: WalkIn
    admin: Admin
    clock: Clock
    documents: Documents
    fees: Fees
    notices: Notices
    jobs: Jobs
    worker: Worker
    stats: Stats
    public: Public = field(init=False)
    ratings: Ratings = field(init=False)
    complaints: Complaints = field(init=False)
    scores: Scores = field(init=False)
    consultations: Consultations = field(init=False)
    recalendar: Recalendar = field(init=False)
    register: Register = field(init=False)
    agency: Agency = field(init=False)
    exchange: Exchange = field(init=False)
    rating_device: RatingDevice = field(init=False)

    @classmethod
    def open(cls, settings: Settings, *, store: Store | None = None,
             clock: Clock = china_now, admin_store: AdminStore | None = None) -> Services:
        """Load the catalog (``CatalogInvalid`` stops start-up) and open the store."""
        catalog = load_catalog(settings.catalog_path)
        wait = settings.db_wait_seconds
        if admin_store is None:
            admin_store = (PostgresAdminStore(settings.database, timeout=wait)
                           if settings.database
                           else AdminStore.open(settings.data_path / "admin.json"))
        try:
            known = reconcile(settings.catalog_path, catalog, admin_store, clock())
        except BaseException:
            admin_store.close()
            raise
        catalog = known.catalog
        calendar = WorkCalendar.from_catalog(catalog.calendar)
        if store is None:
            try:
                store = (PostgresStore(settings.database, lifecycle=LIFECYCLE,
                                       pool_size=settings.db_pool_size, timeout=wait)
                         if settings.database
                         else TinyDBStore(settings.data_path / "store", lifecycle=LIFECYCLE))
            except BaseException:
                admin_store.close()
                raise
        accounts = Accounts(store, catalog.departments, attempts=settings.login_attempts,
                            now=clock, session_hours=settings.session_hours)
        matters = Matters(known.specs)
        files = Files(store, min(settings.max_upload_mb, catalog.centre.max_upload_mb), clock)
        documents = Documents(store, catalog.centre, accounts, settings.catalog_path)
        senders = _senders(settings)
        notices = Notices(store, accounts, catalog.notifications, frozenset(senders))
        yellow = (catalog.centre.yellow_days, catalog.centre.yellow_fraction)
        register = Register(store, lambda: catalog.certificates, clock)
        effects = Effects(notices, calendar, yellow, settings.deferred_reminder_days,
                          register)
        jobs = Jobs(store, clock)
        cases = Cases(store, matters, calendar, catalog.centre, clock, accounts, documents,
                      effects)
        tasks = Tasks(store, matters, calendar, clock, accounts, *yellow, documents, effects)
        admin = Admin(admin_store, store, matters, catalog, known.specs, settings.catalog_path,
                      clock)
        users = Users(store, accounts)
        projection = Projection(store, matters, calendar, catalog.calendar)
        services = cls(settings, catalog, calendar, store, accounts, matters, files, cases, tasks,
                       Pages(cases, tasks, files, accounts), users,
                       WalkIn(cases, accounts, users), admin, clock, documents,
                       Fees(cases, catalog.centre, calendar, clock, settings.bank_key),
                       notices, jobs,
                       Worker(store, jobs, cases, notices, clock,
                              digest_hour=settings.digest_hour, senders=senders),
                       Stats(store, matters, calendar, accounts, clock, projection))
        projection.prepare()
        admin.on_catalog = services.use_catalog
        services.public = Public(
            store, matters, accounts.limiter, lambda: services.catalog.centre,
            lambda: {d.id: d.name for d in accounts.departments.values()}, clock)
        services.ratings = Ratings(
            cases, calendar, lambda: {d.id: d.name for d in accounts.departments.values()},
            clock, settings.rectify_days, settings.rating_default_days)
        services.rating_device = RatingDevice(cases, services.ratings, matters, clock)
        services.complaints = Complaints(
            cases, calendar, lambda: {d.id: d.name for d in accounts.departments.values()},
            clock, settings.complaint_days)
        services.consultations = Consultations(store, matters, clock)
        services.recalendar = recalendar = Recalendar(store, cases, clock)
        services.worker.handlers[RECALENDAR] = recalendar.run
        recalendar.done.append(projection.recalendar)
        services.worker.starting.append(
            lambda now: recalendar.notice(services.catalog.calendar, now))
        services.worker.starting.append(lambda now: list_index.backfill(store, now))
        services.worker.starting.append(  # after the list records it reads
            lambda now: rating_tally.backfill(store, lambda c: cases.spec(c).lead, now))
        services.worker.starting.append(lambda now: complaint_index.backfill(store, now))
        admin.on_calendar, admin.shared_calendar = recalendar.publish, calendar
        services.register = register
        services.agency = Agency(cases, yellow)
        services.worker.starting.append(backfill_at_start(store))  # 全程代办: older cases
        services.exchange = open_exchange(catalog, os.environ, settings, store, cases,
                                          tasks, services.worker, files, clock)
        services.scores = Scores(
            store, lambda: services.catalog.scoring,
            lambda: {d.id: d.name for d in accounts.departments.values()}, clock)
        return services

    @property
    def reads_in_memory(self) -> bool:
        """Whether reads are answered from memory (the embedded store): then a hot page
        may read on the event loop; a database read goes to the thread pool."""
        return isinstance(self.store, IndexedStore)

    def session_key(self) -> str:
        """The key that signs session cookies: the ``secret_key`` setting, else with
        PostgreSQL one key in the database shared by every process, else a key kept in
        the data folder."""
        if not self.settings.secret_key and isinstance(self.store, PostgresStore):
            return self.store.centre_secret(secrets.token_urlsafe(48))
        return self.settings.secret()

    def follow_published(self) -> int:
        """Serve the matter versions (and calendar) another process published since we
        looked; how many versions."""
        self.recalendar.follow()
        return self.admin.follow_published()

    def use_catalog(self, catalog: Catalog) -> None:
        """Give every reader a changed catalog (an administrator's edit), without a restart."""
        self.catalog = catalog
        self.accounts.departments = catalog.departments
        self.notices.templates = catalog.notifications

    def close(self) -> None:
        """Flush and close the store."""
        self.store.close()
        self.admin.admin_store.close()
