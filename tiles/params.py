"""Shared OGC request parameters, parsed once into typed values.

WFS, OGC API Features, vector tiles and the WMS extensions all read bbox, CRS, datetime
and limits through these functions, so a malformed value gets the same clear error
everywhere (planning.errors carry HTTP status and OGC exception code).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from django.utils.dateparse import parse_date, parse_datetime

from planning.crs import offered_srids
from planning.errors import InvalidInput
from planning.extent import check_lonlat_box, check_projected_box

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
_CRS_PATTERNS = (
    re.compile(r"^EPSG:(\d{4,6})$", re.I),
    re.compile(r"^urn:ogc:def:crs:EPSG:[\d.]*:(\d{4,6})$", re.I),
    # WFS 1.1's own form (urn:x-ogc:def:crs:EPSG:4326), with or without a version
    re.compile(r"^urn:x-ogc:def:crs:EPSG:(?:[\d.]*:)?(\d{4,6})$", re.I),
    re.compile(r"^https?://www\.opengis\.net/def/crs/EPSG/[\d.]+/(\d{4,6})$", re.I),
    re.compile(r"^https?://www\.opengis\.net/gml/srs/epsg\.xml#(\d{4,6})$", re.I),
)
_CRS84_NAMES = {CRS84.lower(), "urn:ogc:def:crs:ogc:1.3:crs84", "crs:84", "ogc:crs84"}


@dataclass(frozen=True)
class Crs:
    """A CRS the services offer. `lon_lat_order` is False where the authority's axis order
    (EPSG:4326, 4756 in URN/URI form and WMS 1.3.0) is latitude first."""

    srid: int
    lon_lat_order: bool = True

    def uri(self) -> str:
        if self.srid == 4326 and self.lon_lat_order:
            return CRS84
        return f"http://www.opengis.net/def/crs/EPSG/0/{self.srid}"

    def urn(self) -> str:
        return f"urn:ogc:def:crs:EPSG::{self.srid}"


GEOGRAPHIC_SRIDS = {4326, 4756}


def parse_crs(text: str | None, *, default: Crs | None = None, legacy_axis_order=False) -> Crs:
    """An offered CRS from EPSG:n, URN, URI or CRS84 notation.

    `legacy_axis_order`: "EPSG:4326" in WFS 1.1/2.0 is read lon/lat by most clients and
    servers (GDAL, QGIS, GeoServer) only in that short form, in SRSNAME, BBOX and filter
    geometries alike; URN and URI forms follow the EPSG order.
    """
    if not text:
        if default is None:
            raise InvalidInput("A CRS is required.")
        return default
    value = text.strip()
    if value.lower() in _CRS84_NAMES:
        return Crs(4326, lon_lat_order=True)
    for index, pattern in enumerate(_CRS_PATTERNS):
        match = pattern.match(value)
        if match:
            srid = int(match.group(1))
            if srid not in offered_srids():
                raise InvalidInput(f"CRS EPSG:{srid} is not offered by this server.")
            short_form = index == 0
            lat_first = srid in GEOGRAPHIC_SRIDS and not (short_form and legacy_axis_order)
            return Crs(srid, lon_lat_order=not lat_first)
    raise InvalidInput("Unknown CRS identifier.")


@dataclass(frozen=True)
class BBox:
    minx: float
    miny: float
    maxx: float
    maxy: float
    crs: Crs

    def lon_lat(self) -> tuple[float, float, float, float]:
        """Corners in x/y (east/north) order whatever the CRS axis order."""
        if self.crs.lon_lat_order:
            return self.minx, self.miny, self.maxx, self.maxy
        return self.miny, self.minx, self.maxy, self.maxx


def parse_bbox(
    text: str | None, *, default_crs: Crs, allow_crs_suffix: bool = True, legacy_axis_order=False
) -> BBox | None:
    """minx,miny,maxx,maxy[,crs] (WFS) or four/six numbers (OGC API, 6 = 3D: z ignored),
    in the range of its CRS. `legacy_axis_order`: the suffix as parse_crs reads it (WFS
    reads "EPSG:4326" alike in SRSNAME, BBOX and filters)."""
    if not text:
        return None
    parts = [p.strip() for p in text.split(",")]
    crs = default_crs
    if allow_crs_suffix and len(parts) == 5:
        crs = parse_crs(parts.pop(), legacy_axis_order=legacy_axis_order)
    if len(parts) == 6:
        parts = [parts[0], parts[1], parts[3], parts[4]]
    if len(parts) != 4:
        raise InvalidInput("bbox must have four numbers: minx,miny,maxx,maxy.")
    try:
        values = [float(p) for p in parts]
    except ValueError as exc:
        raise InvalidInput("bbox must have four numbers: minx,miny,maxx,maxy.") from exc
    if not all(math.isfinite(v) for v in values):
        raise InvalidInput("bbox values must be finite numbers.")
    minx, miny, maxx, maxy = values
    if minx > maxx or miny > maxy:
        raise InvalidInput("bbox minimum exceeds its maximum.")
    box = BBox(minx, miny, maxx, maxy, crs)
    _check_range(box)
    return box


def _check_range(box: BBox) -> None:
    """Coordinates the CRS can hold (else PostGIS fails transforming them, a 500): lon/lat
    on the globe in the CRS's own axis order, projected corners that map to the Earth."""
    if box.crs.srid in GEOGRAPHIC_SRIDS:
        check_lonlat_box(box.lon_lat(), latitude_first=not box.crs.lon_lat_order)
    else:
        check_projected_box(box.lon_lat(), box.crs.srid)


def parse_limit(text: str | None, *, default: int, maximum: int, name: str = "limit") -> int:
    if text in (None, ""):
        return default
    try:
        value = int(text)  # type: ignore[arg-type]
    except ValueError as exc:
        raise InvalidInput(f"{name} must be a whole number.") from exc
    if value < 1:
        raise InvalidInput(f"{name} must be at least 1.")
    return min(value, maximum)


def parse_offset(text: str | None, name: str = "startIndex") -> int:
    if text in (None, ""):
        return 0
    try:
        value = int(text)  # type: ignore[arg-type]
    except ValueError as exc:
        raise InvalidInput(f"{name} must be a whole number.") from exc
    if not 0 <= value <= 10**9:
        raise InvalidInput(f"{name} is out of range.")
    return value


def _instant(text: str, *, end: bool) -> datetime | None:
    if text in ("", ".."):
        return None
    moment = parse_datetime(text)
    if moment is None:
        day = parse_date(text)
        if day is None:
            raise InvalidInput("datetime must be RFC 3339 (2024-05-01 or 2024-05-01T00:00:00Z).")
        moment = datetime.combine(day, time.max if end else time.min)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Interval:
    start: datetime | None
    end: datetime | None

    @property
    def instant(self) -> datetime | None:
        return self.end if self.start == self.end else None


def parse_datetime_param(text: str | None) -> Interval | None:
    """An instant or an interval (start/end, either side open with '..')."""
    if not text:
        return None
    try:
        if "/" in text:
            start_text, end_text = text.split("/", 1)
            interval = Interval(_instant(start_text, end=False), _instant(end_text, end=True))
            if interval.start and interval.end and interval.start > interval.end:
                raise InvalidInput("datetime interval starts after it ends.")
            return interval
        moment = _instant(text, end=False)
    except ValueError as exc:  # parse_datetime raises on well-formed but impossible dates
        raise InvalidInput("datetime is not a valid date or time.") from exc
    if moment is None:
        raise InvalidInput("datetime must not be '..' alone.")
    if len(text) == 10:  # a day: in force at the end of that day
        moment = datetime.combine(moment.date(), time.max, tzinfo=moment.tzinfo)
    return Interval(moment, moment)


def parse_instant_param(text: str | None, message: str) -> datetime | None:
    """`datetime` that must be one instant (a day: its end); None when absent. `message`
    is the error for an interval."""
    interval = parse_datetime_param(text)
    if interval is None:
        return None
    if interval.instant is None:
        raise InvalidInput(message)
    return interval.instant


def as_date(moment: datetime) -> date:
    return moment.date()
