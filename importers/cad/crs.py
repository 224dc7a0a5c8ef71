"""The CRS of a drawing: the user's, the GEODATA object's, or the storage CRS (warned),
and a plausibility check, since drawings often arrive shifted or in local coordinates.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from django.conf import settings
from django.utils.translation import gettext as _
from ezdxf.document import Drawing
from ezdxf.lldxf.const import DXFError
from pyproj import CRS, Transformer
from pyproj.exceptions import ProjError

from importers import crs as import_crs
from importers.cad.provinces import preset_for
from planning import crs as planning_crs
from planning.errors import InvalidInput
from planning.extent import VIETNAM_LONLAT  # where VN-2000 coordinates can plausibly lie
from planning.numbers import localized

ZONE_HALF_WIDTH = 3.0  # degrees from a TM-3 central meridian still plausible
# Where a drawing in a provincial TM-3 zone can lie: the mainland and its coastal islands
# (Côn Đảo 8.7° N, Hòn Khoai 8.4° N) with a margin. VIETNAM_LONLAT reaches 6° N for Trường
# Sa, which lies more than ZONE_HALF_WIDTH from every provincial meridian; a TM-3 drawing
# at 7.4° N is in the sea, its northing mistyped by a digit.
TM3_LONLAT = (101.5, 8.0, 110.0, 24.0)
FAR_FROM_PROJECT_KM = 10.0  # a drawing landing further from its project is suspect
# Two provincial TM-3 meridians differ by 15′ to 1°15′: the same coordinates read in the
# wrong one land up to about 140 km away. Further, the zone does not explain the gap.
WRONG_ZONE_KM = 150.0


def resolve_crs(doc: Drawing, given: str | None, report) -> tuple[CRS, Callable | None]:
    """The CRS and, for GEODATA, the drawing → CRS coordinate transformation."""
    given = normalise_crs(given)
    if given:
        report.source_crs, report.crs_source = (
            import_crs.describe(import_crs.parse_user_crs(given), given),
            "user",
        )
        return import_crs.parse_user_crs(given), None
    geodata = _geodata(doc)
    if geodata is not None:
        matrix, epsg = geodata
        report.source_crs, report.crs_source = f"EPSG:{epsg}", "GEODATA"
        return import_crs.parse_user_crs(str(epsg)), _affine(matrix)
    srid = settings.PLANNING_STORAGE_SRID
    report.source_crs, report.crs_source = f"EPSG:{srid}", "default"
    # Said for every front end (page, API, command): each names its own way to choose.
    report.warnings.append(
        _(
            "The drawing declares no coordinate system; EPSG:%(srid)d was assumed. Choose "
            "the coordinate system if the drawing uses another one."
        )
        % {"srid": srid}
    )
    return import_crs.storage_crs(), None


def _geodata(doc: Drawing):
    try:
        geodata = doc.modelspace().get_geodata()
        if geodata is None:
            return None
        return geodata.get_crs_transformation(no_checks=False)
    except (DXFError, ValueError, KeyError, IndexError, AttributeError):
        return None


def _affine(matrix) -> Callable:
    values = np.array(list(matrix), dtype=float).reshape(4, 4)

    def apply(coords: np.ndarray) -> np.ndarray:
        x, y = coords[:, 0], coords[:, 1]
        return np.column_stack(
            [
                x * values[0, 0] + y * values[1, 0] + values[3, 0],
                x * values[0, 1] + y * values[1, 1] + values[3, 1],
                coords[:, 2:],  # z as drawn: GEODATA places the drawing on the map plane
            ]
        )

    return apply


def plausibility_warning(crs: CRS, bounds) -> str | None:
    """A warning when the drawing's extent lies outside where the CRS is meant to be used
    here: a VN-2000 TM-3 zone near its meridian on the mainland, any other CRS in Viet Nam
    (a geographic CRS given to metres puts the drawing off the globe)."""
    zone = _zone_of(crs)
    srid = zone.srid if zone is not None else crs.to_epsg(min_confidence=70)
    if srid is None or not np.all(np.isfinite(bounds)):
        return None
    xs, ys = _corners_lonlat(crs, bounds)
    west, south, east, north = TM3_LONLAT if zone is not None else VIETNAM_LONLAT
    inside = all(west <= x <= east for x in xs) and all(south <= y <= north for y in ys)
    near = zone is None or all(abs(x - zone.central_meridian) <= ZONE_HALF_WIDTH for x in xs)
    if inside and near:
        return None
    return _(
        "The drawing's coordinates (E %(east)s, N %(north)s) lie outside "
        "the plausible extent of EPSG:%(srid)d: the drawing may be in local or shifted "
        "coordinates, or in another zone."
    ) % {
        "east": coordinate_range(bounds[0], bounds[2]),
        "north": coordinate_range(bounds[1], bounds[3]),
        "srid": srid,
    }


def _corners_lonlat(crs: CRS, bounds) -> tuple[list[float], list[float]]:
    """The box's corners in lon/lat; NaN where PROJ cannot place them (judged outside)."""
    to_geo = Transformer.from_crs(crs, CRS.from_epsg(4326), always_xy=True)
    corners_x = [bounds[0], bounds[2], bounds[0], bounds[2]]
    corners_y = [bounds[1], bounds[1], bounds[3], bounds[3]]
    try:
        xs, ys = to_geo.transform(corners_x, corners_y, errcheck=False)
    except ProjError:
        return [math.nan], [math.nan]
    return list(xs), list(ys)


def coordinate_range(low: float, high: float) -> str:
    """A range such as −3234 – −3109: a true minus sign and a spaced dash, so a negative
    bound does not read as part of the dash (as in -3234–-3109)."""

    def number(value: float) -> str:
        text = f"{value:.0f}"
        return "0" if text == "-0" else text.replace("-", "\u2212")  # QA walk: "N −0 – 54"

    return f"{number(low)} \u2013 {number(high)}"


def far_from_project_warning(drawing: tuple, project: tuple) -> str | None:
    """A warning when the drawing lands far from its project's boundary or other layers
    (both lon/lat boxes: west, south, east, north). A drawing read in a neighbouring TM-3
    zone keeps plausible coordinates but lands tens of kilometres away; only the project's
    own whereabouts tell. Further than any zone moves it, other causes are named."""
    gap = _gap_km(drawing, project)
    if gap <= FAR_FROM_PROJECT_KM:
        return None
    if gap <= WRONG_ZONE_KM:
        return _(
            "The drawing lands %(km).0f km from the project's boundary and other layers: "
            "check the coordinate system (a neighbouring TM-3 zone moves a drawing by tens "
            "of kilometres)."
        ) % {"km": gap}
    # Also shown by the plain upload page, which has no control points: name the CAD page.
    return _(
        "The drawing lands %(km)s km from the project's boundary and other layers: check "
        "the coordinate system and the file's origin (a drawing in local coordinates is "
        "placed with two known points on the CAD import page)."
    ) % {"km": localized(gap, 0)}


def _gap_km(a: tuple, b: tuple) -> float:
    """Distance between two lon/lat boxes (0 when they overlap), in kilometres."""
    dx = max(0.0, a[0] - b[2], b[0] - a[2])
    dy = max(0.0, a[1] - b[3], b[1] - a[3])
    latitude = math.radians((a[1] + a[3] + b[1] + b[3]) / 4)
    return math.hypot(dx * 111.32 * math.cos(latitude), dy * 110.57)


def _zone_of(crs: CRS):
    epsg = crs.to_epsg(min_confidence=70)
    for zone in planning_crs.vn2000_projected():
        if epsg == zone.srid or crs == CRS.from_user_input(zone.proj4):
            return zone
    return None


def normalise_crs(given: str | None) -> str | None:
    """The user's CRS text with `province:<slug>` replaced by the province's EPSG code."""
    if not given or not given.strip():
        return None
    value = given.strip()
    if value.lower().startswith("province:"):
        preset = preset_for(value.split(":", 1)[1])
        if preset is None:
            raise InvalidInput(
                _("Unknown province %(province)s; see /api/cad/crs-presets/.")
                % {"province": repr(value.split(":", 1)[1])}
            )
        return f"EPSG:{preset.srid}"
    import_crs.parse_user_crs(value)  # refuses unknown codes before any work
    return value
