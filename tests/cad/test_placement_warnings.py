"""Placement warnings for any CRS: metres given as degrees, a TM-3 drawing in the sea, and a
far-off hint that names a neighbouring zone only when a zone explains the distance (QA4
finding 7)."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from pyproj import CRS

from importers.cad.crs import far_from_project_warning, plausibility_warning
from importers.service import inspect_drawing
from tests.cad.drawings import E0, N0, plan_drawing

HUE_LONLAT = (107.57, 16.46, 107.58, 16.47)
ZONE_HINT = "a neighbouring TM-3 zone"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_metres_given_as_degrees_are_implausible():
    metres = (E0, N0, E0 + 250, N0 + 110)
    warning = plausibility_warning(CRS.from_epsg(4326), metres)
    assert warning is not None
    assert "plausible extent of EPSG:4326" in warning
    assert plausibility_warning(CRS.from_epsg(4326), HUE_LONLAT) is None
    assert (
        plausibility_warning(CRS.from_epsg(32648), (500_000, 1_820_000, 500_100, 1_820_100)) is None
    )


def test_a_tm3_drawing_in_the_sea_is_implausible():
    """N 821300 in Huế's zone is 7.4° N, south of Côn Đảo: a northing short of a digit."""
    zone = CRS.from_epsg(9214)
    warning = plausibility_warning(zone, (E0, N0 - 1_000_000, E0 + 250, N0 - 999_890))
    assert warning is not None
    assert "N 821449 – 821559" in warning
    assert plausibility_warning(zone, (E0, N0, E0 + 250, N0 + 110)) is None


@pytest.mark.parametrize(
    ("east", "zone_hint"), [(107.0, True), (106.3, True), (105.5, False), (98.0, False)]
)
def test_the_zone_hint_only_where_a_zone_explains_the_distance(east, zone_hint):
    drawing = (east - 0.01, 16.46, east, 16.47)
    warning = far_from_project_warning(drawing, HUE_LONLAT)
    assert warning is not None
    assert (ZONE_HINT in warning) is zone_hint
    km = int(re.search(r"lands ([\d,]+) km", warning).group(1).replace(",", ""))
    assert km == pytest.approx((107.57 - east) * 111.32 * 0.959, rel=0.05)


@pytest.mark.django_db
def test_inspect_in_degrees_warns_without_an_absurd_distance(draft_plan, tmp_path):
    path = plan_drawing(tmp_path / "plan.dxf")
    shown = inspect_drawing(path, "plan.dxf", "4326", project=draft_plan.project)
    assert any("plausible extent of EPSG:4326" in w for w in shown["warnings"])
    assert not [w for w in shown["warnings"] if "km from the project" in w]
    # metres read as degrees lie off the globe: no preview, no extent given as lon/lat
    assert shown["extent"] is None
    assert shown["preview"]["features"] == []
    right = inspect_drawing(path, "plan.dxf", "9214", project=draft_plan.project)
    assert right["warnings"] == []
    west, south, east, north = right["extent"]
    assert 107 < west < east < 108  # Huế
    assert 16 < south < north < 17


def test_the_far_off_hint_names_remedies_every_page_offers():
    """The plain upload page shows it too and has no control points: the two known points
    are the CAD import page's, named as such."""
    warning = far_from_project_warning((97.99, 16.46, 98.0, 16.47), HUE_LONLAT)
    assert warning is not None
    assert "check the coordinate system and the file's origin" in warning
    assert "two known points on the CAD import page" in warning
    assert "control points" not in warning


def test_a_range_from_just_below_zero_reads_from_zero():
    """A drawing whose lowest northing is -0.3 read "N −0 – 54" (QA walk)."""
    from importers.cad.crs import coordinate_range

    assert coordinate_range(-0.3, 54.2) == "0 \u2013 54"
    assert coordinate_range(-3234, -3109) == "\u22123234 \u2013 \u22123109"
