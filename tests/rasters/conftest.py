"""Fixtures of the raster tests: a private raster store and generated images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.crs import CRS

from rasters.gdal_env import safe_env
from tests.conftest import HUE_X, HUE_Y

SAMPLES = Path("/work/shared/samples/raster")
# A generated scan: 400 × 300 pixels of 0.5 m, upper-left corner at the test lots.
SCAN_TRANSFORM = Affine(0.5, 0.0, HUE_X - 50, 0.0, -0.5, HUE_Y + 150)
SCAN_SIZE = (400, 300)


@pytest.fixture(autouse=True)
def _raster_store(settings, tmp_path):
    settings.PLANNING_RASTER_DIR = tmp_path / "rasters"
    return settings.PLANNING_RASTER_DIR


def stored_files(root: Path) -> list[Path]:
    """Every file in the raster store but the (empty) temporary directory."""
    if not root.exists():
        return []
    return [p for p in root.rglob("*") if p.is_file()]


def pattern(width: int, height: int) -> np.ndarray:
    """An RGB pattern whose colour says where a pixel is: red = column, green = row."""
    image = np.zeros((3, height, width), dtype="uint8")
    image[0] = (np.arange(width)[None, :] * 255 // max(width - 1, 1)).astype("uint8")
    image[1] = (np.arange(height)[:, None] * 255 // max(height - 1, 1)).astype("uint8")
    image[2] = 60
    return image


def write_tiff(path: Path, data: np.ndarray, *, transform=None, crs=None, gcps=None, **extra):
    count, height, width = data.shape
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": count,
        "dtype": str(data.dtype),
        **extra,
    }
    if transform is not None:
        profile["transform"] = transform
    if crs is not None:
        profile["crs"] = CRS.from_user_input(crs) if isinstance(crs, str) else crs
    if gcps is not None:
        profile["gcps"] = gcps[0]
        profile["crs"] = gcps[1]
    with safe_env(), rasterio.open(path, "w", **profile) as out:
        out.write(data)
    return path


@pytest.fixture
def scan_geotiff(tmp_path) -> Path:
    width, height = SCAN_SIZE
    return write_tiff(
        tmp_path / "scan.tif", pattern(width, height), transform=SCAN_TRANSFORM, crs="EPSG:9214"
    )


def unplaced_scan(client, revision, folder: Path, **fields):
    """A SCAN_SIZE scan.png of the test pattern, uploaded unplaced to `revision` through the
    API by `client` (with the form `fields`); its RasterLayer."""
    from rasters.models import RasterLayer

    width, height = SCAN_SIZE
    path = folder / "scan.png"
    profile = {"driver": "PNG", "width": width, "height": height, "count": 3, "dtype": "uint8"}
    with safe_env(), rasterio.open(path, "w", **profile) as out:
        out.write(pattern(width, height))
    with path.open("rb") as handle:
        response = client.post(
            f"/api/revisions/{revision.pk}/rasters/", {"file": handle, **fields}, format="multipart"
        )
    assert response.status_code == 201, response.content
    return RasterLayer.objects.get(pk=response.json()["id"])
