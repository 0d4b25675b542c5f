"""``onewindow exchange status`` on a centre's data: peers, queued messages, exit code."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from bench.centres import KEY, new_case, two_centres
from runtime.cli import main


def test_status_lists_the_peer_and_the_queued_message(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    province, city = two_centres(tmp_path)
    province.start()
    try:
        new_case(province)
        time.sleep(1.5)  # a try or two against nobody
    finally:
        province.stop()
    args = ["exchange", "status", "--data-dir", str(province.data), "--catalog",
            str(province.catalog)]
    monkey = pytest.MonkeyPatch()
    monkey.setenv("ONEWINDOW_PEER_KEY_HAIKOU", "k")
    try:
        code = main(args)
        out = capsys.readouterr().out
        assert code == 1  # the peer does not answer
        assert "peer haikou 海口市政务服务中心" in out and "UNREACHABLE" in out
        assert "1 key(s) in ONEWINDOW_PEER_KEY_HAIKOU" in out
        assert "queued messages: 1" in out and "受理" in out and "Connection refused" in out
        assert main([*args, "--json", "--no-probe"]) == 0  # nothing late, nothing probed
        report = json.loads(capsys.readouterr().out)
        assert report["centre"] == "hainan" and report["queued"][0]["tries"] >= 1
    finally:
        monkey.undo()
    del city


def test_status_asks_with_the_signed_ping(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """Reachable means the peer answers our signed ping: a peer that answers but not to
    our key is reported with its 401, not as reachable."""
    province, city = two_centres(tmp_path)
    city.start()
    args = ["exchange", "status", "--data-dir", str(province.data), "--catalog",
            str(province.catalog)]
    monkey = pytest.MonkeyPatch()
    try:
        monkey.setenv("ONEWINDOW_PEER_KEY_HAIKOU", KEY)
        assert main(args) == 0
        out = capsys.readouterr().out
        assert "peer haikou 海口市政务服务中心" in out and ": reachable;" in out
        monkey.setenv("ONEWINDOW_PEER_KEY_HAIKOU", "not-the-key")
        assert main(args) == 1
        out = capsys.readouterr().out
        assert "UNREACHABLE (HTTP 401)" in out
    finally:
        monkey.undo()
        city.stop()
