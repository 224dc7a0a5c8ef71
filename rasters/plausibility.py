"""Whether a CRS can place a raster, and whether a placement is one a plan could have.

A raster lies on a plane of map or lon/lat coordinates: a geocentric CRS (x/y/z from the
Earth's centre), a vertical-only or a local (engineering) one places it nowhere, yet GDAL
and pyproj take them and put the scan on the equator. Control points are checked against
the area where their CRS is meant to be used (pyproj's area of use, widened by
AREA_MARGIN_DEGREES, and for a CRS used in Viet Nam the whole of planning.extent
.VIETNAM_LONLAT) and the fitted pixels against a plausible ground size: out-of-range
points used to overflow the fit into NaN bounds (a 500 from PostgreSQL), and far-apart
ones to place a 400-pixel scan over half the globe. Merely lying outside Viet Nam stays a
warning and a QA finding (extent.raster_outside_vietnam), not an error here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from django.utils.translation import gettext as _
from pyproj import CRS, Transformer
from pyproj.exceptions import ProjError

from planning.errors import InvalidInput
from planning.extent import VIETNAM_LONLAT, lonlat_box_meets_vietnam

Bbox = tuple[float, float, float, float]
LONLAT = CRS.from_epsg(4326)
# About 110 km: a plan near a zone's edge may reach into the neighbouring province.
AREA_MARGIN_DEGREES = 1.0
# Ground size of one pixel: a scan at 600 dpi of a 1:50 drawing is ~2 mm, a coarse
# elevation model or an overview of the whole country a few kilometres.
MIN_PIXEL_METRES = 0.001
MAX_PIXEL_METRES = 10_000.0
EARTH_RADIUS_METRES = 6_378_137.0


def horizontal(crs: CRS) -> CRS:
    """The part of `crs` that places x/y: the first component of a compound CRS, the
    source of a bound one (a definition with +towgs84)."""
    if crs.is_compound and crs.sub_crs_list:
        crs = crs.sub_crs_list[0]
    if crs.is_bound and crs.source_crs is not None:
        crs = crs.source_crs
    return crs


def check_raster_crs(crs: CRS, source: str) -> None:
    """Refuse a CRS that is neither projected nor geographic; `source` names where it was
    given (a form field, a sidecar, the image)."""
    flat = horizontal(crs)
    if flat.is_geocentric or flat.is_engineering or not (flat.is_projected or flat.is_geographic):
        raise InvalidInput(
            _(
                "The coordinate reference system in %(source)s cannot place a raster: give a "
                "projected or geographic CRS (e.g. EPSG:9214 or EPSG:4326), not a geocentric, "
                "vertical or local one."
            )
            % {"source": source}
        )


def label(crs: CRS) -> str:
    """A short name of the CRS for messages."""
    epsg = crs.to_epsg(min_confidence=70)
    return f"EPSG:{epsg}" if epsg else horizontal(crs).name[:80]


def inside_area(crs: CRS, xs: Sequence[float], ys: Sequence[float]) -> bool:
    """True when every position (x/y in `crs`) lies where the CRS is used (`inside_mask`)."""
    return bool(inside_mask(crs, xs, ys).all())


def inside_mask(crs: CRS, xs: Sequence[float], ys: Sequence[float]) -> np.ndarray:
    """Which positions (x/y in `crs`) are finite and lie in the CRS's area of use widened
    by AREA_MARGIN_DEGREES, or, for a CRS used in Viet Nam, anywhere in VIETNAM_LONLAT:
    the EPSG areas of VN-2000 end at the mainland coast (109.5°E), yet Hoàng Sa and
    Trường Sa are mapped in them, and an overview of the country is placed in the
    provincial zone the deployment stores in. Compared in the CRS's own coordinates (the
    boxes projected), since far outside its domain a projection's inverse can fold absurd
    coordinates back onto the globe; a CRS naming no area takes the positions that
    survive a round trip through lon/lat."""
    x, y = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    finite = np.isfinite(x) & np.isfinite(y)
    x, y = np.where(finite, x, 0.0), np.where(finite, y, 0.0)
    area = horizontal(crs).area_of_use
    if area is None or area.west > area.east:  # none named, or across the antimeridian
        return finite & _round_trips(crs, x, y)
    margin = AREA_MARGIN_DEGREES
    widened = (
        max(area.west - margin, -180.0),
        max(area.south - margin, -90.0),
        min(area.east + margin, 180.0),
        min(area.north + margin, 90.0),
    )
    boxes = [widened]
    if lonlat_box_meets_vietnam(area.bounds):
        boxes.append(VIETNAM_LONLAT)
    native = [_native_box(crs, box) for box in boxes]
    if native[0] is None:
        return finite & _round_trips(crs, x, y)
    inside = np.zeros(x.shape, dtype=bool)
    for west, south, east, north in (box for box in native if box is not None):
        inside |= (west <= x) & (x <= east) & (south <= y) & (y <= north)
    return finite & inside


def _native_box(crs: CRS, lonlat: Bbox) -> Bbox | None:
    """A lon/lat box in the coordinates of `crs` (the box around its densified outline);
    None where the CRS cannot express it."""
    try:
        to_crs = Transformer.from_crs(LONLAT, crs, always_xy=True)
        box = to_crs.transform_bounds(*lonlat, densify_pts=21)
    except ProjError:
        return None
    if not all(math.isfinite(v) for v in box):
        return None
    return (float(box[0]), float(box[1]), float(box[2]), float(box[3]))


def _round_trips(crs: CRS, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    to_lonlat = Transformer.from_crs(crs, LONLAT, always_xy=True)
    lon, lat = (np.asarray(v) for v in to_lonlat.transform(x, y, errcheck=False))
    on_globe = np.isfinite(lon) & np.isfinite(lat)
    from_lonlat = Transformer.from_crs(LONLAT, crs, always_xy=True)
    back_x, back_y = (np.asarray(v) for v in from_lonlat.transform(lon, lat, errcheck=False))
    tolerance = 1e-6 * np.maximum(1.0, np.maximum(np.abs(x), np.abs(y)))
    with np.errstate(invalid="ignore"):
        same = (np.abs(back_x - x) <= tolerance) & (np.abs(back_y - y) <= tolerance)
    return on_globe & same


def pixel_metres(size: float, crs: CRS) -> float:
    """A length in the units of `crs` in metres (degrees at the equator)."""
    flat = horizontal(crs)
    factor = flat.axis_info[0].unit_conversion_factor if flat.axis_info else 1.0
    if flat.is_geographic:
        factor *= EARTH_RADIUS_METRES  # the factor turns degrees into radians
    return size * factor


def check_pixel_size(size: float, crs: CRS) -> None:
    """Refuse a fit whose pixels have no plausible ground size."""
    metres = pixel_metres(size, crs)
    if not math.isfinite(metres) or metres <= 0:
        raise InvalidInput(
            _(
                "These control points give the image no usable scale (their map coordinates "
                "coincide or are out of range); check them."
            )
        )
    if not MIN_PIXEL_METRES <= metres <= MAX_PIXEL_METRES:
        raise InvalidInput(
            _(
                "These control points make one pixel %(size)s on the ground; a raster's "
                "pixels must be between 1 mm and 10 km. Check the points and their CRS."
            )
            % {"size": _distance(metres)}
        )


def _distance(metres: float) -> str:
    if metres >= 1000:
        return f"{metres / 1000:.0f} km"
    if metres < 1:
        return f"{metres * 1000:.2g} mm"
    return f"{metres:.3g} m"


def check_placed_box(box: Bbox, crs: CRS) -> None:
    """Refuse a placement whose extent (in `crs`) reaches beyond the CRS's area of use."""
    west, south, east, north = box
    xs = [west, east, east, west, (west + east) / 2, (west + east) / 2, west, east]
    ys = [south, south, north, north, south, north, (south + north) / 2, (south + north) / 2]
    if not inside_area(crs, xs, ys):
        raise InvalidInput(
            _(
                "Placed by these control points, the image would reach beyond the area "
                "where %(crs)s is used; check the points and their CRS."
            )
            % {"crs": label(crs)}
        )
