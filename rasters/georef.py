"""Where an image lies: sidecar files (world file, .aux.xml, .prj) and control points.

World files hold six numbers (pixel size x, rotation y, rotation x, pixel size y, x and y
of the centre of the upper-left pixel); anything else is refused. .aux.xml files are
parsed with lxml with entities and network off, and only GeoTransform, SRS and GCPList
are read. Control points (pixel col/row with 0,0 the upper-left corner of the image ↔ map
x/y) are fitted by least squares with an affine (order 1, at least 3 points) or a
second-order polynomial (at least 6 points); the residuals of every point and the RMS
are reported in map units and in pixels, and assessed in metres on the ground against
the graphic accuracy of the plan's scale (`assess`: the standard error of a point, and
outliers found by their studentised residuals).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from affine import Affine
from django.utils.translation import gettext as _
from lxml import etree
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from planning import crs as planning_crs
from planning.errors import InvalidInput
from rasters import plausibility

WORLD_FILE_SUFFIXES = (".tfw", ".tifw", ".jgw", ".jpgw", ".pgw", ".pngw", ".wld")
MAX_SIDECAR_BYTES = 1 << 20
MIN_POINTS = {1: 3, 2: 6}
# What a plan drawn at 1:N can show: 0.3 mm on the paper, 0.15 m on the ground at 1:500.
GRAPHIC_ACCURACY_M = 0.0003
# The chance, for correctly clicked points with normal errors, that any is named an
# outlier (rasters.georef.snooped_outliers; docs/rasters.md).
OUTLIER_RISK = 0.01
# An outlier must be off by more than the scale's tolerance, and by 1 cm without a scale.
OUTLIER_FLOOR_M = 0.01
# Points whose residuals correlate beyond this in I − H show an error at either alike:
# their studentised residuals are the same, so neither is named alone.
MOVE_TOGETHER = 0.99
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def world_file_transform(path: Path) -> Affine:
    """The pixel-corner transform of a world file, or InvalidInput naming the problem."""
    text = _small_text(path)
    lines = [line.strip().rstrip(",") for line in text.splitlines() if line.strip()]
    if len(lines) != 6:
        raise InvalidInput(
            _("The world file %(name)s must hold exactly 6 numbers, one per line.")
            % {"name": path.name}
        )
    try:
        a, d, b, e, c, f = (float(v) for v in lines)
    except ValueError as exc:
        raise InvalidInput(
            _("The world file %(name)s holds something that is not a number.") % {"name": path.name}
        ) from exc
    if not all(math.isfinite(v) for v in (a, b, c, d, e, f)):
        raise InvalidInput(
            _("The world file %(name)s holds infinite or NaN values.") % {"name": path.name}
        )
    if abs(a * e - b * d) < 1e-18:
        raise InvalidInput(
            _("The world file %(name)s describes no usable grid (zero determinant).")
            % {"name": path.name}
        )
    # The world file names the centre of the upper-left pixel; GDAL uses its corner.
    return Affine(a, b, c - a / 2 - b / 2, d, e, f - d / 2 - e / 2)


def _small_text(path: Path) -> str:
    if path.stat().st_size > MAX_SIDECAR_BYTES:
        raise InvalidInput(_("The sidecar file %(name)s is too large.") % {"name": path.name})
    try:
        return path.read_text(encoding="utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            _("The sidecar file %(name)s is not text.") % {"name": path.name}
        ) from exc


@dataclass(frozen=True)
class AuxInfo:
    transform: Affine | None
    crs_wkt: str | None
    gcps: list[tuple[float, float, float, float]]  # (col, row, x, y)


def aux_xml(path: Path) -> AuxInfo:
    """GeoTransform, SRS and GCPs of a GDAL .aux.xml (nothing else is read)."""
    text = _small_text(path)
    refused = InvalidInput(
        _("The sidecar file %(name)s declares a DTD or entities; they are not accepted.")
        % {"name": path.name}
    )
    try:
        root = etree.fromstring(text.encode("utf-8"), _PARSER)
    except etree.XMLSyntaxError as exc:
        if "<!DOCTYPE" in text:  # libxml2 stops some entity bombs as syntax errors
            raise refused from exc
        raise InvalidInput(
            _("The sidecar file %(name)s is not valid XML.") % {"name": path.name}
        ) from exc
    if root.getroottree().docinfo.internalDTD is not None:
        raise refused
    if root.tag != "PAMDataset":
        raise InvalidInput(
            _("The sidecar file %(name)s is not a GDAL .aux.xml.") % {"name": path.name}
        )
    transform = None
    element = root.find("GeoTransform")
    if element is not None:
        transform = _gdal_geotransform(element.text or "", path.name)
    srs = root.findtext("SRS") or root.findtext("GCPList/SRS")
    gcps = [
        (
            float(g.get("Pixel", "nan")),
            float(g.get("Line", "nan")),
            float(g.get("X", "nan")),
            float(g.get("Y", "nan")),
        )
        for g in root.iterfind("GCPList/GCP")
    ]
    if any(not all(math.isfinite(v) for v in g) for g in gcps):
        raise InvalidInput(
            _("The sidecar file %(name)s has a control point without numbers.")
            % {"name": path.name}
        )
    return AuxInfo(transform, srs.strip() if srs else None, gcps)


def _gdal_geotransform(text: str, name: str) -> Affine:
    try:
        values = [float(v) for v in text.replace(",", " ").split()]
    except ValueError:
        values = []
    if len(values) != 6 or not all(math.isfinite(v) for v in values):
        raise InvalidInput(_("The GeoTransform in %(name)s is not 6 numbers.") % {"name": name})
    transform = Affine.from_gdal(*values)
    if abs(transform.determinant) < 1e-18:
        raise InvalidInput(
            _("The GeoTransform in %(name)s describes no usable grid.") % {"name": name}
        )
    return transform


def parse_crs(text: str, source: str) -> CRS:
    """A CRS from user text (EPSG:N or N), a .prj or an .aux.xml SRS."""
    value = text.strip()
    if value.isdigit():
        value = f"EPSG:{value}"
    planning_crs.refuse_file_references(value)
    try:
        crs = CRS.from_user_input(value)
    except CRSError as exc:
        raise InvalidInput(
            _("The coordinate reference system in %(source)s is not understood.")
            % {"source": source}
        ) from exc
    planning_crs.refuse_grid_files(crs)
    plausibility.check_raster_crs(crs, source)
    return crs


# --- control points ---------------------------------------------------------------------


@dataclass(frozen=True)
class ControlPoint:
    col: float
    row: float
    x: float
    y: float


@dataclass(frozen=True)
class Fit:
    order: int
    coefficients_x: np.ndarray
    coefficients_y: np.ndarray
    residuals: list[tuple[float, float, float]]  # (dx, dy, distance) in map units
    rms: float
    pixel_size: float  # mean ground size of a pixel (map units)
    centre: tuple[float, float, float]  # col and row subtracted, then divided by the scale

    @property
    def rms_pixels(self) -> float:
        return self.rms / self.pixel_size if self.pixel_size else float("inf")

    def apply(self, col: np.ndarray, row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Map coordinates of pixel positions."""
        col0, row0, scale = self.centre
        design = _terms((col - col0) / scale, (row - row0) / scale, self.order)
        return design @ self.coefficients_x, design @ self.coefficients_y


def _terms(col: np.ndarray, row: np.ndarray, order: int) -> np.ndarray:
    ones = np.ones_like(col)
    if order == 1:
        return np.column_stack([ones, col, row])
    return np.column_stack([ones, col, row, col * col, col * row, row * row])


def check_points(points: list[ControlPoint], order: int) -> None:
    if order not in MIN_POINTS:
        raise InvalidInput(_("The transformation order must be 1 (affine) or 2 (polynomial)."))
    if len(points) < MIN_POINTS[order]:
        raise InvalidInput(
            _("An order %(order)d transformation needs at least %(count)d control points.")
            % {"order": order, "count": MIN_POINTS[order]}
        )
    values = [v for p in points for v in (p.col, p.row, p.x, p.y)]
    if not all(math.isfinite(v) for v in values):
        raise InvalidInput(_("Every control point needs four finite numbers."))


def check_spread(points: list[ControlPoint], order: int) -> None:
    """The points' pixel positions must determine a transformation of `order`."""
    design, _centre = _pixel_design(points, order)
    if np.linalg.matrix_rank(design) == design.shape[1]:
        return
    if order == 1:
        raise InvalidInput(
            _("The control points are degenerate (on one line or repeated); spread them out.")
        )
    # Six terms are undetermined when the points lie on one conic: a line, two lines, a
    # circle, a parabola… or when repeats leave fewer than six places.
    places = len({(p.col, p.row) for p in points})
    if places < MIN_POINTS[2]:
        raise InvalidInput(
            _(
                "A second-order fit needs control points at 6 or more different places on "
                "the image; these are at only %(count)d. Add points, or use affine."
            )
            % {"count": places}
        )
    raise InvalidInput(
        _(
            "These control points are not spread enough for a second-order fit: they lie "
            "along one curve or line (or two lines). Add points away from it, or use affine."
        )
    )


def _pixel_design(
    points: list[ControlPoint], order: int
) -> tuple[np.ndarray, tuple[float, float, float]]:
    """The design matrix of the points' pixel positions, centred and scaled (which keeps
    the normal equations well conditioned), and the centre and scale used."""
    col = np.array([p.col for p in points], dtype=float)
    row = np.array([p.row for p in points], dtype=float)
    scale = max(float(np.ptp(col)), float(np.ptp(row)), 1.0)
    centre = (float(col.mean()), float(row.mean()), scale)
    return _terms((col - centre[0]) / scale, (row - centre[1]) / scale, order), centre


def checked_points(
    points: list[ControlPoint],
    order: int,
    width: int,
    height: int,
    crs: CRS,
    output_crs: CRS | None = None,
    *,
    margin: float = 0.0,
) -> list[ControlPoint]:
    """The points moved into `output_crs` (default `crs`), refused first when they are not
    four finite numbers, lie off the image (`margin`: see check_pixels), are degenerate, or
    lie far from where their CRS or the output's is used."""
    check_points(points, order)
    check_pixels(points, width, height, margin=margin)
    check_spread(points, order)
    check_map_positions(points, crs)
    if output_crs is None or output_crs == crs:
        return points
    placed = moved(points, crs, output_crs)
    check_map_positions(placed, output_crs)
    return placed


def check_pixels(
    points: list[ControlPoint], width: int, height: int, *, margin: float = 0.0
) -> None:
    """Every point must lie on the image (its pixel corners included), or within `margin`
    times its width and height of it."""
    low_col, high_col = -margin * width, (1 + margin) * width
    low_row, high_row = -margin * height, (1 + margin) * height
    for point in points:
        if not (low_col <= point.col <= high_col and low_row <= point.row <= high_row):
            raise InvalidInput(
                _("Control point (%(col)g, %(row)g) lies outside the image.")
                % {"col": point.col, "row": point.row}
            )


def check_map_positions(points: list[ControlPoint], crs: CRS) -> None:
    """Every point's map x/y must lie where `crs` is used (rasters.plausibility)."""
    inside = plausibility.inside_mask(crs, [p.x for p in points], [p.y for p in points])
    for point, ok in zip(points, inside, strict=True):
        if not ok:
            raise InvalidInput(
                _(
                    "Control point (%(col)g, %(row)g) has map coordinates (%(x)g, %(y)g) "
                    "outside the area where %(crs)s is used; check them and their CRS."
                )
                % {
                    "col": point.col,
                    "row": point.row,
                    "x": point.x,
                    "y": point.y,
                    "crs": plausibility.label(crs),
                }
            )


def fit(points: list[ControlPoint], order: int) -> Fit:
    """Least-squares pixel → map transformation with its residuals."""
    check_points(points, order)
    check_spread(points, order)
    design, centre = _pixel_design(points, order)
    x = np.array([p.x for p in points], dtype=float)
    y = np.array([p.y for p in points], dtype=float)
    cx = np.linalg.lstsq(design, x, rcond=None)[0]
    cy = np.linalg.lstsq(design, y, rcond=None)[0]
    dx, dy = design @ cx - x, design @ cy - y
    distance = np.hypot(dx, dy)
    residuals = [(float(a), float(b), float(c)) for a, b, c in zip(dx, dy, distance, strict=True)]
    rms = float(np.sqrt(np.mean(distance**2)))
    # Ground size of a pixel from the linear terms (per unscaled pixel).
    scale = centre[2]
    det = abs(cx[1] * cy[2] - cx[2] * cy[1]) / (scale * scale)
    return Fit(order, cx, cy, residuals, rms, math.sqrt(det), centre)


def points_from_json(items: object) -> list[ControlPoint]:
    """Control points from API JSON: [{"col","row","x","y"}] or [[col,row,x,y], …]."""
    if not isinstance(items, list) or len(items) > 500:
        raise InvalidInput(_("control_points must be a list of at most 500 points."))
    points = []
    for item in items:
        try:
            if isinstance(item, dict):
                values = [float(item[k]) for k in ("col", "row", "x", "y")]
            else:
                values = [float(v) for v in item]  # type: ignore[union-attr]
            col, row, x, y = values
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(
                _("Every control point needs col, row, x and y as numbers.")
            ) from exc
        points.append(ControlPoint(col, row, x, y))
    return points


def _with_shift(crs: CRS) -> CRS:
    """VN-2000 CRSs with the official datum shift (planning.crs), others as they are."""
    epsg = crs.to_epsg(min_confidence=70)
    known = planning_crs.proj4_for(epsg) if epsg else None
    return CRS.from_user_input(known) if known else crs


def moved(points: list[ControlPoint], source: CRS, target: CRS) -> list[ControlPoint]:
    """Control points with their map coordinates moved from `source` to `target`."""
    if source == target:
        return points
    transformer = Transformer.from_crs(_with_shift(source), _with_shift(target), always_xy=True)
    xs, ys = transformer.transform([p.x for p in points], [p.y for p in points])
    return [
        ControlPoint(p.col, p.row, float(x), float(y))
        for p, x, y in zip(points, xs, ys, strict=True)
    ]


# --- accuracy ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Outlier:
    index: int  # in the order of the points
    offset_m: float  # from where the fit of the other points places it (the largest of
    # the group's with `together`)
    # other points whose residuals move with this one's (|ρ| > MOVE_TOGETHER): an error at
    # any of them shows the same way, so the wrong one cannot be told and none is named
    together: tuple[int, ...] = ()

    @property
    def suspects(self) -> tuple[int, ...]:
        """The points one of which is wrong (just `index` when it is named alone)."""
        return tuple(sorted((self.index, *self.together)))


@dataclass(frozen=True)
class Accuracy:
    """A fit's residuals in metres on the ground, judged against the plan's scale."""

    residuals_m: list[float]  # per point, in the order of the points
    rms_m: float
    # sqrt(Σd² / (n − m)): the residuals understate a point's error, the fit having used
    # m of the n points' worth of freedom (None with no point to spare)
    error_m: float | None
    redundancy: int  # points beyond the minimum the order needs: 0 = nothing to check
    tolerance_m: float | None  # GRAPHIC_ACCURACY_M at the plan's scale (None: no scale)
    # the points found far off the others, worst first; one with `together` names a group
    # of which one is wrong
    outliers: list[Outlier]

    @property
    def checkable(self) -> bool:
        return self.redundancy > 0

    @property
    def locatable(self) -> bool:
        """With one point to spare every standardised residual is the same: an error shows
        in the RMS but no point can be named."""
        return self.redundancy >= 2

    @property
    def exceeds_tolerance(self) -> bool:
        return (
            self.tolerance_m is not None
            and self.error_m is not None
            and self.error_m > self.tolerance_m
        )


def tolerance_m(scale: int | None) -> float | None:
    """What a plan at 1:`scale` can show on the ground (None without a scale)."""
    return GRAPHIC_ACCURACY_M * scale if scale else None


def assess(
    points: list[ControlPoint],
    residuals: list[tuple[float, float]],
    order: int,
    crs: CRS,
    scale: int | None,
) -> Accuracy:
    """Judge a fit from its points and their residuals (fitted minus given, map units of
    `crs`, the CRS the fit was made in)."""
    ground = ground_residuals(points, residuals, crs)
    distances = np.hypot(ground[:, 0], ground[:, 1])
    rms = float(np.sqrt(np.mean(distances**2))) if len(distances) else 0.0
    redundancy = len(points) - MIN_POINTS[order]
    error = math.sqrt(float(np.sum(distances**2)) / redundancy) if redundancy > 0 else None
    tolerance = tolerance_m(scale)
    # a point off by less than the scale can show (or than 1 cm without a scale: rounding
    # noise of exact points) is not worth naming, however clean the others are
    floor = max(tolerance or 0.0, OUTLIER_FLOOR_M)
    design, _centre = _pixel_design(points, order)
    outliers = snooped_outliers(design, ground, floor)
    return Accuracy([float(d) for d in distances], rms, error, redundancy, tolerance, outliers)


def snooped_outliers(design: np.ndarray, ground: np.ndarray, floor: float) -> list[Outlier]:
    """The points whose error the others show, one at a time (data snooping): the point
    with the largest studentised residual is named when the chance of so large a one among
    correctly clicked points is below OUTLIER_RISK and it lies more than `floor` metres
    from where the others place it; it is then left out and the rest tested again. A
    significant point within `floor` is left out unnamed: a point with a smaller ratio
    but a larger offset (more leverage) may still be wrong. Points whose residuals move
    together with it are named as a group and left out with it.

    `design` is the fit's design matrix (the same for x and y), `ground` the residuals
    as east/north metres (n × 2). Raw residuals would not do: least squares pulls the fit
    towards a point in proportion to its leverage h_ii, so a corner point hides its error
    and passes it on to correct points."""
    remaining = list(range(len(ground)))
    found: list[Outlier] = []
    while True:
        worst = _worst_point(design[remaining], ground[remaining], len(ground))
        if worst is None:
            return found
        suspects = [remaining[i] for i in (worst.index, *worst.together)]
        if worst.offset_m > floor:
            found.append(Outlier(suspects[0], worst.offset_m, tuple(suspects[1:])))
        remaining = [i for i in remaining if i not in suspects]


def _worst_point(design: np.ndarray, ground: np.ndarray, tested: int) -> Outlier | None:
    """The point of this subset with the largest studentised residual if it is significant
    (indices within the subset), None otherwise or with fewer than 2 points to spare."""
    basis, rank = _column_basis(design)
    redundancy = len(design) - rank
    if redundancy < 2:
        return None
    # the residuals of the fit of this subset: the full fit's, projected (e = (I − H) y)
    residuals = ground - basis @ (basis.T @ ground)
    free = 1.0 - np.sum(basis**2, axis=1)  # 1 − h_ii
    squared = np.sum(residuals**2, axis=1)
    testable = free > 1e-9  # a point the fit must pass through shows no error
    free = np.where(testable, free, 1.0)
    standardised_sq = np.where(testable, squared / free, 0.0)
    # without point i: Σd² loses d_i² / (1 − h_ii) and one point of freedom
    others = np.clip(squared.sum() - standardised_sq, 0.0, None) / (redundancy - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(others > 0, standardised_sq / others, np.inf)
    ratio = np.where(testable & (standardised_sq > 0), ratio, 0.0)
    i = int(np.argmax(ratio))
    # ratio ~ F(2, k) for normal errors, whose tail is (1 + 2f/k)^(−k/2); Bonferroni over
    # every point tested keeps the chance of naming any correct point below OUTLIER_RISK
    k = 2 * (redundancy - 1)
    chance = (1 + 2 * ratio[i] / k) ** (-k / 2) if math.isfinite(ratio[i]) else 0.0
    if ratio[i] == 0 or chance >= OUTLIER_RISK / tested:
        return None
    together = _moving_with(basis, free, testable, i)
    offsets = np.sqrt(squared) / free  # d_i / (1 − h_ii)
    return Outlier(i, float(offsets[[i, *together]].max()), together)


def _moving_with(
    basis: np.ndarray, free: np.ndarray, testable: np.ndarray, i: int
) -> tuple[int, ...]:
    """The other testable points whose residuals correlate with point i's beyond
    MOVE_TOGETHER: ρ_ij = M_ij / sqrt(M_ii M_jj), M = I − H. At |ρ| = 1 (affine on a
    sheet's 4 corners and the middle of one side: the 2 corners of the opposite side) an
    error at either gives both the same studentised residual, and argmax would just pick
    the lower number."""
    correlation = -(basis @ basis[i]) / np.sqrt(free * free[i])  # off the diagonal of M
    close = testable & (np.abs(correlation) > MOVE_TOGETHER)
    close[i] = False
    return tuple(int(j) for j in np.flatnonzero(close))


def _column_basis(design: np.ndarray) -> tuple[np.ndarray, int]:
    """An orthonormal basis of the design's columns and its rank: leaving points out may
    leave fewer independent columns (H = U Uᵀ either way)."""
    u, singular, _vt = np.linalg.svd(design, full_matrices=False)
    rank = int(np.sum(singular > singular[0] * 1e-10)) if len(singular) else 0
    return u[:, :rank], rank


def ground_residuals(
    points: list[ControlPoint], residuals: list[tuple[float, float]], crs: CRS
) -> np.ndarray:
    """Each residual as east/north metres on the ground (n × 2), from its geodesic length
    and azimuth: map units are not metres on the ground (web mercator is 4 % long in Viet
    Nam, a geographic CRS counts degrees, and not the same along both axes)."""
    xs = np.array([p.x for p in points], dtype=float)
    ys = np.array([p.y for p in points], dtype=float)
    dx = np.array([r[0] for r in residuals], dtype=float)
    dy = np.array([r[1] for r in residuals], dtype=float)
    geod = crs.get_geod()
    geodetic = crs.geodetic_crs
    if geod is None or geodetic is None:  # no ellipsoid to measure on: trust the units
        factor = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
        return np.column_stack([dx, dy]) * factor
    to_lonlat = Transformer.from_crs(crs, geodetic, always_xy=True)
    lon, lat = to_lonlat.transform(xs, ys)
    fitted_lon, fitted_lat = to_lonlat.transform(xs + dx, ys + dy)
    azimuth, _back, distance = geod.inv(lon, lat, fitted_lon, fitted_lat)
    distance = np.abs(np.asarray(distance, dtype=float))
    azimuth = np.radians(np.asarray(azimuth, dtype=float))
    return np.column_stack([distance * np.sin(azimuth), distance * np.cos(azimuth)])
