"""Where plan data can lie: one generous envelope of Viet Nam (mainland, islands, seas).

Every check that means "outside Viet Nam" uses it: the import guard (importers.loader), the
QA rule extent.outside_vietnam, the placement of 3D models and of CAD control points. Data
outside it is refused on the way in; read paths that turn stored extents into lon/lat clamp
to it first (`lonlat_box`), so one draft stored before the guard existed cannot make a
transformation fail ("Point outside of projection domain") for a whole capabilities
document. Query boxes and filter geometries of the services are checked like the bbox
parameters (`check_shape`) and cut to a wider query area (`clip_to_query_area`) before
PostGIS transforms them.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import shapely
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, Polygon
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from planning import crs as planning_crs
from planning.errors import InvalidInput

Bbox = tuple[float, float, float, float]

# lon/lat, generously: the mainland (102°08′E–109°28′E, 8°34′N–23°22′N) with a margin, the
# islands (Trường Sa down to about 6.5°N, Hoàng Sa) and the seas between.
VIETNAM_LONLAT: Bbox = (101.5, 6.0, 118.0, 24.0)
# Query boxes and filter geometries are cut to this area (VIETNAM_LONLAT with a margin of
# 200 km and more) before PostGIS projects them: far from Viet Nam the VN-2000
# transverse Mercator folds a box into a sliver or fails ("Point outside of projection
# domain"), and no plan data lies there anyway.
QUERY_AREA_LONLAT: Bbox = (96.0, 4.0, 120.0, 27.0)
# The least distance from VIETNAM_LONLAT to the edge of QUERY_AREA_LONLAT (its east side at
# 24°N): distances up to it keep their meaning after clip_to_query_area, so distance filters
# (DWithin, Beyond) are refused beyond it.
QUERY_MARGIN_M = 200_000.0
# A speck inside the query area but outside VIETNAM_LONLAT (see clip_to_query_area).
_SPECK_LONLAT: Bbox = (96.5, 4.5, 96.6, 4.6)


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


def lonlat_box_meets_vietnam(box: object) -> bool:
    """True when the lon/lat `box` (west, south, east, north) overlaps VIETNAM_LONLAT; a box
    that is no four finite numbers does not."""
    try:
        w, s, e, n = (float(value) for value in box)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        return False
    if not all(math.isfinite(v) for v in (w, s, e, n)):
        return False
    west, south, east, north = VIETNAM_LONLAT
    return w < east and e > west and s < north and n > south


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


def check_lonlat_box(box: Bbox, *, latitude_first: bool = False, subject: str = "bbox") -> None:
    """A lon/lat box (x/y order) must lie on the globe: a latitude beyond ±90 or a longitude
    beyond ±180 is a mistyped or swapped request, refused rather than guessed at.
    `subject` names what the box bounds in the message (a bbox parameter, a filter)."""
    west, south, east, north = box
    if not (-90 <= south and north <= 90):
        order = "lat,lon,lat,lon" if subject == "bbox" else "lat lon"
        hint = f" (this CRS lists latitude first: {order})" if latitude_first else ""
        raise InvalidInput(f"{subject} latitudes must lie between -90 and 90{hint}.")
    if not (-180 <= west and east <= 180):
        raise InvalidInput(f"{subject} longitudes must lie between -180 and 180.")


def check_projected_box(box: Bbox, srid: int, *, subject: str = "bbox") -> None:
    """A box in a projected CRS must map to places on Earth (its corners to finite lon/lat);
    no range beyond that: web clients zoomed out ask for more than the world in EPSG:3857."""
    xs, ys = [box[0], box[0], box[2], box[2]], [box[1], box[3], box[1], box[3]]
    lon, lat = _transformer(srid, 4326).transform(xs, ys, errcheck=False)
    if not (np.all(np.isfinite(lon)) and np.all(np.isfinite(lat))):
        raise InvalidInput(f"{subject} lies outside the area EPSG:{srid} can describe.")


@cache
def _is_geographic(srid: int) -> bool:
    return _crs(srid).is_geographic


def check_shape(
    shape: BaseGeometry, srid: int, *, latitude_first: bool = False, subject: str
) -> None:
    """A query geometry (x/y order, in `srid`) PostGIS can transform: finite, valid, and
    its envelope in the range of the CRS, as for a bbox (check_lonlat_box for lon/lat,
    check_projected_box otherwise). An empty geometry passes: it matches nothing."""
    coordinates = shapely.get_coordinates(shape)
    if coordinates.size == 0:
        return
    if not np.all(np.isfinite(coordinates)):
        raise InvalidInput(f"{subject} coordinates must be finite numbers.")
    if not shape.is_valid:
        raise InvalidInput(f"{subject} is not a valid geometry: {explain_validity(shape)}.")
    if _is_geographic(srid):
        check_lonlat_box(shape.bounds, latitude_first=latitude_first, subject=subject)
    else:
        check_projected_box(shape.bounds, srid, subject=subject)


@cache
def _query_area(srid: int) -> BaseGeometry:
    """QUERY_AREA_LONLAT in `srid`: the box around its densified outline."""
    return shapely.box(
        *_transformer(4326, srid).transform_bounds(*QUERY_AREA_LONLAT, densify_pts=21)
    )


@cache
def _speck(srid: int, dimension: int) -> BaseGeometry:
    """_SPECK_LONLAT in `srid` as a point, a line or a square (the dimension asked for)."""
    west, south, east, north = _transformer(4326, srid).transform_bounds(*_SPECK_LONLAT)
    if dimension == 0:
        return shapely.Point(west, south)
    if dimension == 1:
        return shapely.LineString([(west, south), (east, north)])
    return shapely.box(west, south, east, north)


def clip_to_query_area(shape: BaseGeometry, srid: int) -> BaseGeometry:
    """A checked query geometry (check_shape) cut to QUERY_AREA_LONLAT, so PostGIS projects
    only coordinates near Viet Nam; one far away matches nothing instead of failing.

    What is cut off is replaced by a speck of the same dimension off Viet Nam (no feature
    reaches it), so every spatial predicate keeps its answer for features inside
    VIETNAM_LONLAT: a lot cannot contain or equal a geometry that leaves Viet Nam, before
    and after. Distances up to the margin (about 200 km) stay exact too."""
    area = _query_area(srid)
    if shape.is_empty or area.contains(shape):
        return shape
    inside = shape.intersection(area)
    speck = _speck(srid, shapely.get_dimensions(shape).item())
    return speck if inside.is_empty else inside.union(speck)


def query_geometry(shape: BaseGeometry, srid: int) -> GEOSGeometry:
    """A checked query geometry cut to the query area, as the GEOS geometry to filter with."""
    return GEOSGeometry(memoryview(clip_to_query_area(shape, srid).wkb), srid=srid)
