"""PLANNING_STORAGE_SRID must name a projected CRS in metres that PROJ and PostGIS know:
`manage.py check` (and so `migrate`, `runserver`) refuses anything else (planning/checks.py)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from planning.checks import storage_srid_in_database, storage_srid_is_projected

UNKNOWN_SRID = 999_999


def _errors(srid: int, settings) -> list:
    settings.PLANNING_STORAGE_SRID = srid
    return storage_srid_is_projected()


def test_the_default_storage_crs_passes(settings):
    assert _errors(9214, settings) == []


@pytest.mark.parametrize("srid", [32648, 3405, 9218])
def test_utm_and_other_vn2000_zones_pass(settings, srid):
    assert _errors(srid, settings) == []


@pytest.mark.parametrize(
    ("srid", "reason"),
    [
        (4326, "is a geographic CRS (degrees)"),
        (4756, "is a geographic CRS (degrees)"),  # VN-2000 lon/lat, from planning.crs
        (UNKNOWN_SRID, "is not a CRS known to PROJ"),
        (2263, "is not in metres (its axes are in US survey foot)"),
        (4978, "is not a projected CRS (Geocentric CRS)"),
    ],
)
def test_an_unfit_storage_crs_is_an_error_naming_the_setting(settings, srid, reason):
    (error,) = _errors(srid, settings)
    assert error.id == "planning.E001"
    assert error.is_serious()
    assert error.msg.startswith(f"PLANNING_STORAGE_SRID={srid} {reason}")
    assert "9214" in error.hint
    assert "32648" in error.hint


def test_manage_py_check_stops_on_a_geographic_storage_crs(settings):
    settings.PLANNING_STORAGE_SRID = 4326
    with pytest.raises(SystemCheckError, match=r"planning\.E001.*PLANNING_STORAGE_SRID=4326"):
        call_command("check")


@pytest.mark.django_db
def test_postgis_must_know_the_storage_srid(settings):
    settings.PLANNING_STORAGE_SRID = UNKNOWN_SRID
    (error,) = storage_srid_in_database(databases=["default"])
    assert error.id == "planning.E002"
    assert "PLANNING_STORAGE_SRID=999999 is not in spatial_ref_sys" in error.msg


@pytest.mark.django_db
@pytest.mark.parametrize("srid", [9214, 32648])
def test_postgis_knows_the_default_and_utm(settings, srid):
    settings.PLANNING_STORAGE_SRID = srid
    assert storage_srid_in_database(databases=["default"]) == []


def test_the_database_check_runs_only_when_asked(settings):
    """Without `databases` (runserver, plain `check`) no connection is opened."""
    settings.PLANNING_STORAGE_SRID = UNKNOWN_SRID
    assert storage_srid_in_database() == []
