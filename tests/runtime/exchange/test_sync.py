"""缴费, 补正 and 超时默许 across centres, and the bounded endpoint: one pair of real
servers on loopback for the module; where the province must act on its own clock or
through a window form, it is stopped and its services opened in this process (the same
code the server runs), then started again to deliver what it wrote."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest

from bench.centres import (
    KEY,
    PNG,
    Centre,
    Failed,
    approve_license,
    city_tasks,
    new_case,
    post_message,
    two_centres,
    wait_for,
)
from runtime.exchange import envelope
from runtime.services.accounts import User


@pytest.fixture(scope="module")
def centres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Centre, Centre]]:
    """The province and the city, both serving, for every test of the module."""
    province, city = two_centres(tmp_path_factory.mktemp("sync"))
    city.start()
    province.start()
    try:
        yield province, city
    finally:
        province.stop()
        city.stop()


@contextmanager
def offline(province: Centre, **env: str) -> Iterator[Any]:
    """The province stopped and its services open here (its key in the environment);
    served again afterwards (with ``env``)."""
    from runtime.services import Services
    from runtime.settings import Settings
    province.stop()
    monkey = pytest.MonkeyPatch()
    monkey.setenv("ONEWINDOW_PEER_KEY_HAIKOU", KEY)
    services = Services.open(Settings.load({"data_dir": str(province.data),
                                            "catalog_dir": str(province.catalog)}, environ={}))
    try:
        yield services
    finally:
        services.close()
        monkey.undo()
        province.start(**env)


def _case(centre: Centre, user: str, case_id: str) -> dict[str, Any]:
    return dict(centre.api(user, "GET", f"/cases/{case_id}"))


def _seal(case: dict[str, Any]) -> dict[str, Any]:
    return dict(next(t for t in case["tasks"] if t["step"] == "seal"))


def _mirror_task(city: Centre, number: str) -> dict[str, Any]:
    """The police's task for the provincial case ``number``."""
    def found() -> Any:
        for task in city_tasks(city):
            mirror = _case(city, "cop1", task["case"])
            if mirror["exchange"]["number"] == number:
                return dict(task)
        return None
    return dict(wait_for(found))


def test_a_fee_notice_issued_by_the_city_is_paid_at_the_province(
        centres: tuple[Centre, Centre]) -> None:
    province, city = centres
    case = new_case(province, 11)
    task = _mirror_task(city, case["number"])
    city.api("cop1", "POST", f"/tasks/{task['id']}/claim")
    city.api("cop1", "POST", f"/cases/{task['case']}/fees",
             {"items": [{"name": "印章刻制工本费", "amount": 6000}]})
    mirror_ref = _case(city, "cop1", task["case"])["fees"][0]["reference"]
    assert mirror_ref.startswith("HK")

    # the provincial case carries the notice, issued by the city police, under its own
    # reference (paid at its own fee window)
    carried = wait_for(lambda: _case(province, "win", case["id"]).get("fees"))[0]
    assert carried["reference"] == f"{case['number']}-01" and carried["total"] == 6000
    assert carried["department"] == "psb" and carried["issued_by"] == "exchange:haikou"
    assert carried["peer"] == {"centre": "haikou", "reference": mirror_ref,
                               "task": _seal(case)["id"], "by": "海口市政务服务中心·cop1",
                               "department_name": "海口市公安局"}
    assert _case(province, "alice", case["id"])["fees"][0]["paid"] is None  # applicant sees it
    assert "payment" in _case(province, "win", case["id"])["documents"]

    # the city approves; the province finishes; delivery waits for the payment
    city.api("cop1", "POST", f"/tasks/{task['id']}/approve", {"data": {"seal_no": "HK-0011"}})
    done = wait_for(lambda: (lambda c: c if _seal(c)["status"] == "approved" else None)(
        _case(province, "win", case["id"])))
    archive = next(t for t in done["tasks"] if t["step"] == "archive")
    province.api("amr1", "POST", f"/tasks/{archive['id']}/claim")
    province.api("amr1", "POST", f"/tasks/{archive['id']}/approve", {"opinion": "归档"})
    with pytest.raises(Failed) as unpaid:
        province.api("win", "POST", f"/cases/{case['id']}/deliver")
    assert unpaid.value.status == 409

    province.api("cash", "POST", f"/cases/{case['id']}/fees/paid",
                 {"reference": carried["reference"]})
    paid = wait_for(lambda: _case(city, "cop1", task["case"])["fees"][0]["paid"])
    assert paid["by"] == "exchange:hainan" and "海南省政务服务中心" in paid["channel"]
    province.api("win", "POST", f"/cases/{case['id']}/deliver")

    # a refund follows the same path
    province.api("cash", "POST", f"/cases/{case['id']}/fees/refund",
                 {"reference": carried["reference"], "reason": "重复收费"})
    refund = wait_for(lambda: _case(city, "cop1", task["case"])["fees"][0]["refund"])
    assert refund["reason"] == "重复收费"


def test_a_deferred_material_supplied_at_the_province_reaches_the_city(
        centres: tuple[Centre, Centre]) -> None:
    province, city = centres
    file_id = province.upload("alice", "法定代表人身份证.png", PNG)
    case = province.api("alice", "POST", "/cases", {
        "matter": "company-with-seal", "data": {"company_name": "容缺补齐有限公司"},
        "materials": {"legal-rep-id": [file_id]}})
    province.api("win", "POST", f"/cases/{case['id']}/accept", {"deferred": ["seal-sample"]})
    case = approve_license(province, case["id"])
    task = _mirror_task(city, case["number"])
    mirror = _case(city, "cop1", task["case"])
    assert [d["material"] for d in mirror["deferred"]] == ["seal-sample"]
    assert "seal-sample" not in mirror["materials"]

    sample = province.upload("win", "印模样式.png", PNG + b"sample")
    other = province.upload("win", "公司章程.pdf", b"%PDF-1.4 not for the city")
    with offline(province) as services:  # the window's 容缺补齐 form calls exactly this
        window = User.from_doc(services.store.get_user_by_name("win"))
        services.cases.supply_deferred(window, case["id"], "seal-sample", [sample])
        del other  # (articles is the licence step's material: never sent)
    mirror = wait_for(lambda: (lambda m: m if m["materials"].get("seal-sample") else None)(
        _case(city, "cop1", task["case"])))
    assert mirror["deferred"][0]["supplied"] is True
    assert set(mirror["materials"]) == {"legal-rep-id", "seal-sample"}
    assert _seal(_case(province, "win", case["id"]))["status"] == "ready"  # nothing else moved


def test_consent_on_timeout_at_the_province_closes_the_city_task(
        centres: tuple[Centre, Centre]) -> None:
    province, city = centres
    case = new_case(province, 12)
    task = _mirror_task(city, case["number"])
    city.api("cop2", "POST", f"/tasks/{task['id']}/claim")
    wait_for(lambda: _seal(_case(province, "win", case["id"]))["status"] == "claimed")
    due = datetime.fromisoformat(_seal(case)["due"])

    with offline(province) as services:  # the province's worker, a minute past the due time
        services.worker.run_once(due + timedelta(minutes=1))
        seal = _seal(services.store.get_case(case["id"]))
        assert seal["status"] == "approved" and seal["decision"]["by_timeout"] is True
    mirror = wait_for(lambda: (lambda m: m if m["tasks"][0]["status"] == "approved" else None)(
        _case(city, "cop2", task["case"])))
    decision = mirror["tasks"][0]["decision"]
    assert decision["by_timeout"] is True and "超时默许" in decision["opinion"]
    assert "海南省政务服务中心" in decision["opinion"]  # the page says why
    with pytest.raises(Failed) as closed:  # officers can no longer act
        city.api("cop2", "POST", f"/tasks/{task['id']}/approve", {"data": {"seal_no": "LATE1"}})
    assert closed.value.status in (403, 409)

    # a decision that crossed the consent on the wire: recorded, changes nothing
    late = envelope(message_id=f"haikou.{task['case']}.2", kind="result", sender="haikou",
                    receiver="hainan", sequence=2,
                    case={"sender": task["case"], "sender_number": mirror["number"],
                          "receiver": case["id"], "receiver_number": case["number"]},
                    task=_seal(case)["id"], at=mirror["tasks"][0]["decision"]["at"],
                    body={"action": "approve", "note": "", "by": "cop2",
                          "data": {"seal_no": "LATE-0001"}})
    status, answer = post_message(province, "haikou", KEY, late)
    assert (status, answer["status"]) == (200, "applied")
    after = _case(province, "win", case["id"])
    assert _seal(after)["decision"]["by_timeout"] is True
    assert "seal" not in after["outputs"] or after["outputs"]["seal"].get("seal_no") != "LATE-0001"
    assert [e["action"] for e in after["events"] if e.get("task") == _seal(case)["id"]
            ].count("approve") == 0
    with offline(province) as services:
        trail = services.exchange.trail(case["id"])
    line = next(r for r in trail if r["id"] == late["id"])
    assert line["state"] == "已记录，未改变办件" and line["action"] == "审批通过"


def _raw(centre: Centre, headers: dict[str, str], length: int) -> tuple[int, bytes]:
    """Send only the headers of a POST announcing ``length`` bytes; the answer (which
    comes before any of the body is sent)."""
    with socket.create_connection(("127.0.0.1", centre.port), timeout=30) as sock:
        lines = ["POST /exchange/v1/messages HTTP/1.1", f"Host: 127.0.0.1:{centre.port}",
                 "Content-Type: application/json", f"Content-Length: {length}",
                 *(f"{k}: {v}" for k, v in headers.items())]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        answer = b""
        while b"\r\n\r\n" not in answer or answer.endswith(b"\r\n\r\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    head, _, rest = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), rest


def test_the_endpoint_refuses_before_reading_the_body(centres: tuple[Centre, Centre]) -> None:
    province, _city = centres
    stamp = str(int(datetime.now().timestamp()))
    status, body = _raw(province, {"X-Onewindow-Centre": "nowhere",
                                   "X-Onewindow-Timestamp": stamp}, 10 * 1024 * 1024)
    assert status == 401 and "未知的协同中心" in body.decode("utf-8", "replace")
    status, _ = _raw(province, {"X-Onewindow-Centre": "haikou",
                                "X-Onewindow-Timestamp": str(int(stamp) - 3600)}, 10 * 1024 * 1024)
    assert status == 401
    # a configured peer with a fresh timestamp: the body is then read, at most 64 MB
    status, _ = _raw(province, {"X-Onewindow-Centre": "haikou",
                                "X-Onewindow-Timestamp": stamp}, 65 * 1024 * 1024)
    assert status == 413
