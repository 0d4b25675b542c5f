"""Delivery over real channels on loopback: an SMTP server (aiosmtpd) and an HTTP SMS
gateway. Each message once per event, person and channel (the Message-ID is its key);
a server away for a while gets every message exactly once when back; a refused address
is reported (dead job with the error), never retried by itself."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from aiosmtpd.controller import Controller

from runtime.services import Services, User
from runtime.services.jobs import LEASE
from tests.runtime.services.conftest import Opener
from tests.runtime.services.test_cases_actors import _submitted, _user


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Inbox:
    """An aiosmtpd handler keeping every message; addresses starting "gone" are 550."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: Any) -> str:
        if address.startswith("gone"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content,
                                                      policy=email.policy.default))
        return "250 OK"


class Gateway(BaseHTTPRequestHandler):
    """An SMS gateway: keeps each POST; numbers starting 139 are refused with 400."""

    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        body["key"] = self.headers["Idempotency-Key"]
        status = 400 if body["to"].startswith("139") else 200
        if status == 200:
            Gateway.received.append(body)
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def channels(opener: Opener, catalog_dir: Path) -> Iterator[tuple[Services, int, Inbox, str]]:
    smtp_port = _free_port()
    http = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    Gateway.received = []
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    sms_url = f"http://127.0.0.1:{http.server_address[1]}/sms"
    opener.settings_extra = {"smtp_url": f"smtp://127.0.0.1:{smtp_port}",
                             "mail_from": "中心 <centre@example.cn>", "sms_url": sms_url}
    services = opener.open()
    yield services, smtp_port, Inbox(), sms_url
    http.shutdown()


def _applicant(services: Services, *, email_to: str = "alice@example.cn",
               phone: str = "13800138000") -> User:
    user = _user(services, "alice1", "applicant")
    admin = services.accounts.create_user("admin1", "pw-admin1-long", "admin")
    services.users.update(admin, user.id, {"email": email_to, "phone": phone})
    return user


def _deliveries(services: Services) -> list[dict[str, Any]]:
    return [j for j in services.store.list_jobs() if j["kind"] == "deliver"]


def _accept(services: Services, applicant: User) -> dict[str, Any]:
    window = _user(services, "window1", "window")
    return services.cases.accept(window, _submitted(services, applicant)["id"],
                                 deferred=["premises"])


def test_a_notice_goes_out_once_by_mail_and_sms(channels: tuple[Services, int, Inbox, str]
                                                ) -> None:
    services, port, inbox, _ = channels
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        applicant = _applicant(services)
        case = _accept(services, applicant)
        [notice] = services.notices.list(applicant)
        assert services.worker.run_once(services.clock()) == 2
        services.worker.run_once(services.clock() + timedelta(hours=1))  # nothing more
    finally:
        controller.stop()
    [message] = inbox.messages
    assert message["To"] == "alice@example.cn" and message["Subject"] == "办件已受理"
    assert message["Message-ID"] == f"<{notice.id}.email@onewindow>"
    assert case["number"] in message.get_payload(decode=True).decode()
    [sms] = Gateway.received
    assert sms["to"] == "13800138000" and case["number"] in sms["text"]
    assert sms["key"] == f"{notice.id}.sms"
    assert _deliveries(services) == []


def test_smtp_away_for_a_while_then_back_gets_each_message_once(
        channels: tuple[Services, int, Inbox, str]) -> None:
    services, port, inbox, _ = channels
    applicant = _applicant(services)
    _accept(services, applicant)
    now = services.clock()
    services.worker.run_once(now)  # the SMTP server is down: the mail waits, SMS goes
    [job] = _deliveries(services)
    assert job["payload"]["channel"] == "email" and job["tries"] == 1
    assert "unreachable" in job["error"]
    services.worker.run_once(now + timedelta(seconds=10))  # not yet: backoff
    assert services.store.get_job(job["id"])["tries"] == 1  # type: ignore[index]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        for minutes in (1, 2, 5, 60):
            services.worker.run_once(now + timedelta(minutes=minutes))
    finally:
        controller.stop()
    assert len(inbox.messages) == 1 and len(Gateway.received) == 1
    assert _deliveries(services) == []


def test_refused_addresses_are_reported_not_retried(
        channels: tuple[Services, int, Inbox, str]) -> None:
    services, port, inbox, _ = channels
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        applicant = _applicant(services, email_to="gone@example.cn", phone="13900000000")
        _accept(services, applicant)
        now = services.clock()
        services.worker.run_once(now)
        services.worker.run_once(now + timedelta(days=2))
    finally:
        controller.stop()
    dead = {j["payload"]["channel"]: j for j in services.store.list_jobs(status=["dead"])}
    assert set(dead) == {"email", "sms"}
    assert dead["email"]["tries"] == 1 and dead["email"]["error"].startswith("SMTP 550")
    assert dead["sms"]["error"].startswith("SMS gateway 400")
    assert inbox.messages == [] and Gateway.received == []


def test_turned_off_channels_skip_all_but_required_notices(
        channels: tuple[Services, int, Inbox, str]) -> None:
    services, _, _, _ = channels
    applicant = _applicant(services)
    services.notices.set_channels(applicant, {"email": False, "sms": False})
    case = _accept(services, applicant)  # 受理: required, goes anyway
    assert {j["payload"]["channel"] for j in _deliveries(services)} == {"email", "sms"}
    with services.store.write() as tx:
        for job in _deliveries(services):
            tx.delete_job(job["id"])
    officer = services.accounts.create_user("amr001", "pw-amr001-long", "department",
                                            department="amr")
    licence = next(t for t in case["tasks"] if t["step"] == "license")
    services.tasks.claim(officer, licence["id"])
    services.tasks.preliminary(officer, licence["id"], "初审通过")
    approved = services.tasks.approve(officer, licence["id"], data={
        "license_no": "91530100MA6K2Y7X37", "established_on": "2026-11-30"}, opinion="同意")
    assert "step_decided" in [n.kind for n in services.notices.list(applicant)]
    assert approved["status"] == "in_progress"
    assert _deliveries(services) == []  # not required: not sent


def test_a_worker_killed_mid_delivery_delivers_later_once(
        channels: tuple[Services, int, Inbox, str]) -> None:
    services, port, inbox, _ = channels
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        applicant = _applicant(services, phone="")
        _accept(services, applicant)
        now = services.clock()
        assert len(services.jobs.claim("killed", 10, now)) == 1  # …and the process dies
        assert services.worker.run_once(now + timedelta(minutes=1)) == 0  # still leased
        assert services.worker.run_once(now + LEASE + timedelta(seconds=1)) == 1
        services.worker.run_once(now + timedelta(hours=2))
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
