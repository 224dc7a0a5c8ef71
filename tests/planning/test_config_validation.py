"""Settings an operator gets wrong stop the server with a message naming the variable
(docs/settings.md), rather than starting a server that refuses or mislinks every request."""

from __future__ import annotations

from pathlib import Path

import pytest

from planning import config


@pytest.fixture(autouse=True)
def _own_var_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("PLANNING_VAR_DIR", str(tmp_path))


@pytest.mark.parametrize("value", ["quyhoach.example.gov.vn", "ftp://host", "https://", "/map"])
def test_a_public_url_without_scheme_or_host_is_refused(monkeypatch, value):
    monkeypatch.setenv("PLANNING_PUBLIC_URL", value)
    with pytest.raises(config.ConfigError, match="PLANNING_PUBLIC_URL must be an absolute URL"):
        config.load()


def test_a_public_url_loses_its_trailing_slash(monkeypatch):
    monkeypatch.setenv("PLANNING_PUBLIC_URL", "https://quyhoach.example.gov.vn/ ")
    assert config.load().public_url == "https://quyhoach.example.gov.vn"


@pytest.mark.parametrize("value", ["", " , "])
def test_empty_allowed_hosts_are_refused(monkeypatch, value):
    monkeypatch.setenv("PLANNING_ALLOWED_HOSTS", value)
    with pytest.raises(config.ConfigError, match="PLANNING_ALLOWED_HOSTS is empty"):
        config.load()


@pytest.mark.parametrize("value", ["nope", "django.core.mail.backends.nosuch.EmailBackend", "."])
def test_an_email_backend_that_does_not_exist_is_refused(monkeypatch, value):
    monkeypatch.setenv("PLANNING_EMAIL_BACKEND", value)
    with pytest.raises(config.ConfigError, match="PLANNING_EMAIL_BACKEND must name"):
        config.load()


def test_the_smtp_backend_is_accepted(monkeypatch):
    monkeypatch.setenv("PLANNING_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
    assert config.load().email_backend == "django.core.mail.backends.smtp.EmailBackend"


def test_relative_folders_are_taken_from_the_repository(monkeypatch, tmp_path):
    """QA walk: a relative PLANNING_RASTER_DIR or PLANNING_TILE_CACHE_DIR followed the
    working directory, so gunicorn and the worker (started elsewhere) used two folders."""
    monkeypatch.setenv("PLANNING_RASTER_DIR", "data/rasters")
    monkeypatch.setenv("PLANNING_TILE_CACHE_DIR", "data/tiles")
    monkeypatch.chdir(tmp_path)
    loaded = config.load()
    assert loaded.tile_cache_dir == config.BASE_DIR / "data" / "tiles"
    assert config.raster_dir(loaded.var_dir) == config.BASE_DIR / "data" / "rasters"
    monkeypatch.setenv("PLANNING_RASTER_DIR", "/srv/rasters")
    assert config.raster_dir(loaded.var_dir) == Path("/srv/rasters")
