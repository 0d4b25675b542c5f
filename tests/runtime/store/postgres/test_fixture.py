"""The throwaway PostgreSQL of the tests: missing binaries fail (never skip) and say
the one command that installs them."""

from __future__ import annotations

import pytest

from tests import pg


def test_missing_binaries_fail_with_the_install_command(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pg.glob, "glob", lambda pattern: [])
    with pytest.raises(pytest.fail.Exception) as caught:
        pg.Cluster()
    assert "initdb and pg_ctl are not installed" in str(caught.value)
    assert "sudo apt-get install -y postgresql" in str(caught.value)


def test_the_newest_installed_major_version_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    found = ["/usr/lib/postgresql/9/bin/initdb", "/usr/lib/postgresql/15/bin/initdb",
             "/usr/lib/postgresql/13/bin/initdb"]
    monkeypatch.setattr(pg.glob, "glob", lambda pattern: found)
    assert str(pg._bindir()) == "/usr/lib/postgresql/15/bin"
