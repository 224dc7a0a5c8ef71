"""Rasters are drawn with rasterio's own PROJ data, whatever started GDAL before.

The mapnik wheel used to leave PROJ_LIB naming its share directory, which holds no proj.db.
Any rasterio environment started outside rasters.gdal_env.safe_env (a plain rasterio.open)
then pointed PROJ there, and every thread started afterwards (each request of the threaded
server) knew no EPSG code: raster tiles failed with "Cannot find proj.db" (seen in CI).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import mapnik
import numpy as np
import rasterio
import rasterio.errors
from pyproj import Transformer

from planning.crs import proj4_for
from rasters.gdal_env import safe_env
from tests.rasters.conftest import SCAN_SIZE, SCAN_TRANSFORM, write_tiff
from tiles.raster_layers import Drawing, draw


def test_mapnik_leaves_no_proj_lib_without_a_database():
    assert mapnik.__file__
    proj_lib = os.environ.get("PROJ_LIB")
    assert proj_lib is None or (Path(proj_lib) / "proj.db").exists(), proj_lib


def test_a_raster_drawn_in_a_new_thread_after_a_plain_rasterio_open(tmp_path):
    scan = tmp_path / "scan.tif"
    width, height = SCAN_SIZE
    data = np.full((3, height, width), 200, dtype="uint8")
    with safe_env():
        write_tiff(scan, data, transform=SCAN_TRANSFORM, crs=proj4_for(9214))
    with rasterio.open(scan):  # starts rasterio's environment the plain way
        pass
    to_mercator = Transformer.from_crs(proj4_for(9214), "EPSG:3857", always_xy=True)
    t = SCAN_TRANSFORM
    left, top = to_mercator.transform(t.c + 20, t.f - 20)
    right, bottom = to_mercator.transform(t.c + 80, t.f - 80)
    drawn: dict[str, object] = {}

    def request() -> None:
        try:
            drawn["pixels"] = draw(
                Drawing(str(scan), proj4_for(9214), ()),
                (left, bottom, right, top),
                (32, 32),
                "epsg:3857",
            )
        except (ValueError, OSError, rasterio.errors.RasterioError) as exc:  # asserted below
            drawn["error"] = exc

    thread = threading.Thread(target=request)
    thread.start()
    thread.join()
    assert "error" not in drawn, drawn.get("error")
    pixels = drawn["pixels"]
    assert pixels[..., 3].min() == 255  # wholly inside the scan
    assert np.abs(pixels[..., :3].astype(int) - 200).max() <= 1


def test_mapnik_s_proj_lib_is_recognised_through_a_symbolic_link(tmp_path, monkeypatch):
    from planning.mapnik_env import import_mapnik

    link = tmp_path / "current"
    link.symlink_to(Path(mapnik.__file__).resolve().parent, target_is_directory=True)
    monkeypatch.setenv("PROJ_LIB", str(link / "share" / "proj"))
    import_mapnik()
    assert "PROJ_LIB" not in os.environ
    operators = tmp_path / "proj"  # another directory stays the operator's choice
    monkeypatch.setenv("PROJ_LIB", str(operators))
    import_mapnik()
    assert os.environ["PROJ_LIB"] == str(operators)
