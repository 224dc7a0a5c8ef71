"""PLANNING_CORS_ORIGINS: any origin, a list of origins, or none; anything else stops start-up."""

from __future__ import annotations

import pytest

from planning import config


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("*", ("*",)),
        (" * ", ("*",)),
        ("", ()),
        (
            "https://Portal.example.gov.vn/, http://ops.example.gov.vn:8080",
            ("https://portal.example.gov.vn", "http://ops.example.gov.vn:8080"),
        ),
    ],
)
def test_accepted_values(monkeypatch, value, expected):
    monkeypatch.setenv("PLANNING_CORS_ORIGINS", value)
    assert config.cors_origins() == expected


def test_the_default_admits_every_origin(monkeypatch):
    monkeypatch.delenv("PLANNING_CORS_ORIGINS", raising=False)
    assert config.cors_origins() == ("*",)


@pytest.mark.parametrize(
    "value",
    [
        "portal.example.gov.vn",  # no scheme
        "https://portal.example.gov.vn/map",  # a path: browsers send origins without one
        "https://portal.example.gov.vn?x=1",
        "https://*.example.gov.vn",  # no wildcards inside a list
        "*, https://portal.example.gov.vn",
        "https://user@portal.example.gov.vn",
    ],
)
def test_values_no_browser_sends_stop_start_up(monkeypatch, value):
    monkeypatch.setenv("PLANNING_CORS_ORIGINS", value)
    with pytest.raises(config.ConfigError, match="PLANNING_CORS_ORIGINS"):
        config.cors_origins()
