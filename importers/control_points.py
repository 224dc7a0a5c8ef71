"""The two-point fix for data in local coordinates: CAD drawings and the MapInfo/shapefile
exports of such drawings (importers.cad.convert, importers.cad.preview,
importers.gis_mapping, importers.jobs).

Two control points [x_local, y_local, x_true, y_true] give a similarity transform
(translation, rotation, uniform scale). Points that cannot be right (an absurd scale, true
coordinates outside Viet Nam per planning.extent) are refused with a 400 before anything
is moved: a typo would otherwise place the data where no map can transform it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable

import numpy as np
from django.utils.translation import gettext as _
from pyproj import CRS

from importers import crs as import_crs
from planning import extent
from planning.errors import InvalidInput
from planning.numbers import localized

SCALE_WARNING = 0.01  # |scale - 1| beyond which a two-point fix is worth a warning
# The scale two control points may imply: millimetre drawings (0.001) and kilometre ones
# (1000) with room to spare; beyond, a point was mistyped.
CONTROL_SCALE = (1e-4, 1e4)
DEGREE_M = 111_320.0  # metres in a degree, for control points in a geographic CRS


def parse_control_points(value) -> list[list[float]] | None:
    """[[x_cad, y_cad, x_true, y_true], [...]] (two points) from JSON text or a list."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise InvalidInput(
                _("The control points are not valid JSON: %(e)s") % {"e": exc}
            ) from exc
    try:
        points = [[float(v) for v in point] for point in value]
    except (TypeError, ValueError) as exc:
        raise InvalidInput(_("Control points must be numbers.")) from exc
    if len(points) != 2 or any(len(p) != 4 for p in points):
        raise InvalidInput(
            _("Give exactly two control points, each [x_cad, y_cad, x_true, y_true].")
        )
    if not np.all(np.isfinite(points)):
        raise InvalidInput(_("Control points must be finite numbers."))
    if (
        math.dist(points[0][:2], points[1][:2]) < 1e-9
        or math.dist(points[0][2:], points[1][2:]) < 1e-9
    ):
        raise InvalidInput(_("The two control points must be distinct."))
    return points


def similarity_transform(points: list[list[float]]) -> tuple[Callable, dict]:
    """Translation + rotation + uniform scale mapping the two CAD points onto the true ones,
    as a coordinate function for shapely.transform (any z column passes through) and a
    description for the report."""
    cad = [complex(p[0], p[1]) for p in points]
    true = [complex(p[2], p[3]) for p in points]
    factor = (true[1] - true[0]) / (cad[1] - cad[0])
    shift = true[0] - factor * cad[0]
    a, b = factor.real, factor.imag

    def apply(coords: np.ndarray) -> np.ndarray:
        # A 2D fix moves x and y only: z (3D faces, building heights) is kept as drawn.
        x, y = coords[:, 0], coords[:, 1]
        moved = [a * x - b * y + shift.real, b * x + a * y + shift.imag]
        return np.column_stack([*moved, coords[:, 2:]])

    info = {
        "type": "similarity",
        "control_points": points,
        "scale": abs(factor),
        "rotation_deg": math.degrees(math.atan2(b, a)),
        "translation": [shift.real, shift.imag],
    }
    return apply, info


def turn_of(move: Callable) -> float:
    """Degrees counter-clockwise by which a move (the two-point fix, a GEODATA placement:
    both linear) turns the drawing's x axis, which a text's direction turns with."""
    ends = move(np.array([[0.0, 0.0], [1.0, 0.0]]))
    return math.degrees(math.atan2(ends[1, 1] - ends[0, 1], ends[1, 0] - ends[0, 0]))


def scale_warning(info: dict) -> str | None:
    if abs(info["scale"] - 1) <= SCALE_WARNING:
        return None
    return _(
        "The two control points imply a scale of %(scale)s, far from 1: check the points "
        "and the drawing units (millimetres?)."
    ) % {"scale": localized(info["scale"], 5)}  # as the CAD page writes it (cad.js)


def control_transform(
    points, crs: CRS, crs_label: str, warnings: list[str]
) -> tuple[Callable, dict]:
    """The two-point fix as a coordinate function and its description, refused (before any
    work) when its scale is absurd or its true points lie outside Viet Nam: a typo in a
    control point would otherwise place the drawing where no map can transform it."""
    transform, info = similarity_transform(points)
    metres = info["scale"] * (DEGREE_M if crs.is_geographic else 1.0)
    low, high = CONTROL_SCALE
    if not low <= metres <= high:
        raise InvalidInput(
            _(
                "The two control points imply a scale of %(scale).3g metres per drawing unit "
                "(from %(low)g to %(high)g expected): check the points for a typo."
            )
            % {"scale": metres, "low": low, "high": high}
        )
    true_x, true_y = [p[2] for p in points], [p[3] for p in points]
    if not extent.points_inside(crs, true_x, true_y):
        raise InvalidInput(
            _(
                "The control points' true coordinates (%(points)s) lie outside Viet Nam in "
                "%(crs)s: check them for a typo and check the coordinate system."
            )
            % {
                "points": "; ".join(
                    f"{x:.3f}, {y:.3f}" for x, y in zip(true_x, true_y, strict=True)
                ),
                "crs": crs_label,
            }
        )
    warning = scale_warning(info)
    if warning:
        warnings.append(warning)
    return transform, info


def check_control_points(points, crs: str | None) -> None:
    """At a job's start: the control points against the CRS given (normalised text). Without
    one the data's own CRS is known only once the file is read; the import checks then."""
    if points and crs:
        control_transform(points, import_crs.parse_user_crs(crs), crs, [])
