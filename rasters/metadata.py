"""What is recorded about a stored raster: CRS, bounds (native, storage CRS, WGS84), grid.

Bounds leave the raster's CRS through pyproj with the VN-2000 definitions of planning.crs,
the same datum shift the renderers apply.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from django.conf import settings
from django.contrib.gis.geos import Polygon
from pyproj import CRS, Transformer

from planning.crs import proj4_for
from rasters.gdal_env import safe_env

DENSIFY = 21


@dataclass(frozen=True)
class RasterInfo:
    crs_wkt: str
    crs_epsg: int | None
    transform: tuple[float, ...]
    bounds: tuple[float, float, float, float]
    width: int
    height: int
    count: int
    dtype: str
    nodata: float | None


def describe(path: Path) -> RasterInfo:
    with safe_env(), rasterio.open(path) as dataset:
        crs = dataset.crs
        return RasterInfo(
            crs_wkt=crs.to_wkt() if crs else "",
            crs_epsg=crs.to_epsg() if crs else None,
            transform=tuple(dataset.transform)[:6],
            bounds=tuple(dataset.bounds),  # type: ignore[arg-type]
            width=dataset.width,
            height=dataset.height,
            count=dataset.count,
            dtype=dataset.dtypes[0],
            nodata=dataset.nodata,
        )


def pyproj_crs(epsg: int | None, wkt: str) -> CRS:
    """The raster's CRS for pyproj: VN-2000 with the official shift, else EPSG or WKT."""
    if epsg:
        return CRS.from_user_input(proj4_for(epsg) or f"EPSG:{epsg}")
    return CRS.from_wkt(wkt)


def mapnik_srs(epsg: int | None, wkt: str) -> str:
    """The raster's CRS as Mapnik (PROJ) takes it."""
    if epsg:
        return proj4_for(epsg) or f"epsg:{epsg}"
    return CRS.from_wkt(wkt).to_proj4()


def _ring(bounds: tuple[float, float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    minx, miny, maxx, maxy = bounds
    steps = np.linspace(0.0, 1.0, DENSIFY)
    xs = np.concatenate(
        [
            minx + steps * (maxx - minx),
            np.full(DENSIFY, maxx),
            maxx - steps * (maxx - minx),
            np.full(DENSIFY, minx),
        ]
    )
    ys = np.concatenate(
        [
            np.full(DENSIFY, miny),
            miny + steps * (maxy - miny),
            np.full(DENSIFY, maxy),
            maxy - steps * (maxy - miny),
        ]
    )
    return xs, ys


def wgs84_bounds(info: RasterInfo) -> list[float] | None:
    source = pyproj_crs(info.crs_epsg, info.crs_wkt)
    to_wgs84 = Transformer.from_crs(source, "+proj=longlat +datum=WGS84 +no_defs", always_xy=True)
    box = to_wgs84.transform_bounds(*info.bounds, densify_pts=DENSIFY)
    return [float(v) for v in box] if all(math.isfinite(v) for v in box) else None


def storage_footprint(info: RasterInfo) -> Polygon | None:
    """The raster's outline in the storage CRS (None where it cannot be projected there)."""
    srid = settings.PLANNING_STORAGE_SRID
    source = pyproj_crs(info.crs_epsg, info.crs_wkt)
    target = CRS.from_user_input(proj4_for(srid) or f"EPSG:{srid}")
    xs, ys = _ring(info.bounds)
    tx, ty = Transformer.from_crs(source, target, always_xy=True).transform(xs, ys)
    if not (np.all(np.isfinite(tx)) and np.all(np.isfinite(ty))):
        return None
    # Far outside the zone a transverse Mercator "succeeds" with absurd values.
    if np.abs(tx).max() > 1e7 or np.abs(ty).max() > 1e7:
        return None
    points = [*zip(tx.tolist(), ty.tolist(), strict=True)]
    points.append(points[0])
    return Polygon(points, srid=srid)


def apply(raster, info: RasterInfo, *, georeferenced: bool) -> None:
    raster.width, raster.height = info.width, info.height
    raster.band_count, raster.dtype, raster.nodata = info.count, info.dtype, info.nodata
    if not georeferenced:
        return
    raster.crs_wkt, raster.crs_epsg = info.crs_wkt, info.crs_epsg
    raster.bounds_native = list(info.bounds)
    raster.pixel_size_x = abs(info.transform[0])
    raster.pixel_size_y = abs(info.transform[4])
    raster.bounds_wgs84 = wgs84_bounds(info)
    raster.footprint = storage_footprint(info)


def apply_fit(raster, fit, points) -> None:
    """Control points with their residuals, the order and the RMS of a fit."""
    raster.control_points = [
        {
            "col": p[0],
            "row": p[1],
            "x": p[2],
            "y": p[3],
            "residual_x": r[0],
            "residual_y": r[1],
            "residual": r[2],
            "residual_pixels": r[2] / fit.pixel_size if fit.pixel_size else None,
        }
        for p, r in zip(points, fit.residuals, strict=True)
    ]
    raster.transform_order = fit.order
    raster.rms_error = fit.rms
    raster.rms_error_pixels = fit.rms_pixels
