"""Every setting the server reads is documented in docs/settings.md."""

from pathlib import Path

import pytest

from planning import config

DOCS = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


@pytest.mark.parametrize("setting", config.SETTINGS, ids=lambda s: s.name)
def test_setting_is_documented(setting):
    assert f"`{setting.name}`" in DOCS.read_text(encoding="utf-8")


def test_bad_values_stop_start_up(monkeypatch):
    monkeypatch.setenv("PLANNING_STORAGE_SRID", "not-a-number")
    with pytest.raises(config.ConfigError, match="PLANNING_STORAGE_SRID must be an integer"):
        config.load()
    monkeypatch.setenv("PLANNING_STORAGE_SRID", "9214")
    monkeypatch.setenv("PLANNING_LANGUAGE", "fr")
    with pytest.raises(config.ConfigError, match="PLANNING_LANGUAGE"):
        config.load()


def test_database_url_with_socket_directory():
    parsed = config.parse_database_url("postgres://u:p%40ss@/plans?host=/run/pg&port=6543")
    assert (parsed.user, parsed.password, parsed.name) == ("u", "p@ss", "plans")
    assert (parsed.host, parsed.port) == ("/run/pg", "6543")
    with pytest.raises(config.ConfigError):
        config.parse_database_url("mysql://x/y")
