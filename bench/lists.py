"""The centre's lists at scale: ratings (好差评), the results announcement (办件结果公告)
and scores (考核), read from every case (as before the list indexes) and from the index
records (runtime/services/list_index.py), in the same run on the same embedded store;
then the complaints list (网上投诉) of a department and of the supervisor, and the
ratings list of one department, read from every complaint / every rating (as before
runtime/services/complaint_index.py and the ``rating:<department>`` records) and from
their own records; and the ratings page's counts per department made case by case from
the slim ``rating`` / ``unrated`` records (as before runtime/services/rating_tally.py)
and from the tallies (checked equal first).

The cases are those of the web benchmark (bench/webcases.py): engine-made copies of one
finished case per matter (decided in March 2026), ``--open`` still running; every
``--rated``-th finished case also gets a rating (a 差评 every fifth), written into the
store as the application would (the rating in the case, a ``rate`` event). The index
records are made by the start-up back-fill (timed). ``--complaints`` complaints (default
one per ten cases) spread over the departments, assigned, half of them closed in March
2026, are written as complaint records only (the back-fill indexes them); the ratings
are charged to the cases' departments in turn. Each figure is the median of ``--repeat``
requests through the real application after one not counted; the ratio is against
``GET /login`` measured the same way, in the same run.

    python bench/lists.py --cases 20000
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
import zlib
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[1]))
sys.path.insert(0, str(Path(__file__).parent))

import yaml
from starlette.testclient import TestClient

from bench.stats import NOW, PASSWORD, ROOT, csrf_of, timed
from bench.webcases import build_store
from runtime.engine import complaints as complaint_engine
from runtime.engine.actor import Actor
from runtime.engine.vocabulary import RATEABLE_CASE
from runtime.services import LIFECYCLE, Services, rating_tally
from runtime.services import list_index as lists
from runtime.services.accounts import User
from runtime.services.complaints import KIND as COMPLAINT
from runtime.services.complaints import Complaints
from runtime.services.public import ANNOUNCED, Public, ResultRow, _row
from runtime.services.ratings import Ratings
from runtime.services.scores import Scores
from runtime.settings import Settings
from runtime.store import Store, TinyDBStore
from tests.runtime.api.test_lists_index import counts_case_by_case, every_case

PATHS = {"ratings page": "/ratings", "ratings api": "/api/v1/ratings",
         "results api": "/api/v1/public/results?month=2026-03",
         "scores page": "/scores?period=2026-03", "scores api": "/api/v1/scores?period=2026-03"}
#: Read, before, from every complaint / every rating: (path, who).
OWN = {"complaints amr": ("/api/v1/complaints?limit=200", "bench_amr"),
       "complaints sup": ("/api/v1/complaints?limit=200", "bench_sup"),
       "ratings amr": ("/api/v1/ratings", "bench_amr")}


def old_results(self: Public, *, matter: str | None = None, month: str | None = None,
                limit: int = 50, offset: int = 0) -> tuple[list[ResultRow], int]:
    """The announcement as it was built before: every announced finished case."""
    announced = dict(self.announced())
    rows = [r for r in (_row(c, announced.get(c["matter"], "")) for c in every_case(self.store)
                        if c["status"] in ANNOUNCED and c["matter"] in announced)
            if r is not None and (month is None or r.date.startswith(month))
            and (not matter or r.matter == matter)]
    rows.sort(key=lambda r: (r.date, r.number), reverse=True)
    return rows[offset:offset + limit], len(rows)


def old_counts(self: Ratings, cases: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The counts per department as they were made before the tallies: each case (the
    reference the tests compare the tallies with)."""
    return counts_case_by_case(self, cases)


def counts_from_records(self: Ratings) -> list[dict[str, Any]]:
    """The counts as they were made from the list indexes: every rateable case's record."""
    store = self.cases.store
    return old_counts(self, (*store.list_records(lists.RATED),
                             *store.list_records(lists.UNRATED)))


@contextlib.contextmanager
def reading_every_case() -> Iterator[None]:
    """The three lists as they were: reading every case on each request."""
    saved = Ratings._rated, Scores._cases, Public.results, Scores._complaints, Ratings.counts
    Ratings._rated = lambda self, department=None: (  # type: ignore
        c for c in every_case(self.cases.store) if c["status"] in RATEABLE_CASE)
    Ratings.counts = lambda self: old_counts(self, (  # type: ignore
        c for c in every_case(self.cases.store) if c["status"] in RATEABLE_CASE))
    Scores._cases = lambda self, period: list(every_case(self.store))  # type: ignore
    Public.results = old_results  # type: ignore[method-assign]
    Scores._complaints = lambda self, period: self.store.list_records(  # type: ignore
        COMPLAINT)
    try:
        yield
    finally:
        (Ratings._rated, Scores._cases, Public.results, Scores._complaints,  # type: ignore
         Ratings.counts) = saved


@contextlib.contextmanager
def counting_each_record() -> Iterator[None]:
    """The ratings page's counts as they were: every rateable case's slim record."""
    saved = Ratings.counts
    Ratings.counts = counts_from_records  # type: ignore[method-assign]
    try:
        yield
    finally:
        Ratings.counts = saved  # type: ignore[method-assign]


def old_complaints(self: Complaints, user: User) -> list[dict[str, Any]]:
    """The complaints list as it was: every complaint, then the caller's."""
    found = [d for d in self.store.list_records(COMPLAINT) if self._sees(user, d)]
    return sorted(found, key=lambda d: d["created_at"], reverse=True)


@contextlib.contextmanager
def reading_every_record() -> Iterator[None]:
    """A department's complaints and ratings as they were: every complaint, every rating."""
    saved = Complaints.listing, Ratings._rated
    Complaints.listing = old_complaints  # type: ignore[method-assign]
    Ratings._rated = lambda self, department=None: (  # type: ignore
        self.cases.store.list_records(lists.RATED))
    try:
        yield
    finally:
        Complaints.listing, Ratings._rated = saved  # type: ignore[method-assign]


def complain(store: Store, count: int, departments: list[str]) -> None:
    """``count`` complaints over ``departments``, assigned; every other one closed."""
    sup = Actor("bench_sup_id", "supervisor")
    with store.write() as tx:
        for n in range(count):
            department = departments[n % len(departments)]
            at = datetime(2026, 3, 2, 9, tzinfo=NOW.tzinfo) + timedelta(minutes=n)
            doc = complaint_engine.file(f"k_bench{n:06d}", Actor(f"applicant{n % 97}",
                                        "applicant"), at, f"投诉 {n}", case=None,
                                        case_number=None, department=department)
            doc = complaint_engine.act(doc, sup, at, "assign", department=department,
                                       due=at + timedelta(days=5))
            if n % 2:
                doc = complaint_engine.act(doc, sup, at + timedelta(days=1), "close",
                                           text="已办结", verdict="upheld" if n % 4 == 1
                                           else "not_upheld")
            tx.put_record(COMPLAINT, doc["id"], doc)


def rate(store: Store, every: int) -> int:
    """Give every ``every``-th finished case a rating (a 差评 each fifth); how many."""
    rated = 0
    for case in list(every_case(store)):
        if case["status"] not in RATEABLE_CASE or zlib.crc32(case["id"].encode()) % every:
            continue
        at = datetime.fromisoformat(case["decided_at"]) + timedelta(hours=2)
        level = 2 if rated % 5 == 0 else 5
        department = case["tasks"][rated % len(case["tasks"])]["department"]  # spread
        rectification = {"department": department, "status": "open",
                         "due": (at + timedelta(days=7)).isoformat(), "reply": None,
                         "follow_up": None, "appeal": None} if level == 2 else None
        case["rating"] = {"level": level, "comment": "", "at": at.isoformat(), "by": "bench",
                          "department": department, "rectification": rectification,
                          "dimensions": {}, "source": "online"}
        case["events"] = [*case["events"], {
            "entity": "rating", "action": "rate", "at": at.isoformat(), "actor": "bench",
            "role": "applicant", "seq": len(case["events"]) + 1}]
        with store.write() as tx:
            tx.put_case(case, expected_rev=case.get("rev", 0))
        rated += 1
    return rated


def measure(services: Services, repeat: int, counts_only: bool = False) -> None:
    from runtime.web.app import create_app

    services.accounts.create_user("bench_sup", PASSWORD, "supervisor", display_name="监察")
    services.accounts.create_user("bench_amr", PASSWORD, "department", department="amr",
                                  display_name="市场监管")
    tokens = {who: {"Authorization": f"Bearer {services.accounts.create_token(who)}"}
              for who in ("bench_sup", "bench_amr")}
    bearer = tokens["bench_sup"]
    app = create_app(services.settings, services)
    with TestClient(app, base_url="https://testserver") as client:
        page = client.get("/login")
        client.post("/login", data={"name": "bench_sup", "password": PASSWORD,
                                    "_csrf": csrf_of(page.text)}, follow_redirects=False)
        figures: dict[str, dict[str, float]] = {}
        for how in () if counts_only else ("every case", "index"):
            with reading_every_case() if how == "every case" else contextlib.nullcontext():
                _, base = timed(client, "/login", repeat)
                print(f"{how}: baseline GET /login {base * 1e3:.1f} ms", flush=True)
                for name, path in PATHS.items():
                    first, took = timed(client, path, repeat,
                                        bearer if "api" in name else None)
                    figures.setdefault(name, {})[how] = took
                    print(f"  {name:13}: {took * 1e3:8.1f} ms (first {first * 1e3:.0f} ms), "
                          f"{took / base:7.1f}x baseline", flush=True)
        for how in () if counts_only else ("every record", "own records"):
            with reading_every_record() if how == "every record" else contextlib.nullcontext():
                _, base = timed(client, "/login", repeat)
                print(f"{how}: baseline GET /login {base * 1e3:.1f} ms", flush=True)
                for name, (path, who) in OWN.items():
                    first, took = timed(client, path, repeat, tokens[who])
                    figures.setdefault(name, {})[how] = took
                    print(f"  {name:14}: {took * 1e3:8.1f} ms (first {first * 1e3:.0f} ms), "
                          f"{took / base:7.1f}x baseline", flush=True)
        for how in ("each record", "tallies"):
            with counting_each_record() if how == "each record" else contextlib.nullcontext():
                _, base = timed(client, "/login", repeat)
                print(f"{how}: baseline GET /login {base * 1e3:.1f} ms", flush=True)
                first, took = timed(client, "/ratings", repeat)
                figures.setdefault("ratings page*", {})[how] = took
                print(f"  ratings page  : {took * 1e3:8.1f} ms (first {first * 1e3:.0f} ms), "
                      f"{took / base:7.1f}x baseline", flush=True)
        for name, by in figures.items():
            before, after = by.values()
            print(f"{name:14}: before {before * 1e3:8.1f} ms -> after {after * 1e3:6.1f} ms "
                  f"({before / after:.1f}x faster)")
    print("(* the page with its list of every rating; the counts alone:)")
    time_counts(services.ratings, repeat)


def time_counts(ratings: Ratings, repeat: int) -> None:
    """`Ratings.counts` itself, case by case and from the tallies, checked equal: now (no
    day at the threshold) and 12 hours into the threshold of the busiest decision day."""
    days: dict[str, int] = {}
    for record in ratings.cases.store.list_records(rating_tally.UNRATED_TALLY):
        for day, n in record.items():
            if day not in ("kind", "id"):
                days[day] = days.get(day, 0) + int(n)
    busiest = max(days, key=lambda d: days[d])
    at = datetime.fromisoformat(busiest).replace(tzinfo=NOW.tzinfo) + timedelta(
        days=ratings.default_days, hours=12)
    saved = ratings.clock
    for label, now in (("now", NOW), (f"threshold of {busiest} ({days[busiest]:,} cases)", at)):
        ratings.clock = lambda now=now: now  # type: ignore[misc]
        old = counts_from_records(ratings)
        new = ratings.counts()
        took = {}
        for how, count in (("each record", lambda: counts_from_records(ratings)),
                           ("tallies", ratings.counts)):
            runs = []
            for _ in range(max(repeat, 3)):
                started = time.perf_counter()
                count()
                runs.append(time.perf_counter() - started)
            took[how] = statistics.median(runs)
        print(f"counts at {label}: equal {old == new} ({sum(r['total'] for r in new):,} "
              f"counted, {sum(r['default'] for r in new):,} by default): each record "
              f"{took['each record'] * 1e3:.1f} ms -> tallies {took['tallies'] * 1e3:.2f} ms "
              f"({took['each record'] / took['tallies']:.0f}x faster)", flush=True)
    ratings.clock = saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--open", type=int, default=200)
    parser.add_argument("--rated", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--complaints", type=int, default=None,
                        help="complaints to write (default: one per ten cases)")
    parser.add_argument("--counts-only", action="store_true",
                        help="time only the ratings page and the counts (both ways)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        started = time.perf_counter()
        build_store(data / "store", ROOT / "catalog", args.cases, args.open, department="amr",
                    ready=20, now=NOW, log=lambda _: None)
        store = TinyDBStore(data / "store", lifecycle=LIFECYCLE)
        rated = rate(store, args.rated)
        complaints = args.cases // 10 if args.complaints is None else args.complaints
        departments = [d["id"] for d in yaml.safe_load(
            (ROOT / "catalog" / "departments.yaml").read_text(encoding="utf-8"))["departments"]]
        complain(store, complaints, departments)
        print(f"built {args.cases:,} cases ({rated:,} rated, {complaints:,} complaints) in "
              f"{time.perf_counter() - started:.1f} s", flush=True)
        settings = Settings.load({"data_dir": str(data), "catalog_dir": str(ROOT / "catalog"),
                                  "tick_seconds": 3600}, environ={})
        services = Services.open(settings, store=store, clock=lambda: NOW)
        try:
            started = time.perf_counter()
            services.worker.prepare(NOW)  # the one-time back-fill of the list indexes
            print(f"back-fill of the list indexes: {time.perf_counter() - started:.1f} s",
                  flush=True)
            measure(services, args.repeat, args.counts_only)
        finally:
            services.close()


if __name__ == "__main__":
    main()
