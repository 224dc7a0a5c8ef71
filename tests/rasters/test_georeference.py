"""Placing a scan by control points through the API: it lands within tolerance.

A scan is generated with a known (rotated) placement; control points are taken from that
placement with 5 cm of noise, sent to POST /api/rasters/{id}/georeference/, and the COG
that comes back is sampled at known map coordinates. Tolerance: RMS below one pixel, and
every checked map point shows the colour of the scan pixel that truly lies there.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import rasterio
from affine import Affine
from pyproj import Transformer
from rest_framework.test import APIClient

from planning.crs import proj4_for
from rasters.gdal_env import safe_env
from rasters.models import GeoreferenceMethod, RasterLayer
from tests.conftest import HUE_X, HUE_Y
from tests.rasters.conftest import SAMPLES, pattern, stored_files, unplaced_scan

WIDTH, HEIGHT = 400, 300
PIXEL = 0.5
ANGLE = math.radians(7)
# Pixel corner (col, row) → EPSG:9214: 0.5 m pixels, rotated 7°, upper-left near the lots.
TRUE = Affine(
    PIXEL * math.cos(ANGLE),
    PIXEL * math.sin(ANGLE),
    HUE_X,
    PIXEL * math.sin(ANGLE),
    -PIXEL * math.cos(ANGLE),
    HUE_Y + 200,
)
COLOUR_TOLERANCE = 14


@pytest.fixture
def client(planner) -> APIClient:
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(planner)
    return api


@pytest.fixture
def raw_scan(tmp_path, draft_plan, client) -> RasterLayer:
    raster = unplaced_scan(
        client, draft_plan, tmp_path, name="Bản đồ cũ 1995", kind="scan", scan_date="1995-06-01"
    )
    assert raster.georeference_method == "none"
    return raster


def _points(count: int, seed: int = 7, noise: float = 0.05) -> list[dict]:
    rng = np.random.default_rng(seed)
    cols = rng.uniform(10, WIDTH - 10, count)
    rows = rng.uniform(10, HEIGHT - 10, count)
    points = []
    for col, row in zip(cols, rows, strict=True):
        x, y = TRUE @ (col, row)
        points.append(
            {"col": col, "row": row, "x": x + rng.normal(0, noise), "y": y + rng.normal(0, noise)}
        )
    return points


def _assert_lands(raster: RasterLayer) -> None:
    """Scan pixels sampled at their true map position in the placed COG."""
    expected = pattern(WIDTH, HEIGHT).astype(int)
    with safe_env(), rasterio.open(raster.cog_file()) as cog:
        assert cog.crs.to_epsg() == 9214
        for col, row in [(50, 40), (200, 150), (350, 260), (120, 230), (330, 60)]:
            x, y = TRUE @ (col + 0.5, row + 0.5)
            value = np.array(next(cog.sample([(x, y)]))).astype(int)
            assert value[3] == 255
            assert np.abs(value[:3] - expected[:, row, col]).max() <= COLOUR_TOLERANCE, (col, row)
        corners = [TRUE @ c for c in ((0, 0), (WIDTH, 0), (0, HEIGHT), (WIDTH, HEIGHT))]
        xs, ys = [c[0] for c in corners], [c[1] for c in corners]
        assert tuple(cog.bounds) == pytest.approx((min(xs), min(ys), max(xs), max(ys)), abs=1.0)


def test_affine_from_control_points_lands_within_a_pixel(client, raw_scan):
    response = client.post(
        f"/api/rasters/{raw_scan.pk}/georeference/",
        {"control_points": _points(8), "order": 1, "crs": "EPSG:9214"},
        format="json",
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["georeferenced"]
    assert data["georeference_method"] == "control_points"
    assert 0 < data["rms_pixels"] < 1.0
    assert len(data["control_points"]) == 8
    assert all(p["residual"] < 0.5 for p in data["control_points"])
    raw_scan.refresh_from_db()
    _assert_lands(raw_scan)
    assert raw_scan.scan_date.isoformat() == "1995-06-01"


def test_polynomial_from_web_mercator_clicks_as_the_page_sends_them(client, raw_scan):
    to_3857 = Transformer.from_crs(proj4_for(9214), "EPSG:3857", always_xy=True)
    points = []
    for p in _points(10, seed=3, noise=0.02):
        x, y = to_3857.transform(p["x"], p["y"])
        points.append([p["col"], p["row"], x, y])
    response = client.post(
        f"/api/rasters/{raw_scan.pk}/georeference/",
        {"control_points": points, "order": 2, "crs": "EPSG:3857", "target_crs": "EPSG:9214"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["transform_order"] == 2
    assert response.json()["rms_pixels"] < 1.0
    raw_scan.refresh_from_db()
    _assert_lands(raw_scan)


@pytest.mark.parametrize(
    ("points", "order", "message"),
    [
        (_points(2), 1, "at least 3"),
        (_points(5), 2, "at least 6"),
        ([[0, 0, 1, 1], [10, 10, 2, 2], [20, 20, 3, 3]], 1, "degenerate"),
        ([[0, 0, 1, 1], [10, 10, "x", 2], [20, 0, 3, 3]], 1, "numbers"),
    ],
)
def test_bad_control_points_are_refused(client, raw_scan, points, order, message, settings):
    before = sorted(stored_files(settings.PLANNING_RASTER_DIR))
    response = client.post(
        f"/api/rasters/{raw_scan.pk}/georeference/",
        {"control_points": points, "order": order, "crs": "EPSG:9214"},
        format="json",
    )
    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert sorted(stored_files(settings.PLANNING_RASTER_DIR)) == before
    raw_scan.refresh_from_db()
    assert raw_scan.georeference_method == GeoreferenceMethod.NONE


def test_others_cannot_see_or_place_the_scan(raw_scan, outsider):
    for user in (outsider, None):
        api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        if user is not None:
            api.force_authenticate(user)
        assert api.get(f"/api/rasters/{raw_scan.pk}/").status_code == 404
        response = api.post(
            f"/api/rasters/{raw_scan.pk}/georeference/",
            {"control_points": _points(4), "order": 1, "crs": "EPSG:9214"},
            format="json",
        )
        # Anonymous writes stop at the API's authentication challenge (401) before any lookup.
        assert response.status_code == (404 if user is not None else 401)
        assert api.get(f"/api/rasters/{raw_scan.pk}/image.png").status_code == 404


def test_api_upload_list_detail_and_preview(client, draft_plan):
    with (SAMPLES / "utmsmall.tif").open("rb") as handle:
        response = client.post(
            f"/api/revisions/{draft_plan.pk}/rasters/",
            {"file": handle, "kind": "orthophoto"},
            format="multipart",
        )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["crs"] == "EPSG:26711"
    assert created["bounds"] == pytest.approx([440720.0, 3745320.0, 446720.0, 3751320.0])
    assert created["report"]["georeference"] == "file"
    listed = client.get(f"/api/revisions/{draft_plan.pk}/rasters/").json()
    assert [r["id"] for r in listed] == [created["id"]]
    detail = client.get(f"/api/rasters/{created['id']}/").json()
    assert detail["pixel_size"] == [60.0, 60.0]
    preview = client.get(f"/api/rasters/{created['id']}/image.png")
    assert preview.status_code == 200
    assert preview.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_api_refuses_a_disguised_file_with_a_clear_message(client, draft_plan, tmp_path):
    path = tmp_path / "plan.tif"
    path.write_bytes(b'<VRTDataset rasterXSize="1" rasterYSize="1"></VRTDataset>')
    with path.open("rb") as handle:
        response = client.post(
            f"/api/revisions/{draft_plan.pk}/rasters/", {"file": handle}, format="multipart"
        )
    assert response.status_code == 400
    assert "not a TIFF, JPEG or PNG" in response.json()["detail"]
