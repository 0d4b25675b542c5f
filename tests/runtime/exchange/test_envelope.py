"""The pure parts of the exchange: envelopes and their kinds, signatures and key
rotation, the mirror matter a received step runs under."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from builder.compile import compile_matter
from runtime.engine.calendar import CHINA_TZ
from runtime.exchange import KIND_LABELS, BadEnvelope, envelope, mirror_matter, sign, verify
from runtime.exchange.envelope import check, receipt
from runtime.exchange.signature import Key, env_name, keys_from, parse_keys

NOW = datetime(2026, 1, 5, 10, 0, tzinfo=CHINA_TZ)


def _message(**over: object) -> dict:
    found = envelope(message_id="hainan.c_1.1", kind="acceptance", sender="hainan",
                     receiver="haikou", sequence=1, case={"sender": "c_1"}, task="t_1-2",
                     at="2026-01-05T10:00:00+08:00", body={})
    return {**found, **over}


def test_the_kinds_are_the_national_platforms() -> None:
    assert list(KIND_LABELS.values()) == ["受理", "过程", "补正", "结果", "缴费", "回执"]
    with pytest.raises(ValueError):
        envelope(message_id="x", kind="gossip", sender="a", receiver="b", sequence=1,
                 case={}, task="", at="", body={})


@pytest.mark.parametrize("change, why", [
    ({"sequence": 0}, "sequence"), ({"to": "sanya"}, "not from the signing centre"),
    ({"kind": "receipt"}, "unknown message kind"), ({"v": 2}, "version"),
    ({"case": []}, "objects"), ({"id": ""}, "bad message id")])
def test_a_bad_envelope_says_what_is_wrong(change: dict, why: str) -> None:
    with pytest.raises(BadEnvelope, match=why):
        check(_message(**change), receiver="haikou", sender="hainan")
    assert check(_message(), receiver="haikou", sender="hainan")["id"] == "hainan.c_1.1"


def test_a_receipt_answers_its_message() -> None:
    answer = receipt(_message(), "applied", "2026-01-05T10:00:01+08:00", "HK1")
    assert (answer["kind"], answer["message"], answer["from"], answer["to"]) == (
        "receipt", "hainan.c_1.1", "haikou", "hainan")


def test_signature_timestamp_window_and_keys() -> None:
    body = b'{"a": 1}'
    stamp = str(int(NOW.timestamp()))
    keys = (Key("new"), Key("old"))
    assert verify(keys, stamp, body, sign("new", stamp, body), NOW) == ""
    assert verify(keys, stamp, body, sign("old", stamp, body), NOW) == ""
    assert verify(keys, stamp, body, sign("other", stamp, body), NOW) == "bad signature"
    assert verify(keys, stamp, body + b" ", sign("new", stamp, body), NOW) == "bad signature"
    late = NOW + timedelta(seconds=301)
    assert verify(keys, stamp, body, sign("new", stamp, body), late) == "stale timestamp"
    assert verify(keys, "", body, "", NOW) == "missing timestamp"
    assert verify((), stamp, body, sign("new", stamp, body), NOW) == \
        "no key configured for this peer"


def test_a_rotated_out_key_counts_until_its_moment() -> None:
    keys = parse_keys("new, old@2026-01-05T12:00:00+08:00")
    body, stamp = b"{}", str(int(NOW.timestamp()))
    assert verify(keys, stamp, body, sign("old", stamp, body), NOW) == ""
    after = NOW + timedelta(hours=3)
    stamp = str(int(after.timestamp()))
    assert verify(keys, stamp, body, sign("old", stamp, body), after) == "bad signature"
    assert verify(keys, stamp, body, sign("new", stamp, body), after) == ""
    with pytest.raises(ValueError):
        parse_keys("a,b@2026-01-05T12:00:00")  # no time zone
    assert env_name("hai-kou") == "ONEWINDOW_PEER_KEY_HAI_KOU"
    assert keys_from({"ONEWINDOW_PEER_KEY_HAIKOU": "k1"}, ["haikou", "sanya"]) == {
        "haikou": (Key("k1"),), "sanya": ()}


def test_the_mirror_matter_holds_only_the_step() -> None:
    body = {"matter": {"id": "company-with-seal", "name": "企业设立", "version": 3},
            "step": {"id": "seal", "name": "印章刻制", "days": 1,
                     "form": {"type": "object", "properties": {"seal_no": {"type": "string"}}},
                     "outputs": ["seal_no"]},
            "department": "police", "limit_days": 0.5,
            "data": [{"key": "license_no", "title": "统一社会信用代码", "value": "9146"}],
            "materials": [{"id": "id-card", "name": "身份证",
                           "files": [{"name": "a.PNG", "content": ""}]}]}
    spec = compile_matter(mirror_matter("hainan", "海南省政务服务中心", body))
    assert spec.id == "x.hainan.company-with-seal.seal" and spec.version == 3
    assert [s.id for s in spec.steps] == ["seal"] and spec.steps[0].departments == ("police",)
    assert spec.steps[0].outputs == ("seal_no",) and spec.steps[0].days == 0.5
    assert spec.form["properties"] == {"license_no": {"type": "string",
                                                      "title": "统一社会信用代码"}}
    assert spec.material("id-card").accept == ("png",)


def test_an_output_not_given_upstream_is_left_out_of_the_data() -> None:
    from runtime.exchange.mirror import case_data
    body = {"data": [{"key": "a", "title": "A", "value": None},
                     {"key": "b", "title": "B", "value": {"x": 1}},
                     {"key": "c", "title": "C", "value": 2}]}
    assert case_data(body) == {"b": '{"x": 1}', "c": 2}
