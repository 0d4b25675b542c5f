"""Benchmark the exchange between centres (issue 17): two onewindow centres on loopback.

    .venv/bin/python bench/exchange.py                       # 1,000 cases each way
    .venv/bin/python bench/exchange.py --cases 200 --latency-cases 50   # a quicker look

The province (海南省政务服务中心) and the city (海口市政务服务中心) are real ``onewindow
serve`` processes (embedded store, each its own catalog and data folder, see
bench/centres.py). The province's matter has three steps: 营业执照核发 (amr) → 印章刻制
→ 登记归档 (amr, reading the seal number). In ``company-with-seal`` the middle step is
done by the city police (``psb`` sits in the city); in ``company-with-seal-local`` — the
same matter, added to the province's catalog for this run — by a department of the
province itself.

1. Latency on an idle link: ``--latency-cases`` cases one at a time; for each, the clock
   starts when the licence approval is sent (the seal task becomes ready in that batch)
   and stops when the task is first seen in the police's list in the city (polled every
   2 ms). p50 / p99 / max.
2. Lifecycle rate: ``--cases`` cases through their whole life (apply with a file, accept,
   licence, seal, archive: the case approved), eight client threads applying and each
   department's officer working its list with eight threads — once with the seal step in
   the city, once local, in this same run. Cases per second for each, and their ratio
   (goal ≥ 0.5); plus the ready→appears latency under that load.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.centres import (  # noqa: E402  (run as a script)
    CITY_USERS,
    FIXTURES,
    KEY,
    PNG,
    PROVINCE_USERS,
    Centre,
)

THREADS = 8
LICENSE = {"license_no": "91460100MA5T000001"}


def _province_source(tmp: Path) -> Path:
    """The province's fixture catalog with the local twin of the matter."""
    source = tmp / "province-source"
    shutil.copytree(FIXTURES / "province", source)
    departments = source / "departments.yaml"
    departments.write_text(departments.read_text("utf-8")
                           + "  - {id: psb-here, name: 海南省公安厅印章管理科}\n", "utf-8")
    matter = (source / "matters" / "company-with-seal.yaml").read_text("utf-8")
    local = matter.replace("id: company-with-seal", "id: company-with-seal-local").replace(
        "department: psb", "department: psb-here")
    (source / "matters" / "company-with-seal-local.yaml").write_text(local, "utf-8")
    return source


def _apply(province: Centre, matter: str, holder: str) -> str:
    file_id = province.upload("alice", "身份证.png", PNG)
    case = province.api("alice", "POST", "/cases", {
        "matter": matter, "data": {"company_name": holder},
        "materials": {"legal-rep-id": [file_id]}})
    province.api("win", "POST", f"/cases/{case['id']}/accept")
    return str(case["id"])


def _work(centre: Centre, user: str, step: str, total: int, data: Callable[[Any], Any],
          seen: Callable[[dict[str, Any]], None] | None = None,
          stop: threading.Event | None = None) -> None:
    """An officer's loop: list the ready tasks, claim and approve those of ``step``
    (eight at a time), until ``total`` are done."""
    done: set[str] = set()
    with ThreadPoolExecutor(THREADS) as pool:
        while len(done) < total and not (stop and stop.is_set()):
            rows = [r for r in centre.api(user, "GET", "/tasks?status=ready&limit=200")
                    if r["step"] == step and r["id"] not in done]
            if not rows:
                time.sleep(0.005)
                continue
            if seen is not None:
                for row in rows:
                    seen(row)

            def one(row: dict[str, Any]) -> str:
                centre.api(user, "POST", f"/tasks/{row['id']}/claim")
                centre.api(user, "POST", f"/tasks/{row['id']}/approve",
                           {"data": data(row), "opinion": "同意"})
                return str(row["id"])
            done.update(pool.map(one, rows))


def latency(province: Centre, city: Centre, count: int) -> list[float]:
    """Ready → appears, one case at a time on an idle link (seconds)."""
    found = []
    for i in range(count):
        case_id = _apply(province, "company-with-seal", f"延迟测试有限公司{i}")
        case = province.api("win", "GET", f"/cases/{case_id}")
        task = next(t for t in case["tasks"] if t["step"] == "license")
        province.api("amr1", "POST", f"/tasks/{task['id']}/claim")
        before = city.count("cop1", "/tasks?status=ready&limit=1")
        start = time.perf_counter()
        province.api("amr1", "POST", f"/tasks/{task['id']}/approve", {"data": LICENSE})
        while city.count("cop1", "/tasks?status=ready&limit=1") <= before:
            time.sleep(0.002)
        found.append(time.perf_counter() - start)
    # clear them away so they do not weigh on the next phase's lists
    _work(city, "cop1", "seal", count, lambda _r: {"seal_no": "HK-0000"})
    _work(province, "amr1", "archive", count, lambda _r: {})
    return found


def lifecycle(province: Centre, city: Centre, cases: int,
              remote: bool) -> tuple[float, list[float]]:
    """``cases`` cases through their whole life; (cases per second, ready→seen under load)."""
    matter = "company-with-seal" if remote else "company-with-seal-local"
    tag = "远" if remote else "本"
    ready: dict[str, float] = {}
    appeared: dict[str, float] = {}

    def approved_license(row: dict[str, Any]) -> Any:
        ready[row["case_summary"]["holder"]] = time.perf_counter()
        return LICENSE

    def first_seen(row: dict[str, Any]) -> None:
        appeared.setdefault(row["case_summary"]["holder"], time.perf_counter())

    start = time.perf_counter()
    officers = [
        threading.Thread(target=_work, args=(province, "amr1", "license", cases,
                                             approved_license)),
        threading.Thread(target=_work, args=(province, "amr1", "archive", cases,
                                             lambda _r: {})),
        threading.Thread(target=_work, kwargs={
            "centre": city if remote else province, "user": "cop1" if remote else "here1",
            "step": "seal", "total": cases, "data": lambda r: {"seal_no": "SEAL-" + r["id"][-6:]},
            "seen": first_seen})]
    for officer in officers:
        officer.start()
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(lambda i: _apply(province, matter, f"海口{tag}测科技有限公司{i}"),
                      range(cases)))
    for officer in officers:
        officer.join()
    elapsed = time.perf_counter() - start
    waits = [appeared[h] - ready[h] for h in ready if h in appeared]
    return cases / elapsed, waits


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--latency-cases", type=int, default=200)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ow-exchange-bench-"))
    province = Centre("province", tmp / "province", "haikou")
    city = Centre("city", tmp / "city", "hainan")
    try:
        province.prepare(_province_source(tmp), city.port,
                         [*PROVINCE_USERS, ("here1", "department", "psb-here")], KEY)
        city.prepare(FIXTURES / "city", province.port, CITY_USERS, KEY)
        city.start()
        province.start()
        idle = latency(province, city, args.latency_cases)
        print(f"ready→appears, idle link, {len(idle)} cases one at a time: "
              f"p50 {statistics.median(idle) * 1000:.0f} ms, p99 {_pct(idle, 0.99) * 1000:.0f} ms, "
              f"max {max(idle) * 1000:.0f} ms", flush=True)
        remote_rate, loaded = lifecycle(province, city, args.cases, remote=True)
        local_rate, _ = lifecycle(province, city, args.cases, remote=False)
        print(f"lifecycle, {args.cases} cases, {THREADS} client threads: seal step in the city "
              f"{remote_rate:.1f} cases/s, local {local_rate:.1f} cases/s, ratio "
              f"{remote_rate / local_rate:.2f} (goal ≥ 0.5)")
        if loaded:
            print(f"ready→appears under that load ({len(loaded)} cases): p50 "
                  f"{statistics.median(loaded) * 1000:.0f} ms, p99 "
                  f"{_pct(loaded, 0.99) * 1000:.0f} ms")
        return 0
    finally:
        province.stop()
        city.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
