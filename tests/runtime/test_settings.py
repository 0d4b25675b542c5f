"""Settings: one table, documented, unknown names refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.settings import SETTINGS, Settings, SettingsError

DOC = (Path(__file__).parents[2] / "docs" / "settings.md").read_text("utf-8")


@pytest.mark.parametrize("name", [s.name for s in SETTINGS])
def test_every_setting_is_documented(name: str) -> None:
    assert f"| `{name}` | `ONEWINDOW_{name.upper()}` |" in DOC


def test_defaults_environment_and_given_values() -> None:
    settings = Settings.load({"port": "9000"}, environ={"ONEWINDOW_DEMO": "yes",
                                                       "ONEWINDOW_PORT": "1"})
    assert settings.port == 9000 and settings.demo is True
    assert settings.max_upload_mb == 20.0


def test_unknown_settings_are_refused_with_a_suggestion() -> None:
    with pytest.raises(SettingsError, match="unknown setting 'max_upload_md' "
                                            r"\(did you mean 'max_upload_mb'\?\)"):
        Settings.load({"max_upload_md": 5}, environ={})
    with pytest.raises(SettingsError, match="unknown setting ONEWINDOW_PROT"):
        Settings.load({}, environ={"ONEWINDOW_PROT": "80"})


def test_bad_values_are_refused() -> None:
    with pytest.raises(SettingsError, match="setting 'port'"):
        Settings.load({"port": "eighty"}, environ={})
    with pytest.raises(SettingsError, match="setting 'max_upload_mb': must be greater than 0"):
        Settings.load({"max_upload_mb": 0}, environ={})
    with pytest.raises(SettingsError, match="setting 'demo'"):
        Settings.load({"demo": "maybe"}, environ={})


def test_secret_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    settings = Settings.load({"data_dir": str(tmp_path)}, environ={})
    first = settings.secret()
    assert first == settings.secret() and len(first) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
