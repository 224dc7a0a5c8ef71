"""Placing a scan by control points: fit, warp, new COG, one transaction.

The planner pairs pixels of the stored, ungeoreferenced image (col/row, 0,0 the upper-left
corner) with map coordinates in a CRS. The fit (rasters.georef) gives the residuals;
GDAL's warper, told the same points and order, resamples the image onto a north-up grid
in that CRS, which is written as the raster's COG. The raw image stays, so the points can
be corrected and the scan placed again.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import rasterio
from django.db import transaction
from django.utils.translation import gettext as _

from planning.errors import Conflict
from rasters import cog, georef, metadata
from rasters.gdal_env import safe_env
from rasters.importing import (
    check_finite_extent,
    check_permission,
    check_placed_grid,
    checked_fit_grid,
    final_path,
    move_into_place,
    rio_crs,
    work_root,
)
from rasters.models import GeoreferenceMethod, RasterKind, RasterLayer


def georeference(
    *,
    user,
    raster: RasterLayer,
    points: list[georef.ControlPoint],
    order: int,
    crs: str,
    target_crs: str | None = None,
) -> georef.Fit:
    """Fit `points` (map x/y in `crs`), write the placed COG in `target_crs` (default
    `crs`) and record points, residuals and RMS. The web page clicks in web mercator and
    places scans in the storage CRS: the points are moved by pyproj (VN-2000 shift)."""
    check_permission(user, raster.revision)
    if not raster.raw_path:
        raise Conflict(_("This raster has no unplaced image to georeference."))
    points_crs = georef.parse_crs(crs, "crs")
    output_crs = georef.parse_crs(target_crs, "target_crs") if target_crs else points_crs
    points = georef.checked_points(
        points, order, raster.width, raster.height, points_crs, output_crs
    )
    fit = georef.fit(points, order)
    grid = checked_fit_grid(fit, output_crs, raster.width, raster.height)
    check_placed_grid(
        grid, raster.width, raster.height, raster.band_count, raster.dtype, raster.name
    )
    target = rio_crs(output_crs)
    gcps = [(p.col, p.row, p.x, p.y) for p in points]
    with tempfile.TemporaryDirectory(prefix="georef-", dir=work_root()) as work:
        output = _warp(raster, gcps, target, grid, order, Path(work))
        info = metadata.describe(output)
        check_finite_extent(info, raster.name)
        _save(user, raster, output, info, fit, gcps)
    return fit


def _warp(raster: RasterLayer, gcps, crs, grid: cog.Grid, order: int, workdir: Path) -> Path:
    vrt = workdir / "points.vrt"
    warped = workdir / "warped.tif"
    output = workdir / "placed.tif"
    with safe_env():
        with rasterio.open(raster.raw_file()) as raw:
            vrt.write_text(
                cog.vrt_xml(raster.raw_file(), raw, crs_wkt=crs.to_wkt(), gcps=gcps),
                encoding="utf-8",
            )
        with rasterio.open(vrt) as placed:
            cog.warp_to_file(placed, warped, crs, grid, order=order)
        with rasterio.open(warped) as flat:
            cog.write_cog(flat, output, elevation=raster.kind == RasterKind.ELEVATION)
    return output


def _save(user, raster: RasterLayer, output: Path, info, fit, gcps) -> None:
    target, relative = final_path(raster.revision_id)
    old = raster.cog_file() if raster.cog_path else None
    try:
        with transaction.atomic():
            locked = RasterLayer.objects.select_for_update().get(pk=raster.pk)
            check_permission(user, locked.revision)
            metadata.apply(locked, info, georeferenced=True)
            metadata.apply_fit(locked, fit, gcps)
            locked.georeference_method = GeoreferenceMethod.CONTROL_POINTS
            locked.cog_path = relative
            locked.size_bytes = output.stat().st_size
            locked.save()
            move_into_place(output, target)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    if old is not None:
        old.unlink(missing_ok=True)
    raster.refresh_from_db()
