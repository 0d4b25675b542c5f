"""kill -9 a writer mid-stream: every acknowledged write must survive."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from runtime.services import LIFECYCLE
from runtime.store import TinyDBStore

ROOT = Path(__file__).resolve().parents[3]

# Writes a new case per batch (numbered from a gap-free sequence) and rewrites an
# older one, so segments fill, snapshots are written and segments get merged while
# the process may be killed. Prints each id only after write() has returned.
WRITER = """
import sys
from runtime.services import LIFECYCLE
from runtime.store import TinyDBStore

store = TinyDBStore(sys.argv[1], segment_bytes=32 * 1024, lifecycle=LIFECYCLE)
i = int(sys.argv[2])
while True:
    i += 1
    with store.write() as tx:
        n = tx.next_sequence("CD20261128")
        tx.put_case({
            "schema": 1, "id": f"c_{i}", "number": f"CD20261128{n:05d}", "matter": "m",
            "matter_version": 1, "status": "in_progress", "applicant": "u_1",
            "data": {"text": "申请材料" * 60}, "materials": {}, "outputs": {},
            "tasks": [{"id": "t_1", "case": f"c_{i}", "step": "s", "department": f"d{i % 3}",
                       "status": "ready", "ready_at": None, "due": None, "claimed_by": None}],
            "events": [], "updated_at": f"2026-11-28T{i:08d}",
        })
        old = tx.get_case(f"c_{i // 2}")
        if old is not None and i > 1:
            old["status"] = "delivered"
            tx.put_case(old)
    print(f"c_{i}", flush=True)
"""


def _run_and_kill(data_dir: Path, start: int, writes: int) -> list[str]:
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(data_dir), str(start)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert writer.stdout is not None
    acked = [writer.stdout.readline().strip() for _ in range(writes)]
    writer.send_signal(signal.SIGKILL)
    acked += [line.strip() for line in writer.stdout]  # printed before the kill: acked too
    writer.wait()
    return acked


def test_acknowledged_writes_survive_sigkill(tmp_path: Path) -> None:
    acked: list[str] = []
    for round_writes in (700, 300):
        start = len(acked)
        acked += _run_and_kill(tmp_path, start, round_writes)
        store = TinyDBStore(tmp_path, segment_bytes=32 * 1024, lifecycle=LIFECYCLE)
        try:
            missing = [case_id for case_id in acked if store.get_case(case_id) is None]
            assert not missing, f"{len(missing)} acknowledged cases lost, e.g. {missing[:3]}"
            stored = store.count_cases()
            assert stored in (len(acked), len(acked) + 1)  # +1: written, killed before ack
            numbers = sorted(
                int(c["number"][-5:]) for c in store.list_cases(limit=stored)
            )
            assert numbers == list(range(1, stored + 1))  # the sequence is gap-free
            assert store.stats()["snapshot"] > 0  # checkpoints happened mid-stream
            acked = [f"c_{i}" for i in range(1, stored + 1)]
        finally:
            store.close()


# Four threads advance twelve open cases (three each, ~5 KB: big enough for deltas)
# by deltas: version r of a case
# has events [1..r] and data.last = r, so any broken chain shows. Small segments:
# rolls, snapshots and merges (which rewrite chains as images) happen mid-chain.
# Prints "case rev" only after write() has returned.
DELTA_WRITER = """
import sys, threading
from runtime.services import LIFECYCLE
from runtime.store import TinyDBStore

store = TinyDBStore(sys.argv[1], segment_bytes=64 * 1024, lifecycle=LIFECYCLE)
out = threading.Lock()

def work(t):
    while True:
        for k in range(3):
            case_id = f"c_{t}_{k}"
            with store.write() as tx:
                case = tx.get_case(case_id)
                if case is None:
                    case = {"schema": 1, "id": case_id, "status": "in_progress",
                            "updated_at": "2026", "data": {"text": "申请" * 800},
                            "tasks": [{"id": "t", "department": "d", "status": "ready"}],
                            "events": [], "rev": 0}
                case["events"].append({"n": case["rev"] + 1, "note": "审批意见" * 5})
                case["data"]["last"] = case["rev"] + 1
                case["tasks"][0]["status"] = ("ready", "claimed")[case["rev"] % 2]
                rev = tx.put_case(case, expected_rev=case["rev"])
            with out:
                print(case_id, rev, flush=True)

for t in range(4):
    threading.Thread(target=work, args=(t,), daemon=True).start()
threading.Event().wait()
"""


def test_acknowledged_deltas_survive_sigkill(tmp_path: Path) -> None:
    acked: dict[str, int] = {}
    for round_writes in (600, 300):
        writer = subprocess.Popen(
            [sys.executable, "-c", DELTA_WRITER, str(tmp_path)],
            stdout=subprocess.PIPE, text=True, cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert writer.stdout is not None
        lines = [writer.stdout.readline() for _ in range(round_writes)]
        writer.send_signal(signal.SIGKILL)
        lines += list(writer.stdout)
        writer.wait()
        for line in lines:
            if line.strip():
                case_id, rev = line.split()
                acked[case_id] = max(acked.get(case_id, 0), int(rev))
        store = TinyDBStore(tmp_path, segment_bytes=64 * 1024, lifecycle=LIFECYCLE)
        try:
            assert store.stats()["snapshot"] > 0
            for case_id, rev in acked.items():
                case = store.get_case(case_id)
                assert case is not None, case_id
                assert case["rev"] in (rev, rev + 1)  # +1: written, killed before the ack
                assert [e["n"] for e in case["events"]] == list(range(1, case["rev"] + 1))
                assert case["data"]["last"] == case["rev"]
                assert case["tasks"][0]["status"] == ("ready", "claimed")[(case["rev"] - 1) % 2]
                acked[case_id] = case["rev"]
        finally:
            store.close()
