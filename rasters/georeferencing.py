"""Placing a scan by control points: fit, warp, new COG, one transaction.

The planner pairs pixels of the stored, ungeoreferenced image (col/row, 0,0 the upper-left
corner) with map coordinates in a CRS. The fit (rasters.georef) gives the residuals;
GDAL's warper, told the same points and order, resamples the image onto a north-up grid
in that CRS, which is written as the raster's COG. The raw image stays, so the points can
be corrected and the scan placed again. `accuracy_json` judges the stored fit in metres on
the ground against the plan's scale (rasters.georef.assess: the standard error of a point,
not the RMS, and outliers by studentised residuals) for the API and the page.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import rasterio
from django.db import transaction
from django.utils.translation import gettext as _
from pyproj import CRS

from planning.errors import Conflict
from planning.numbers import localized
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


def accuracy(raster: RasterLayer) -> georef.Accuracy | None:
    """The stored fit of `raster` judged on the ground (None when not placed by points).
    The stored points and residuals are in the raster's CRS, the one the fit was made in."""
    saved = [p for p in raster.control_points or [] if isinstance(p, dict)]
    order = raster.transform_order
    if not saved or not raster.crs_wkt or order not in georef.MIN_POINTS:
        return None
    points = [georef.ControlPoint(p["col"], p["row"], p["x"], p["y"]) for p in saved]
    residuals = [(p.get("residual_x") or 0.0, p.get("residual_y") or 0.0) for p in saved]
    scale = raster.revision.project.scale
    return georef.assess(points, residuals, order, CRS.from_wkt(raster.crs_wkt), scale)


def accuracy_json(raster: RasterLayer) -> dict | None:
    """The accuracy summary the API answers and the page shows (docs/rasters.md)."""
    result = accuracy(raster)
    if result is None:
        return None
    scale = raster.revision.project.scale or None
    return {
        "residuals_m": result.residuals_m,
        "rms_m": result.rms_m,
        "error_m": result.error_m,
        "scale": scale,
        "tolerance_m": result.tolerance_m,
        "redundancy": result.redundancy,
        "checkable": result.checkable,
        "locatable": result.locatable,
        "exceeds_tolerance": result.exceeds_tolerance,
        "outliers": [o.index + 1 for o in result.outliers if not o.together],
        "outlier_groups": [[i + 1 for i in o.suspects] for o in result.outliers if o.together],
        "warnings": accuracy_warnings(result, scale),
    }


def accuracy_warnings(result: georef.Accuracy, scale: int | None) -> list[str]:
    """What the planner should know before trusting the placement (never a refusal)."""
    if not result.checkable:
        count = len(result.residuals_m)
        return [
            _(
                "With exactly %(count)d control points the fit passes through every point, "
                "so its accuracy cannot be checked: add at least one more point."
            )
            % {"count": count}
        ]
    warnings = []
    if result.exceeds_tolerance:
        warnings.append(_tolerance_warning(result, scale))
        if not result.locatable:
            warnings.append(
                _(
                    "With only one control point more than the fit needs, an error shows "
                    "but cannot be located: any of the points may be the wrong one. Add "
                    "points to find it."
                )
            )
    warnings.extend(_outlier_warning(outlier) for outlier in result.outliers)
    return warnings


def _outlier_warning(outlier: georef.Outlier) -> str:
    """No yardstick is quoted: the others' standard error is not what the offset of a
    point of high leverage is to be compared with (that is larger, σ̂ / sqrt(1 − h))."""
    if outlier.together:
        return _(
            "One of points %(numbers)s is off by more than the other points' accuracy "
            "explains, but an error at any of them shows the same way, so which cannot be "
            "told: check where each was clicked."
        ) % {"numbers": ", ".join(str(i + 1) for i in outlier.suspects)}
    return _(
        "Point %(number)d is %(offset)s m from where the other points place it, more than "
        "their accuracy explains: check where it was clicked."
    ) % {"number": outlier.index + 1, "offset": _metres(outlier.offset_m)}


def _tolerance_warning(result: georef.Accuracy, scale: int | None) -> str:
    """The standard error, not the RMS, is judged: the fit bends towards its points, so
    their residuals understate a point's error when few points are spare (georef.assess)."""
    return _(
        "The standard error of a point, %(error)s m on the ground (the RMS of the "
        "residuals, %(rms)s m, corrected for the points the fit needs), is more than the "
        "%(tolerance)s m a 1:%(scale)s plan can show (%(mm)s mm at its scale); check the "
        "control points."
    ) % {
        "error": _metres(result.error_m or 0.0),
        "rms": _metres(result.rms_m),
        "tolerance": _metres(result.tolerance_m or 0.0),
        "scale": scale,
        "mm": localized(georef.GRAPHIC_ACCURACY_M * 1000, 1),
    }


def _metres(value: float) -> str:
    """Metres to the centimetre in the reader's language (rounded: Django's formatting cuts)."""
    return localized(round(value, 2), 2)
