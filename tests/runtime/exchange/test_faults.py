"""The faults of the exchange between centres, with two real servers on loopback: the
receiver down, the acknowledgement lost, messages reordered, a bad signature or an old
timestamp, the sender killed between commit and delivery, a rotated key."""

from __future__ import annotations

import http.server
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.centres import (
    CITY_USERS,
    FIXTURES,
    KEY,
    PROVINCE_USERS,
    Centre,
    city_tasks,
    free_port,
    new_case,
    post_message,
    two_centres,
    wait_for,
)
from runtime.exchange import envelope


def _seal(centre: Centre, case_id: str) -> dict[str, Any]:
    case = centre.api("win", "GET", f"/cases/{case_id}")
    return dict(next(t for t in case["tasks"] if t["step"] == "seal"))


def _stop_all(*centres: Centre) -> None:
    for centre in centres:
        centre.stop()


def test_receiver_down_then_back_delivers_once(tmp_path: Path) -> None:
    province, city = two_centres(tmp_path)
    province.start()
    try:
        case = new_case(province)
        time.sleep(2)  # the first tries fail: nobody listens
        city.start()
        wait_for(lambda: city_tasks(city))
        time.sleep(1.5)  # time for any second delivery to show
        tasks = city_tasks(city)
        assert len(tasks) == 1 and tasks[0]["status"] == "ready"
        assert _seal(province, case["id"])["status"] == "ready"
    finally:
        _stop_all(province, city)


class _LosingProxy(http.server.ThreadingHTTPServer):
    """Forwards every message to the city; the first answer (the receipt) is lost."""

    def __init__(self, port: int, target: str) -> None:
        self.target = target
        self.lost = 0
        super().__init__(("127.0.0.1", port), _Forward)


class _Forward(http.server.BaseHTTPRequestHandler):
    server: _LosingProxy

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = urllib.request.Request(self.server.target + self.path, data=body,
                                         method="POST", headers=dict(self.headers))
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, answer = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, answer = exc.code, exc.read()
        if self.server.lost == 0:
            self.server.lost += 1
            status, answer = 502, b"receipt lost"
        self.send_response(status)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: Any) -> None:
        return


def test_a_lost_receipt_is_resent_and_applied_once(tmp_path: Path) -> None:
    proxy_port = free_port()
    province = Centre("province", tmp_path / "province", "haikou")
    city = Centre("city", tmp_path / "city", "hainan")
    province.prepare(FIXTURES / "province", proxy_port, PROVINCE_USERS, KEY)
    city.prepare(FIXTURES / "city", province.port, CITY_USERS, KEY)
    proxy = _LosingProxy(proxy_port, city.base)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    city.start()
    province.start()
    try:
        case = new_case(province)
        task = wait_for(lambda: city_tasks(city))[0]
        wait_for(lambda: proxy.lost == 1)
        # the resend reaches the city and is acknowledged as a duplicate: still one task
        city.api("cop1", "POST", f"/tasks/{task['id']}/claim")
        wait_for(lambda: _seal(province, case["id"])["status"] == "claimed")
        assert len(city_tasks(city)) == 1
        out = (province.root / "server.log").read_text("utf-8")
        assert "receipt lost" in out or "502" in out
    finally:
        proxy.shutdown()
        _stop_all(province, city)


def _back(sequence: int, action: str, task_id: str, case_id: str,
          **body: Any) -> dict[str, Any]:
    """A message from the city about the province's sent task."""
    kind = "result" if action in ("approve", "reject") else "process"
    return envelope(message_id=f"haikou.c_m1.{sequence}", kind=kind, sender="haikou",
                    receiver="hainan", sequence=sequence,
                    case={"sender": "c_m1", "sender_number": "HK1", "receiver": case_id,
                          "receiver_number": ""},
                    task=task_id, at="2026-01-05T10:00:00+08:00",
                    body={"action": action, "note": "", "by": "张警官", **body})


@pytest.fixture
def province_alone(tmp_path: Path) -> Iterator[Centre]:
    """The province serving, its city away (the sent task waits)."""
    province, _city = two_centres(tmp_path)
    province.start()
    try:
        yield province
    finally:
        province.stop()


def test_reordered_messages_are_applied_in_sequence(province_alone: Centre) -> None:
    province = province_alone
    case = new_case(province)
    seal = _seal(province, case["id"])
    approve = _back(3, "approve", seal["id"], case["id"], data={"seal_no": "HK-0003"})
    status, answer = post_message(province, "haikou", KEY, approve)
    assert status == 200 and answer["status"] == "buffered"
    assert _seal(province, case["id"])["status"] == "ready"  # held until its turn
    status, answer = post_message(province, "haikou", KEY, _back(1, "claim", seal["id"],
                                                                 case["id"]))
    assert answer["status"] == "applied"
    assert _seal(province, case["id"])["status"] == "claimed"
    post_message(province, "haikou", KEY, _back(2, "preliminary", seal["id"], case["id"],
                                                note="同意"))
    done = _seal(province, case["id"])
    assert done["status"] == "approved" and done["preliminary"] is not None
    # each applied once: a repeat is acknowledged and changes nothing
    status, answer = post_message(province, "haikou", KEY, approve)
    assert (status, answer["status"]) == (200, "duplicate")
    events = province.api("win", "GET", f"/cases/{case['id']}")["events"]
    assert [e["action"] for e in events if e.get("task") == seal["id"]].count("approve") == 1


def test_bad_signature_or_old_timestamp_is_401_and_nothing_applied(
        province_alone: Centre) -> None:
    province = province_alone
    case = new_case(province)
    seal = _seal(province, case["id"])
    claim = _back(1, "claim", seal["id"], case["id"])
    assert post_message(province, "haikou", "wrong-key", claim)[0] == 401
    assert post_message(province, "haikou", KEY, claim, stamp=int(time.time()) - 3600)[0] == 401
    assert post_message(province, "nowhere", KEY, claim)[0] == 401
    assert _seal(province, case["id"])["status"] == "ready"
    log = (province.root / "server.log").read_text("utf-8")
    assert "bad signature" in log and "stale timestamp" in log
    # the genuine message is still applied afterwards (nothing was recorded as received)
    assert post_message(province, "haikou", KEY, claim)[1]["status"] == "applied"


def test_sender_killed_between_commit_and_delivery_delivers_after_restart(
        tmp_path: Path) -> None:
    province, city = two_centres(tmp_path)
    province.start()
    try:
        new_case(province)  # committed with its outbox message; the city is away
        province.stop(kill=True)
        city.start()
        province.start()
        wait_for(lambda: city_tasks(city))
        time.sleep(1)
        assert len(city_tasks(city)) == 1
    finally:
        _stop_all(province, city)


def test_a_rotated_key_is_accepted_during_the_overlap(tmp_path: Path) -> None:
    # the city already holds the new key and still the old one; the province signs old
    province, city = two_centres(tmp_path, province_keys="old-key-1",
                                 city_keys="new-key-2,old-key-1")
    city.env["ONEWINDOW_PEER_KEY_HAINAN"] = "new-key-2,old-key-1"
    city.start()
    province.start()
    try:
        new_case(province, 1)
        wait_for(lambda: len(city_tasks(city)) == 1)
        # the province moves to the new key: accepted too
        province.stop()
        province.env["ONEWINDOW_PEER_KEY_HAIKOU"] = "new-key-2"
        province.start()
        new_case(province, 2)
        wait_for(lambda: len(city_tasks(city)) == 2)
        # after the overlap the old key is refused
        city.stop()
        city.env["ONEWINDOW_PEER_KEY_HAINAN"] = "new-key-2,old-key-1@2020-01-01T00:00:00+08:00"
        city.start()
        message = envelope(message_id="hainan.c_zz.1", kind="acceptance", sender="hainan",
                           receiver="haikou", sequence=1, case={"sender": "c_zz"}, task="t_zz-1",
                           at="2026-01-05T10:00:00+08:00", body={})
        assert post_message(city, "hainan", "old-key-1", message)[0] == 401
    finally:
        _stop_all(province, city)
