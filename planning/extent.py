"""Where plan data can lie: one generous envelope of Viet Nam (mainland, islands, seas).

Every check that means "outside Viet Nam" uses it: the import guard (importers.loader), the
QA rule extent.outside_vietnam, the placement of 3D models and of CAD control points. Data
outside it is refused on the way in; read paths that turn stored extents into lon/lat clamp
to it first (`lonlat_box`), so one draft stored before the guard existed cannot make a
transformation fail ("Point outside of projection domain") for a whole capabilities
document.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
from django.conf import settings
from django.contrib.gis.geos import Polygon
from pyproj import CRS, Transformer

from planning import crs as planning_crs
from planning.errors import InvalidInput

Bbox = tuple[float, float, float, float]

# lon/lat, generously: the mainland (102°08′E–109°28′E, 8°34′N–23°22′N) with a margin, the
# islands (Trường Sa down to about 6.5°N, Hoàng Sa) and the seas between.
VIETNAM_LONLAT: Bbox = (101.5, 6.0, 118.0, 24.0)


def _crs(srid: int) -> CRS:
    """The CRS with the VN-2000 datum shift PostGIS applies (planning.crs)."""
    return CRS.from_user_input(planning_crs.proj4_for(srid) or f"EPSG:{srid}")


@cache
def _transformer(source: int, target: int) -> Transformer:
    return Transformer.from_crs(_crs(source), _crs(target), always_xy=True)


def storage_envelope(srid: int | None = None) -> Bbox:
    """VIETNAM_LONLAT in the storage CRS (the box around its densified outline)."""
    return _storage_envelope(srid or settings.PLANNING_STORAGE_SRID)


@cache
def _storage_envelope(srid: int) -> Bbox:
    box = _transformer(4326, srid).transform_bounds(*VIETNAM_LONLAT, densify_pts=21)
    return tuple(float(v) for v in box)  # type: ignore[return-value]


def storage_envelope_polygon() -> Polygon:
    """The storage envelope as a geometry, for `geom__contained` (bounding-box) filters."""
    srid = settings.PLANNING_STORAGE_SRID
    polygon = Polygon.from_bbox(storage_envelope(srid))
    polygon.srid = srid
    return polygon


def lonlat_inside(lon, lat) -> bool:
    """True when every point is a finite position inside VIETNAM_LONLAT."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    west, south, east, north = VIETNAM_LONLAT
    return bool(
        np.all(np.isfinite(lon) & np.isfinite(lat))
        and np.all((west <= lon) & (lon <= east) & (south <= lat) & (lat <= north))
    )


def points_inside(crs: CRS, x, y) -> bool:
    """True when the points (in `crs`) lie inside VIETNAM_LONLAT; never raises."""
    to_lonlat = Transformer.from_crs(crs, CRS.from_epsg(4326), always_xy=True)
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        return False
    lon, lat = to_lonlat.transform(x, y, errcheck=False)
    return lonlat_inside(lon, lat)


def lonlat_box(box: Bbox | None, srid: int | None = None) -> Bbox | None:
    """The lon/lat extent of a storage-CRS box, clamped to the envelope first (whatever
    lies beyond it cannot be placed on the map); None when nothing of it is inside."""
    if box is None or not all(math.isfinite(v) for v in box):
        return None
    srid = srid or settings.PLANNING_STORAGE_SRID
    west, south, east, north = storage_envelope(srid)
    clamped = (max(box[0], west), max(box[1], south), min(box[2], east), min(box[3], north))
    if clamped[0] > clamped[2] or clamped[1] > clamped[3]:
        return None
    lonlat = _transformer(srid, 4326).transform_bounds(*clamped, densify_pts=21)
    return tuple(float(v) for v in lonlat)  # type: ignore[return-value]


def check_lonlat_box(box: Bbox, *, latitude_first: bool = False) -> None:
    """A lon/lat box (x/y order) must lie on the globe: a latitude beyond ±90 or a longitude
    beyond ±180 is a mistyped or swapped request, refused rather than guessed at."""
    west, south, east, north = box
    if not (-90 <= south and north <= 90):
        hint = " (this CRS lists latitude first: lat,lon,lat,lon)" if latitude_first else ""
        raise InvalidInput(f"bbox latitudes must lie between -90 and 90{hint}.")
    if not (-180 <= west and east <= 180):
        raise InvalidInput("bbox longitudes must lie between -180 and 180.")


def check_projected_box(box: Bbox, srid: int) -> None:
    """A box in a projected CRS must map to places on Earth (its corners to finite lon/lat);
    no range beyond that: web clients zoomed out ask for more than the world in EPSG:3857."""
    xs, ys = [box[0], box[0], box[2], box[2]], [box[1], box[3], box[1], box[3]]
    lon, lat = _transformer(srid, 4326).transform(xs, ys, errcheck=False)
    if not (np.all(np.isfinite(lon)) and np.all(np.isfinite(lat))):
        raise InvalidInput(f"bbox lies outside the area EPSG:{srid} can describe.")
