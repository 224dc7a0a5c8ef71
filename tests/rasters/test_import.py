"""Importing rasters: the sample files and generated images land where they should."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
import rasterio

from rasters.gdal_env import safe_env
from rasters.importing import import_raster
from rasters.models import GeoreferenceMethod, RasterLayer
from tests.rasters.conftest import (
    SAMPLES,
    SCAN_SIZE,
    SCAN_TRANSFORM,
    pattern,
    stored_files,
    write_tiff,
)


def _import(revision, user, path: Path, **kwargs):
    options = {"name": path.stem, "kind": "scan", **kwargs}
    return import_raster(user=user, revision=revision, path=path, filename=path.name, **options)


def _bounds(path: Path) -> tuple[float, ...]:
    with safe_env(), rasterio.open(path) as dataset:
        return tuple(dataset.bounds)


@pytest.mark.parametrize("name", ["byte.tif", "utmsmall.tif", "rgbsmall.tif"])
def test_sample_geotiffs_keep_their_georeference(draft_plan, planner, tmp_path, name):
    result = _import(draft_plan, planner, SAMPLES / name)
    raster = result.raster
    assert raster.georeference_method == GeoreferenceMethod.FILE
    expected = _bounds(SAMPLES / name)
    assert raster.bounds_native == pytest.approx(expected, abs=1e-9)
    assert _bounds(raster.cog_file()) == pytest.approx(expected, abs=1e-9)
    with safe_env(), rasterio.open(raster.cog_file()) as cog, rasterio.open(SAMPLES / name) as src:
        assert cog.crs == src.crs
        assert cog.profile["tiled"]
        assert cog.profile["blockxsize"] == 512
        assert np.array_equal(cog.read(), src.read()) or raster.band_count == 3
    assert raster.bounds_wgs84 is not None


def test_sample_tiff_with_world_file_needs_and_takes_a_crs(draft_plan, planner, tmp_path):
    archive = tmp_path / "nogeoref.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.write(SAMPLES / "byte_nogeoref.tif", "byte_nogeoref.tif")
        handle.write(SAMPLES / "byte_nogeoref.tfw", "byte_nogeoref.tfw")
    from planning.errors import InvalidInput

    with pytest.raises(InvalidInput, match="coordinate reference system"):
        _import(draft_plan, planner, archive)
    raster = _import(draft_plan, planner, archive, crs="EPSG:26711").raster
    assert raster.georeference_method == GeoreferenceMethod.WORLDFILE
    # The world file names the centre of the upper-left pixel (100, 200), 1 unit pixels.
    assert raster.bounds_native == pytest.approx([99.5, 180.5, 119.5, 200.5])


def test_generated_jpeg_with_world_file(draft_plan, planner, tmp_path):
    width, height = SCAN_SIZE
    image = tmp_path / "plan.jpg"
    with (
        safe_env(),
        rasterio.open(
            image, "w", driver="JPEG", width=width, height=height, count=3, dtype="uint8"
        ) as out,
    ):
        out.write(pattern(width, height))
    t = SCAN_TRANSFORM
    (tmp_path / "plan.jgw").write_text(
        f"{t.a}\n0\n0\n{t.e}\n{t.c + t.a / 2}\n{t.f + t.e / 2}\n", encoding="ascii"
    )
    (tmp_path / "plan.prj").write_text("EPSG:9214", encoding="ascii")
    archive = tmp_path / "plan.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for part in ("plan.jpg", "plan.jgw", "plan.prj"):
            handle.write(tmp_path / part, part)
    raster = _import(draft_plan, planner, archive).raster
    assert raster.crs_epsg == 9214
    assert raster.georeference_method == GeoreferenceMethod.WORLDFILE
    minx, maxy = t.c, t.f
    assert raster.bounds_native == pytest.approx(
        [minx, maxy - height * 0.5, minx + width * 0.5, maxy]
    )
    assert raster.footprint is not None
    assert raster.footprint.extent == pytest.approx(raster.bounds_native, abs=1e-6)


def test_rotated_world_file_is_warped_north_up(draft_plan, planner, tmp_path):
    width, height = SCAN_SIZE
    image = write_tiff(tmp_path / "rot.tif", pattern(width, height))
    # 30° rotation, 0.5 m pixels.
    import math

    a, b = 0.5 * math.cos(math.radians(30)), 0.5 * math.sin(math.radians(30))
    (tmp_path / "rot.tfw").write_text(f"{a}\n{-b}\n{-b}\n{-a}\n561700\n1821500\n")
    archive = tmp_path / "rot.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.write(image, "rot.tif")
        handle.write(tmp_path / "rot.tfw", "rot.tfw")
    raster = _import(draft_plan, planner, archive, crs="9214").raster
    with safe_env(), rasterio.open(raster.cog_file()) as cog:
        assert cog.transform.b == 0
        assert cog.transform.d == 0
        assert cog.count == 4  # alpha outside the rotated image


def test_embedded_gcps_are_fitted_with_residuals(draft_plan, planner, tmp_path):
    from rasterio.control import GroundControlPoint
    from rasterio.crs import CRS

    width, height = SCAN_SIZE
    t = SCAN_TRANSFORM
    points = [(0, 0), (width, 0), (0, height), (width, height), (200, 150)]
    gcps = [
        GroundControlPoint(row=r, col=c, x=(t @ (c, r))[0], y=(t @ (c, r))[1]) for c, r in points
    ]
    path = write_tiff(
        tmp_path / "gcps.tif", pattern(width, height), gcps=(gcps, CRS.from_epsg(9214))
    )
    raster = _import(draft_plan, planner, path).raster
    assert raster.georeference_method == GeoreferenceMethod.GCP
    assert raster.rms_error == pytest.approx(0.0, abs=1e-6)
    assert len(raster.control_points) == 5
    assert raster.bounds_native == pytest.approx(
        [t.c, t.f - height * 0.5, t.c + width * 0.5, t.f], abs=0.5
    )


def test_image_without_georeference_waits_for_control_points(draft_plan, planner, tmp_path):
    width, height = SCAN_SIZE
    path = tmp_path / "scan.png"
    with (
        safe_env(),
        rasterio.open(
            path, "w", driver="PNG", width=width, height=height, count=3, dtype="uint8"
        ) as out,
    ):
        out.write(pattern(width, height))
    result = _import(draft_plan, planner, path)
    raster = result.raster
    assert raster.georeference_method == GeoreferenceMethod.NONE
    assert not raster.is_georeferenced
    assert raster.raw_file().is_file()
    assert "control points" in result.report["next"]


def test_plan_in_force_takes_no_raster(plan_in_force, planner, settings):
    from planning.errors import Conflict

    with pytest.raises(Conflict, match="only drafts take new rasters"):
        _import(plan_in_force, planner, SAMPLES / "byte.tif")
    assert RasterLayer.objects.count() == 0
    assert stored_files(settings.PLANNING_RASTER_DIR) == []


def test_copy_of_sample_is_untouched(tmp_path):
    shutil.copy(SAMPLES / "byte.tif", tmp_path / "b.tif")
    assert (tmp_path / "b.tif").read_bytes() == (SAMPLES / "byte.tif").read_bytes()


def test_answering_revision_starts_with_copies_of_the_rasters(
    draft_plan, planner, reviewer, tmp_path
):
    from planning.actions import CreateRevision, RequestChanges, StartReview, SubmitRevision

    scan = tmp_path / "scan.tif"  # at the plan: one outside Viet Nam stops the submission
    with safe_env():
        write_tiff(scan, pattern(40, 30), transform=SCAN_TRANSFORM, crs="EPSG:9214")
    raster = _import(draft_plan, planner, scan).raster
    SubmitRevision(user=planner, revision=draft_plan).execute()
    StartReview(user=reviewer, revision=draft_plan).execute()
    RequestChanges(user=reviewer, revision=draft_plan, note="sửa lại").execute()
    draft_plan.refresh_from_db()
    answer = CreateRevision(user=planner, project=draft_plan.project, based_on=draft_plan).execute()
    copy = RasterLayer.objects.get(revision=answer)
    assert copy.pk != raster.pk
    assert copy.cog_path != raster.cog_path
    assert copy.cog_file().read_bytes() == raster.cog_file().read_bytes()
    assert copy.bounds_native == raster.bounds_native
