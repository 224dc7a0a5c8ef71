"""Hostile or absurd placements are a clear 400, never a 500 or a scan over half the globe.

Found by a QA walk: control points of 1e300 made the fit overflow into NaN bounds that
PostgreSQL refused (500); three points 8,400 km apart a pixel apart were accepted and
placed a 400-pixel scan from 75°W to 116°E; a raster declared in a geocentric CRS
(EPSG:4978) was accepted and put on the equator. Every case goes through the real API or
importer with real files, and must leave neither a file nor a change behind.
"""

from __future__ import annotations

import re
import zipfile

import numpy as np
import pytest
from affine import Affine
from pyproj import CRS as PyprojCRS
from pyproj import Transformer
from rasterio.control import GroundControlPoint
from rasterio.crs import CRS
from rest_framework.test import APIClient

from planning import qa
from planning.errors import InvalidInput
from planning.models import QAFinding
from rasters.models import GeoreferenceMethod, RasterLayer
from tests.conftest import HUE_X, HUE_Y
from tests.rasters.conftest import SCAN_TRANSFORM, pattern, stored_files, unplaced_scan, write_tiff
from tests.rasters.test_import import _import

WIDTH, HEIGHT = 400, 300
# Three points placing the scan at the test lots with 0.5 m pixels (EPSG:9214).
GOOD_POINTS = [
    [0, 0, HUE_X, HUE_Y],
    [WIDTH, 0, HUE_X + WIDTH / 2, HUE_Y],
    [0, HEIGHT, HUE_X, HUE_Y - HEIGHT / 2],
]


@pytest.fixture
def client(planner) -> APIClient:
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(planner)
    return api


@pytest.fixture
def raw_scan(tmp_path, draft_plan, client) -> RasterLayer:
    """An unplaced scan.png uploaded to the draft through the API."""
    return unplaced_scan(client, draft_plan, tmp_path)


def _place(client, raster, points, crs="EPSG:9214", **extra):
    return client.post(
        f"/api/rasters/{raster.pk}/georeference/",
        {"control_points": points, "order": 1, "crs": crs, **extra},
        format="json",
    )


def _refused(client, raster, settings, points, message, **extra) -> None:
    before = sorted(stored_files(settings.PLANNING_RASTER_DIR))
    response = _place(client, raster, points, **extra)
    assert response.status_code == 400, response.content
    assert message in response.json()["detail"]
    assert sorted(stored_files(settings.PLANNING_RASTER_DIR)) == before
    raster.refresh_from_db()
    assert raster.georeference_method == GeoreferenceMethod.NONE
    assert raster.bounds_native is None
    assert raster.raw_path
    assert not raster.cog_path


@pytest.mark.parametrize(
    ("points", "message"),
    [
        # The QA walk's: overflowed the fit into NaN bounds (DataError, 500).
        (
            [[0, 0, 1e300, 1e300], [100, 0, -1e300, 1821900], [0, 100, 561900, 1e300]],
            "Control point (0, 0) has map coordinates (1e+300, 1e+300) outside the area "
            "where EPSG:9214 is used",
        ),
        # The QA walk's: one pixel of 8,400 km, bounds from 75°W to 116°E (200).
        (
            [[0, 0, 561900, 1821900], [1, 0, 9e6, 1821900], [0, 1, 561900, -9e6]],
            "has map coordinates (9e+06, 1.8219e+06) outside the area where EPSG:9214",
        ),
        # Plausible numbers, in Africa: 9,000 km east of the zone.
        (
            [[x + 9e6 if i == 2 else x for i, x in enumerate(p)] for p in GOOD_POINTS],
            "outside the area where EPSG:9214 is used",
        ),
        # Every point in the zone, 9 km apart for one pixel: the scan would span 3,600 km.
        (
            [[0, 0, HUE_X, HUE_Y], [1, 0, HUE_X + 9000, HUE_Y], [0, 1, HUE_X, HUE_Y - 9000]],
            "would reach beyond the area where EPSG:9214 is used",
        ),
        # Three points 12 km apart, one pixel apart: a pixel of 12 km.
        (
            [[0, 0, HUE_X, HUE_Y], [1, 0, HUE_X + 12000, HUE_Y], [0, 1, HUE_X, HUE_Y - 12000]],
            "one pixel 12 km on the ground",
        ),
        # Every point at the same place: no scale at all (a division by zero).
        ([[0, 0, HUE_X, HUE_Y], [100, 0, HUE_X, HUE_Y], [0, 100, HUE_X, HUE_Y]], "no usable"),
    ],
    ids=[
        "1e300",
        "8400-km-pixel",
        "in-africa",
        "continent-sized",
        "12-km-pixel",
        "one-place",
    ],
)
def test_absurd_control_points_are_a_clear_400(client, raw_scan, settings, points, message):
    _refused(client, raw_scan, settings, points, message)


def test_web_mercator_clicks_far_from_the_storage_zone_are_refused(client, raw_scan, settings):
    """Clicks in Brazil (valid web mercator) moved into the Hue zone: out of its area."""
    brazil = [[c, r, -5.5e6 + x - HUE_X, -1.7e6 + y - HUE_Y] for c, r, x, y in GOOD_POINTS]
    _refused(
        client,
        raw_scan,
        settings,
        brazil,
        "outside the area where EPSG:9214 is used",
        crs="EPSG:3857",
        target_crs="EPSG:9214",
    )


def test_yunnan_is_refused_in_the_hue_zone_but_taken_in_utm_48n_and_left_to_qa(
    client, raw_scan, draft_plan, settings
):
    """The same numbers: in EPSG:9214 they lie far west of its area (refused; they used to
    be placed); in UTM 48N they are Yunnan, a plausible placement merely outside Viet Nam,
    placed and then stopped by the QA rule extent.raster_outside_vietnam as before."""
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32648", always_xy=True)
    x, y = to_utm.transform(103.0, 25.5)
    points = [[c, r, x + px - HUE_X, y + py - HUE_Y] for c, r, px, py in GOOD_POINTS]
    _refused(client, raw_scan, settings, points, "outside the area where EPSG:9214 is used")
    response = _place(client, raw_scan, points, crs="EPSG:32648")
    assert response.status_code == 200, response.content
    west, south, _east, _north = response.json()["bounds_wgs84"]
    assert (west, south) == pytest.approx((103.0, 25.5), abs=0.01)
    qa.run(draft_plan)
    assert QAFinding.objects.filter(
        revision=draft_plan, rule="extent.raster_outside_vietnam"
    ).exists()


def test_pixels_in_degrees_are_measured_in_metres(client, raw_scan, settings):
    """A tenth of a degree per pixel (11 km) is refused; 1e-5° (1.1 m) is taken."""
    coarse = [[0, 0, 107.6, 16.5], [1, 0, 107.7, 16.5], [0, 1, 107.6, 16.4]]
    _refused(client, raw_scan, settings, coarse, "one pixel 11 km on the ground", crs="EPSG:4326")
    points = [[0, 0, 107.6, 16.5], [WIDTH, 0, 107.604, 16.5], [0, HEIGHT, 107.6, 16.497]]
    response = _place(client, raw_scan, points, crs="EPSG:4326")
    assert response.status_code == 200, response.content
    assert response.json()["crs"] == "EPSG:4326"


@pytest.mark.parametrize("crs", ["EPSG:4978", "EPSG:5773", "+proj=geocent +datum=WGS84"])
@pytest.mark.parametrize("field", ["crs", "target_crs"])
def test_georeferencing_refuses_a_crs_that_cannot_place_a_raster(
    client, raw_scan, settings, crs, field
):
    extra = {"crs": crs} if field == "crs" else {"target_crs": crs}
    _refused(client, raw_scan, settings, GOOD_POINTS, f"in {field} cannot place a raster", **extra)


def _nocrs_tiff(tmp_path):
    """A GeoTIFF with a geotransform and no CRS (the QA walk's nocrs.tif)."""
    return write_tiff(tmp_path / "nocrs.tif", pattern(40, 30), transform=SCAN_TRANSFORM)


def _upload_nocrs(client, revision, tmp_path, crs):
    with _nocrs_tiff(tmp_path).open("rb") as handle:
        return client.post(
            f"/api/revisions/{revision.pk}/rasters/",
            {"file": handle, "crs": crs},
            format="multipart",
        )


@pytest.mark.parametrize("crs", ["EPSG:4978", "4978", "EPSG:5773"])
def test_upload_refuses_a_crs_that_cannot_place_a_raster(client, draft_plan, tmp_path, crs):
    response = _upload_nocrs(client, draft_plan, tmp_path, crs)
    assert response.status_code == 400, response.content
    message = "The coordinate reference system in crs cannot place a raster"
    assert message in response.json()["detail"]
    assert not RasterLayer.objects.filter(revision=draft_plan).exists()
    # The same file in a projected CRS is taken.
    response = _upload_nocrs(client, draft_plan, tmp_path, "EPSG:9214")
    assert response.status_code == 201, response.content
    assert response.json()["crs"] == "EPSG:9214"


def test_a_prj_naming_a_geocentric_crs_is_refused(draft_plan, planner, tmp_path, settings):
    archive = tmp_path / "scan.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.write(_nocrs_tiff(tmp_path), "nocrs.tif")
        handle.writestr("nocrs.prj", PyprojCRS.from_epsg(4978).to_wkt("WKT1_GDAL"))
    with pytest.raises(InvalidInput, match=r"in nocrs\.prj cannot place a raster"):
        _import(draft_plan, planner, archive)
    assert stored_files(settings.PLANNING_RASTER_DIR) == []


@pytest.mark.parametrize("crs", ["EPSG:4978", "EPSG:5773"])
def test_an_image_carrying_a_geocentric_or_vertical_crs_is_refused(
    draft_plan, planner, tmp_path, settings, crs
):
    image = write_tiff(
        tmp_path / "geocentric.tif",
        np.zeros((1, 30, 40), dtype="uint8"),
        transform=Affine(1, 0, 0, 0, -1, 0),
        crs=crs,
    )
    with pytest.raises(InvalidInput, match=r"in geocentric\.tif cannot place a raster"):
        _import(draft_plan, planner, image)
    assert stored_files(settings.PLANNING_RASTER_DIR) == []


@pytest.mark.parametrize(
    ("points", "message"),
    [
        (
            [[0, 0, 1e300, 1e300], [100, 0, -1e300, 1821900], [0, 100, 561900, 1e300]],
            "outside the area where EPSG:9214 is used",
        ),
        (
            [[0, 0, 561900, 1821900], [1, 0, 9e6, 1821900], [0, 1, 561900, -9e6]],
            "outside the area where EPSG:9214 is used",
        ),
        ([[0, 0, HUE_X, HUE_Y], [100, 0, HUE_X, HUE_Y], [0, 100, HUE_X, HUE_Y]], "no usable"),
        ([[1e300, 0, HUE_X, HUE_Y], *GOOD_POINTS[1:]], "lies outside the image"),
    ],
    ids=["1e300", "8400-km-pixel", "one-place", "off-image"],
)
def test_a_tiff_with_absurd_gcps_is_refused(
    draft_plan, planner, tmp_path, settings, points, message
):
    """The file's own control points go through the same checks (they used to give the
    same DataError, a ZeroDivisionError, or bounds over half the globe)."""
    gcps = [GroundControlPoint(row=row, col=col, x=x, y=y) for col, row, x, y in points]
    image = write_tiff(
        tmp_path / "gcps.tif", pattern(WIDTH, HEIGHT), gcps=(gcps, CRS.from_epsg(9214))
    )
    with pytest.raises(InvalidInput, match=re.escape(message)):
        _import(draft_plan, planner, image)
    assert stored_files(settings.PLANNING_RASTER_DIR) == []
    assert not RasterLayer.objects.filter(revision=draft_plan).exists()
    # The same image with good control points is placed.
    good = [GroundControlPoint(row=row, col=col, x=x, y=y) for col, row, x, y in GOOD_POINTS]
    image = write_tiff(
        tmp_path / "good.tif", pattern(WIDTH, HEIGHT), gcps=(good, CRS.from_epsg(9214))
    )
    raster = _import(draft_plan, planner, image).raster
    assert raster.georeference_method == GeoreferenceMethod.GCP
    assert raster.bounds_native == pytest.approx([HUE_X, HUE_Y - 150, HUE_X + 200, HUE_Y], abs=1)


@pytest.mark.parametrize(
    "world",
    [
        "1e308\n0\n0\n-1e308\n561900\n1821900\n",  # bounds overflow to infinity (500)
        "1\n0\n0\n-1\n1e300\n1e300\n",  # bounds of 1e300: nowhere on Earth
    ],
    ids=["infinite", "nowhere"],
)
def test_a_world_file_placing_the_image_nowhere_is_refused(
    draft_plan, planner, tmp_path, settings, world
):
    archive = tmp_path / "scan.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.write(write_tiff(tmp_path / "scan.tif", pattern(40, 30)), "scan.tif")
        handle.writestr("scan.tfw", world)
    with pytest.raises(InvalidInput, match="has no finite extent on Earth"):
        _import(draft_plan, planner, archive, crs="EPSG:9214")
    assert stored_files(settings.PLANNING_RASTER_DIR) == []
    assert not RasterLayer.objects.filter(revision=draft_plan).exists()
