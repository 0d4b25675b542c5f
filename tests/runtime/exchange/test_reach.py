"""Red on both boards: each centre's worker pings its peer (signed), learns what the
peer could not deliver to it, and notices a peer unreachable while tasks with it are
open. Two real servers on loopback; the city reaches the province through a proxy that
can drop messages (but lets pings through). The alarm is 1.8 s, the probe every 0.3 s."""

from __future__ import annotations

import http.server
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
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
    wait_for,
)
from runtime.exchange import sign

FAST = {"ONEWINDOW_EXCHANGE_ALARM_MINUTES": "0.03", "ONEWINDOW_EXCHANGE_PROBE_SECONDS": "0.3"}


class _Proxy(http.server.ThreadingHTTPServer):
    """Forwards to the province; drops every message (502) while ``blocked``."""

    def __init__(self, port: int, target: str) -> None:
        self.target = target
        self.blocked = False
        super().__init__(("127.0.0.1", port), _Forward)


class _Forward(http.server.BaseHTTPRequestHandler):
    server: _Proxy

    def _forward(self, body: bytes | None) -> None:
        if body is not None and self.server.blocked:
            status, answer = 502, b"dropped"
        else:
            request = urllib.request.Request(self.server.target + self.path, data=body,
                                             method=self.command, headers=dict(self.headers))
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    status, answer = response.status, response.read()
            except urllib.error.HTTPError as exc:
                status, answer = exc.code, exc.read()
        self.send_response(status)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def do_GET(self) -> None:
        self._forward(None)

    def do_POST(self) -> None:
        self._forward(self.rfile.read(int(self.headers["Content-Length"])))

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Centre, Centre, _Proxy]]:
    tmp = tmp_path_factory.mktemp("reach")
    proxy_port = free_port()
    province = Centre("province", tmp / "province", "haikou")
    city = Centre("city", tmp / "city", "hainan")
    province.prepare(FIXTURES / "province", city.port, PROVINCE_USERS, KEY)
    city.prepare(FIXTURES / "city", proxy_port, CITY_USERS, KEY)
    proxy = _Proxy(proxy_port, province.base)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    city.start(**FAST)
    province.start(**FAST)
    try:
        yield province, city, proxy
    finally:
        proxy.shutdown()
        province.stop()
        city.stop()


def _alarm(centre: Centre, admin: str) -> dict[str, Any]:
    return dict(centre.api(admin, "GET", "/exchange/status")["alarm"])


def test_a_message_the_city_cannot_deliver_is_red_at_the_province_too(
        linked: tuple[Centre, Centre, _Proxy]) -> None:
    province, city, proxy = linked
    case = new_case(province, 21)
    task = wait_for(lambda: [t for t in city_tasks(city)
                             if city.api("cop1", "GET", f"/cases/{t['case']}")["exchange"]
                             ["number"] == case["number"]])[0]
    proxy.blocked = True
    try:
        city.api("cop1", "POST", f"/tasks/{task['id']}/claim")  # the 过程 message is stuck
        assert _alarm(province, "admin")["red"] == 0  # not yet past the alarm
        theirs = wait_for(lambda: _alarm(province, "admin")["theirs"], timeout=20)
        assert theirs[0]["peer"] == "haikou" and theirs[0]["kind"] == "过程"
        assert theirs[0]["id"].startswith(f"haikou.{task['case']}.")
        city_alarm = _alarm(city, "cadmin")
        assert city_alarm["mine"] == 1 and city_alarm["red"] >= 1  # and at the city, its own
        report = province.api("sup", "GET", "/exchange/status")
        assert report["alarm"]["red"] >= 1
    finally:
        proxy.blocked = False
    # delivered at last: red on neither board
    wait_for(lambda: not _alarm(province, "admin")["theirs"], timeout=20)
    wait_for(lambda: _alarm(city, "cadmin")["red"] == 0, timeout=20)


def test_a_peer_unreachable_with_open_tasks_is_red(
        linked: tuple[Centre, Centre, _Proxy]) -> None:
    province, city, _proxy = linked
    new_case(province, 22)  # an open task at the city
    wait_for(lambda: _alarm(province, "admin")["red"] == 0 and city_tasks(city))
    city.stop()
    try:
        away = wait_for(lambda: _alarm(province, "admin")["away"], timeout=20)
        assert away[0]["peer"] == "haikou" and away[0]["name"] == "海口市政务服务中心"
    finally:
        city.start(**FAST)
    wait_for(lambda: not _alarm(province, "admin")["away"], timeout=20)


def test_the_ping_is_signed(linked: tuple[Centre, Centre, _Proxy]) -> None:
    province, _city, _proxy = linked

    def ping(centre: str, key: str, stamp: int) -> int:
        request = urllib.request.Request(province.base + "/exchange/v1/ping", headers={
            "X-Onewindow-Centre": centre, "X-Onewindow-Timestamp": str(stamp),
            "X-Onewindow-Signature": sign(key, str(stamp), b"")})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return exc.code
    now = int(time.time())
    assert ping("haikou", KEY, now) == 200
    assert ping("haikou", "wrong", now) == 401
    assert ping("haikou", KEY, now - 3600) == 401
    assert ping("nowhere", KEY, now) == 401
