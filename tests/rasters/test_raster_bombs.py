"""Raster bombs are refused from their headers, before any pixel is decoded or written.

Sparse TIFFs (blocks never written) are legal and tiny on disk, so a 100 KB upload can
declare gigabytes of samples; GCPs or a world file can shear a small image onto a huge
grid. Each hostile file is generated here with rasterio and sent through the real upload
API as the draft's planner: the answer is a 400 with the reason, at once, and nothing is
stored. Genuine rasters (RGB, a DEM, a 1-bit scan, a modest GCP placement) still import.
"""

from __future__ import annotations

import math
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.control import GroundControlPoint
from rest_framework.test import APIClient

from rasters import sniff
from rasters.gdal_env import safe_env
from rasters.models import GeoreferenceMethod, RasterLayer
from tests.conftest import HUE_X, HUE_Y
from tests.rasters.conftest import SCAN_TRANSFORM, pattern, stored_files, write_tiff

# A refusal reads headers only: far below the 105 s the 200-band bomb used to take.
QUICK_SECONDS = 3.0


@pytest.fixture
def client(planner) -> APIClient:
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(planner)
    return api


def _upload(client: APIClient, revision, path: Path, **fields):
    started = time.monotonic()
    with path.open("rb") as handle:
        response = client.post(
            f"/api/revisions/{revision.pk}/rasters/",
            {"file": handle, "name": path.stem, **fields},
            format="multipart",
        )
    return response, time.monotonic() - started


def _assert_refused(client, revision, path: Path, message: str, settings, **fields) -> None:
    response, seconds = _upload(client, revision, path, **fields)
    assert response.status_code == 400, response.content
    assert message in response.content.decode(), response.content
    assert seconds < QUICK_SECONDS
    assert RasterLayer.objects.count() == 0
    assert stored_files(settings.PLANNING_RASTER_DIR) == []  # no COG, no warped.tif left


def _sparse_tiff(path: Path, width: int, height: int, bands: int, dtype: str, **extra) -> Path:
    """A GeoTIFF whose blocks are never written: a few KB declaring all those samples."""
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": bands,
        "dtype": dtype,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
        "sparse_ok": True,
        "crs": "EPSG:9214",
        "transform": Affine(0.5, 0, HUE_X, 0, -0.5, HUE_Y),
        **extra,
    }
    with safe_env(), rasterio.open(path, "w", **profile):
        pass
    return path


def _gcps(place) -> list[GroundControlPoint]:
    """GCPs at the corners of a 100 × 100 image placed by `place(col, row) -> (x, y)`."""
    corners = [(0, 0), (100, 0), (0, 100), (100, 100)]
    return [
        GroundControlPoint(row=r, col=c, x=place(c, r)[0], y=place(c, r)[1]) for c, r in corners
    ]


# --- bands and decoded size ----------------------------------------------------------------


def test_two_hundred_band_sparse_tiff(client, draft_plan, tmp_path, settings):
    # 2000 × 2000 × 200 float64: 6.4 GB of samples in a ~100 KB file.
    path = _sparse_tiff(tmp_path / "bands.tif", 2000, 2000, 200, "float64", interleave="band")
    assert path.stat().st_size < 200_000
    _assert_refused(
        client, draft_plan, path, "bands.tif has 200 bands; a raster may have 1 to 4", settings
    )


def test_sparse_tiff_over_the_decoded_size_limit(client, draft_plan, tmp_path, settings):
    # 20,000 × 20,000 × 4 float64 = 12.8 GB, under the pixel limit (0.4 Gpx), 4 bands.
    path = _sparse_tiff(tmp_path / "big.tif", 20_000, 20_000, 4, "float64")
    assert path.stat().st_size < 200_000
    _assert_refused(
        client,
        draft_plan,
        path,
        "big.tif declares 20000 × 20000 pixels of 4 band(s) of 8 byte(s): 12208 MB once "
        "decoded, more than the 6000 MB a raster may have.",
        settings,
    )


def test_decoded_size_limit_is_a_setting(client, draft_plan, tmp_path, settings):
    settings.PLANNING_RASTER_MAX_UNCOMPRESSED_BYTES = 300_000  # a 400 × 300 RGB is 360,000
    path = write_tiff(
        tmp_path / "rgb.tif", pattern(400, 300), transform=SCAN_TRANSFORM, crs="EPSG:9214"
    )
    _assert_refused(client, draft_plan, path, "more than the 1 MB a raster may have", settings)


# --- placements that blow the image up ---------------------------------------------------


def test_sheared_gcps_are_refused_before_warping(client, draft_plan, tmp_path, settings):
    # Determinant 1 (1 m pixels) but strongly sheared: used to become a 10001 × 10002 COG.
    gcps = _gcps(lambda c, r: (HUE_X + 100 * c, HUE_Y + 100 * c - 0.01 * r))
    path = write_tiff(tmp_path / "shear.tif", pattern(100, 100), gcps=(gcps, "EPSG:9214"))
    _assert_refused(
        client,
        draft_plan,
        path,
        "These control points stretch the image far beyond its size; check them.",
        settings,
    )


def test_scaled_shear_of_ten_gigapixels(client, draft_plan, tmp_path, settings):
    gcps = _gcps(lambda c, r: (HUE_X + 1000 * c, HUE_Y + 1000 * c - 0.001 * r))
    path = write_tiff(tmp_path / "shear10.tif", pattern(100, 100), gcps=(gcps, "EPSG:9214"))
    _assert_refused(client, draft_plan, path, "These control points stretch", settings)


def _with_world_file(tif: Path, world: str) -> Path:
    """`tif` zipped with a world file (.tfw) of the six lines given."""
    archive = tif.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w") as handle:
        handle.write(tif, tif.name)
        handle.writestr(tif.with_suffix(".tfw").name, world)
    return archive


def test_sheared_world_file(client, draft_plan, tmp_path, settings):
    tif = write_tiff(tmp_path / "w.tif", pattern(100, 100))
    archive = _with_world_file(tif, f"100\n100\n0\n-0.01\n{HUE_X}\n{HUE_Y}\n")
    _assert_refused(
        client,
        draft_plan,
        archive,
        "The georeference of w.tif (world file, .aux.xml or its own) stretches the image far "
        "beyond its size; check it.",
        settings,
        crs="EPSG:9214",
    )


def test_placed_grid_over_the_pixel_limit(client, draft_plan, tmp_path, settings):
    # Rotated 45°: the north-up grid has twice the image's pixels, within the factor of 16,
    # but over a pixel limit the image itself stays under.
    settings.PLANNING_RASTER_MAX_PIXELS = 15_000
    angle = math.radians(45)

    def place(c, r):
        return (
            HUE_X + c * math.cos(angle) + r * math.sin(angle),
            HUE_Y + c * math.sin(angle) - r * math.cos(angle),
        )

    path = write_tiff(tmp_path / "turned.tif", pattern(100, 100), gcps=(_gcps(place), "EPSG:9214"))
    _assert_refused(
        client,
        draft_plan,
        path,
        "Placed on the map, turned.tif would have 142 × 142 pixels",
        settings,
    )


# --- sample types ------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["int64", "uint64", "complex64"])
def test_unsupported_sample_type_with_world_file(client, draft_plan, tmp_path, settings, dtype):
    tif = write_tiff(tmp_path / "a.tif", np.ones((1, 50, 50), dtype=dtype))
    archive = _with_world_file(tif, f"0.5\n0\n0\n-0.5\n{HUE_X}\n{HUE_Y}\n")
    _assert_refused(
        client,
        draft_plan,
        archive,
        f"a.tif stores its samples as {dtype}, which rasters cannot use",
        settings,
        crs="EPSG:9214",
    )


def test_unsupported_sample_type_in_a_geotiff(client, draft_plan, tmp_path, settings):
    path = write_tiff(
        tmp_path / "i64.tif",
        np.ones((1, 50, 50), dtype="int64"),
        transform=SCAN_TRANSFORM,
        crs="EPSG:9214",
    )
    _assert_refused(client, draft_plan, path, "stores its samples as int64", settings)


# --- genuine rasters still import --------------------------------------------------------


def _imported(client, revision, path: Path, **fields) -> dict:
    response, _seconds = _upload(client, revision, path, **fields)
    assert response.status_code == 201, response.content
    return response.json()


def test_small_rgb_geotiff_imports(client, draft_plan, tmp_path):
    path = write_tiff(
        tmp_path / "rgb.tif", pattern(400, 300), transform=SCAN_TRANSFORM, crs="EPSG:9214"
    )
    body = _imported(client, draft_plan, path)
    assert (body["width"], body["height"], body["bands"]) == (400, 300, 3)


def test_single_band_dem_imports(client, draft_plan, tmp_path):
    heights = np.linspace(2.0, 40.0, 200 * 150, dtype="float32").reshape(1, 150, 200)
    path = write_tiff(
        tmp_path / "dem.tif", heights, transform=SCAN_TRANSFORM, crs="EPSG:9214", nodata=-9999
    )
    body = _imported(client, draft_plan, path, kind="elevation")
    assert (body["bands"], body["dtype"]) == (1, "float32")


def test_one_bit_scan_imports(client, draft_plan, tmp_path):
    ink = (np.indices((300, 400)).sum(axis=0) % 2).astype("uint8")[None]
    path = write_tiff(tmp_path / "bw.tif", ink, transform=SCAN_TRANSFORM, crs="EPSG:9214", nbits=1)
    assert sniff.check_image(path).sample_bytes == 1
    body = _imported(client, draft_plan, path)
    assert (body["bands"], body["dtype"]) == (1, "uint8")


def test_gcps_with_a_modest_stretch_import(client, draft_plan, tmp_path):
    # Rotated 30° and scaled to 0.5 m pixels: a grid below twice the image's pixels.
    angle = math.radians(30)

    def place(c, r):
        return (
            HUE_X + 0.5 * (c * math.cos(angle) + r * math.sin(angle)),
            HUE_Y + 0.5 * (c * math.sin(angle) - r * math.cos(angle)),
        )

    path = write_tiff(tmp_path / "gcp.tif", pattern(100, 100), gcps=(_gcps(place), "EPSG:9214"))
    body = _imported(client, draft_plan, path)
    raster = RasterLayer.objects.get(pk=body["id"])
    assert raster.georeference_method == GeoreferenceMethod.GCP
    assert 100 * 100 < raster.width * raster.height < 2 * 100 * 100


def test_headers_of_png_and_jpeg_give_bands_and_sample_size(tmp_path):
    png, jpeg = tmp_path / "a.png", tmp_path / "a.jpg"
    with safe_env():
        with rasterio.open(
            png, "w", driver="PNG", width=20, height=10, count=4, dtype="uint16"
        ) as out:
            out.write(np.ones((4, 10, 20), dtype="uint16"))
        with rasterio.open(
            jpeg, "w", driver="JPEG", width=20, height=10, count=3, dtype="uint8"
        ) as out:
            out.write(pattern(20, 10))
    png_header, jpeg_header = sniff.check_image(png), sniff.check_image(jpeg)
    assert (png_header.bands, png_header.sample_bytes) == (4, 2)
    assert (jpeg_header.bands, jpeg_header.sample_bytes) == (3, 1)
