"""The accuracy of a placement by control points: residuals in metres on the ground, the
standard error of a point against what the plan's scale can show (0.3 mm at 1:500 =
0.15 m), outliers named by their studentised residuals, and a fit with no point to spare
said to be uncheckable (QA walk: none of it was shown; statistical review: the RMS is
biased low with few points, and raw residuals name correct points).

Expected values are computed here on their own: an unscaled least-squares fit with numpy
(a point's offset from the fit of the others by leaving it out), GDAL's own GCP transformer
(the one the warp uses), and geodesic lengths with pyproj.
"""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine
from django.test import Client
from pyproj import CRS, Geod, Transformer
from rasterio.control import GroundControlPoint
from rasterio.transform import GCPTransformer
from rest_framework.test import APIClient

from planning.crs import proj4_for
from planning.models import Project
from rasters import georef, georeferencing
from rasters.models import RasterLayer
from tests.conftest import HUE_X, HUE_Y
from tests.rasters.conftest import SCAN_SIZE, unplaced_scan

WIDTH, HEIGHT = SCAN_SIZE
# Pixel corner (col, row) → EPSG:9214, 0.5 m pixels, slightly rotated.
TRUE = Affine(0.498, 0.03, HUE_X - 50, 0.03, -0.498, HUE_Y + 150)
PIXELS = [(20, 15), (380, 25), (200, 150), (30, 280), (370, 285), (120, 80), (290, 210), (60, 160)]
TO_LONLAT = Transformer.from_crs(proj4_for(9214), "EPSG:4326", always_xy=True)
GEOD = Geod(ellps="WGS84")  # VN-2000's ellipsoid is WGS84's


@pytest.fixture
def client(planner) -> APIClient:
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(planner)
    return api


@pytest.fixture
def raw_scan(tmp_path, draft_plan, client) -> RasterLayer:
    return unplaced_scan(client, draft_plan, tmp_path, name="Bản đồ 1998", kind="scan")


def _points(pixels, noise: float = 0.0, seed: int = 5) -> list[list[float]]:
    rng = np.random.default_rng(seed)
    points = []
    for col, row in pixels:
        x, y = TRUE @ (col, row)
        points.append([col, row, x + rng.normal(0, noise), y + rng.normal(0, noise)])
    return points


def _place(client, raster, points, order: int = 1) -> dict:
    response = client.post(
        f"/api/rasters/{raster.pk}/georeference/",
        {"control_points": points, "order": order, "crs": "EPSG:9214"},
        format="json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def _affine_ground_residuals(points) -> np.ndarray:
    """Residuals of a plain least-squares affine fit, as geodesic lengths in metres."""
    return _ground_residuals(points, 1)


def _design(points, order: int) -> np.ndarray:
    cols, rows = (np.array([p[i] for p in points], dtype=float) for i in (0, 1))
    terms = [np.ones_like(cols), cols, rows]
    if order == 2:
        terms += [cols * cols, cols * rows, rows * rows]
    return np.column_stack(terms)


def _coefficients(points, order: int):
    design = _design(points, order)
    xs, ys = (np.array([p[i] for p in points], dtype=float) for i in (2, 3))
    return np.linalg.lstsq(design, xs, rcond=None)[0], np.linalg.lstsq(design, ys, rcond=None)[0]


def _ground_residuals(points, order: int) -> np.ndarray:
    """Residuals of a plain least-squares fit of `order`, as geodesic lengths in metres."""
    cx, cy = _coefficients(points, order)
    design = _design(points, order)
    xs, ys = (np.array([p[i] for p in points], dtype=float) for i in (2, 3))
    return _ground(xs, ys, design @ cx, design @ cy)


def _left_out(points, index: int, order: int) -> tuple[float, float]:
    """How far point `index` lies from where the fit of the others places it, and the
    others' standard error of a point (their Σd² over their points to spare), metres."""
    others = [p for i, p in enumerate(points) if i != index]
    cx, cy = _coefficients(others, order)
    design = _design(points, order)  # all points: pyproj's one-point path warns
    xs, ys = (np.array([p[i] for p in points], dtype=float) for i in (2, 3))
    offset = _ground(xs, ys, design @ cx, design @ cy)[index]
    spare = len(others) - (3 if order == 1 else 6)
    return float(offset), float(np.sqrt(np.sum(_ground_residuals(others, order) ** 2) / spare))


def _ground(xs, ys, fitted_x, fitted_y) -> np.ndarray:
    lon, lat = TO_LONLAT.transform(xs, ys)
    fitted_lon, fitted_lat = TO_LONLAT.transform(fitted_x, fitted_y)
    return np.array(GEOD.inv(lon, lat, fitted_lon, fitted_lat)[2])


def _named(warnings: list[str]) -> list[str]:
    return [w for w in warnings if w.startswith("Point ")]


def test_a_moved_point_has_the_largest_residual_and_is_named(client, raw_scan):
    points = _points(PIXELS, noise=0.02)
    points[2][2] += 2.0  # point 3, in the middle, clicked 2.5 m off
    points[2][3] -= 1.5
    expected = _affine_ground_residuals(points)
    data = _place(client, raw_scan, points)

    residuals = [p["residual_m"] for p in data["control_points"]]
    assert residuals == pytest.approx(expected, abs=1e-4)
    assert int(np.argmax(residuals)) == 2
    accuracy = data["accuracy"]
    assert accuracy["rms_m"] == pytest.approx(np.sqrt(np.mean(expected**2)), abs=1e-4)
    assert accuracy["error_m"] == pytest.approx(np.sqrt(np.sum(expected**2) / 5), abs=1e-4)
    assert accuracy["scale"] == 500
    assert accuracy["tolerance_m"] == pytest.approx(0.15)
    assert accuracy["checkable"]
    assert accuracy["locatable"]
    assert accuracy["redundancy"] == len(PIXELS) - 3
    assert accuracy["outliers"] == [3]
    assert [p["outlier"] for p in data["control_points"]] == [i == 2 for i in range(8)]
    offset, _others = _left_out(points, 2, 1)
    assert offset == pytest.approx(2.5, abs=0.1)
    # no "standard error" to compare with: for a point of high leverage the offset's
    # yardstick is larger than the others' standard error, σ̂ / sqrt(1 − h)
    assert _named(accuracy["warnings"]) == [
        f"Point 3 is {offset:.2f} m from where the other points place it, more than their "
        "accuracy explains: check where it was clicked."
    ]
    assert accuracy["outlier_groups"] == []


def test_a_corner_point_moved_is_named_though_the_fit_pulls_towards_it(client, raw_scan):
    """Least squares pulls the fit most towards a point of high leverage: moved 2.5 m, the
    corner point keeps about half of it as residual, hardly above the others'."""
    points = _points(PIXELS, noise=0.02, seed=3)
    points[0][2] -= 1.5
    points[0][3] += 2.0
    accuracy = _place(client, raw_scan, points)["accuracy"]
    offset, _others = _left_out(points, 0, 1)
    assert accuracy["outliers"] == [1]
    assert offset == pytest.approx(2.5, abs=0.1)
    assert (
        f"Point 1 is {offset:.2f} m from where the other points place it"
        in (_named(accuracy["warnings"])[0])
    )


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_one_bad_point_of_ten_in_a_second_order_fit_alone_is_named(client, raw_scan, seed):
    """Raw residuals named correct points in many layouts of few order-2 points, where
    leverage decides which residual is largest (statistical review: 71/300)."""
    rng = np.random.default_rng(seed)
    pixels = list(
        zip(rng.uniform(10, WIDTH - 10, 10), rng.uniform(10, HEIGHT - 10, 10), strict=True)
    )
    points = _points(pixels, noise=0.02, seed=seed)
    bad = int(rng.integers(10))
    angle = rng.uniform(0, 2 * np.pi)
    points[bad][2] += 2.5 * np.cos(angle)
    points[bad][3] += 2.5 * np.sin(angle)
    accuracy = _place(client, raw_scan, points, order=2)["accuracy"]
    assert accuracy["outliers"] == [bad + 1]
    assert len(_named(accuracy["warnings"])) == 1


def test_with_one_point_to_spare_an_error_is_not_located(client, raw_scan):
    """7 order-2 points: one redundant observation per axis, so every standardised residual
    is the same and the point with the largest raw residual is a matter of leverage."""
    points = _points(PIXELS[:7], noise=0.02)
    points[2][2] += 2.5
    accuracy = _place(client, raw_scan, points, order=2)["accuracy"]
    assert accuracy["redundancy"] == 1
    assert not accuracy["locatable"]
    assert accuracy["exceeds_tolerance"]
    assert accuracy["outliers"] == []
    assert _named(accuracy["warnings"]) == []
    assert any("cannot be located" in w for w in accuracy["warnings"])


def test_four_affine_points_are_judged_by_a_points_standard_error_not_the_rms(client, raw_scan):
    """With 4 points, 3 of which the affine fit needs, the RMS is about half a point's error:
    0.2 m of noise at 1:500 (0.15 m) gave no warning in most layouts (review: 262/400)."""
    points = _points(PIXELS[:4], noise=0.14, seed=4)
    expected = _affine_ground_residuals(points)
    rms = float(np.sqrt(np.mean(expected**2)))
    error = float(np.sqrt(np.sum(expected**2) / (4 - 3)))
    assert rms < 0.15 < error
    accuracy = _place(client, raw_scan, points)["accuracy"]
    assert accuracy["rms_m"] == pytest.approx(rms, abs=1e-4)
    assert accuracy["error_m"] == pytest.approx(error, abs=1e-4)
    assert accuracy["exceeds_tolerance"]
    assert accuracy["warnings"][0] == (
        f"The standard error of a point, {error:.2f} m on the ground (the RMS of the "
        f"residuals, {rms:.2f} m, corrected for the points the fit needs), is more than the "
        "0.15 m a 1:500 plan can show (0.3 mm at its scale); check the control points."
    )
    # one point to spare: the error shows, but no point can be blamed
    assert not accuracy["locatable"]
    assert "cannot be located" in accuracy["warnings"][1]


def test_without_a_scale_rounding_noise_is_no_outlier(client, raw_scan):
    """A project without a usable scale (only possible through the ORM) named points whose
    1e-9 m residuals were 3 times the median; a point off by 5 mm is not worth naming, one
    off by 5 cm is."""
    Project.objects.filter(pk=raw_scan.revision.project_id).update(scale=0)
    exact = _place(client, raw_scan, _points(PIXELS))["accuracy"]
    assert exact["tolerance_m"] is None
    assert exact["outliers"] == []
    for moved, named in [(0.005, []), (0.05, [4])]:
        points = _points(PIXELS)
        points[3][2] += moved
        accuracy = _place(client, raw_scan, points)["accuracy"]
        assert accuracy["outliers"] == named


@pytest.mark.parametrize(("scale", "warned"), [(500, True), (2000, False)])
def test_the_error_is_warned_about_above_the_scale_tolerance_only(client, raw_scan, scale, warned):
    Project.objects.filter(pk=raw_scan.revision.project_id).update(scale=scale)
    points = _points(PIXELS, noise=0.3, seed=11)
    residuals = _affine_ground_residuals(points)
    rms = float(np.sqrt(np.mean(residuals**2)))
    error = float(np.sqrt(np.sum(residuals**2) / (len(PIXELS) - 3)))
    assert 0.15 < rms < error < 0.6  # above 0.3 mm at 1:500, below it at 1:2000
    accuracy = _place(client, raw_scan, points)["accuracy"]
    assert accuracy["rms_m"] == pytest.approx(rms, abs=1e-4)
    assert accuracy["error_m"] == pytest.approx(error, abs=1e-4)
    assert accuracy["tolerance_m"] == pytest.approx(0.0003 * scale)
    assert accuracy["exceeds_tolerance"] is warned
    error_warnings = [w for w in accuracy["warnings"] if w.startswith("The standard error")]
    assert len(error_warnings) == (1 if warned else 0)
    if warned:
        assert "1:500" in error_warnings[0]
        assert "0.15 m" in error_warnings[0]
    else:
        assert accuracy["warnings"] == []


def test_three_exact_points_of_an_affine_fit_cannot_be_checked(client, raw_scan):
    data = _place(client, raw_scan, _points(PIXELS[:3]))
    accuracy = data["accuracy"]
    assert accuracy["rms_m"] < 1e-6
    assert all(p["residual_m"] < 1e-6 for p in data["control_points"])
    assert accuracy["error_m"] is None
    assert not accuracy["checkable"]
    assert accuracy["redundancy"] == 0
    assert accuracy["outliers"] == []
    assert len(accuracy["warnings"]) == 1
    assert "cannot be checked" in accuracy["warnings"][0]
    assert "add at least one more point" in accuracy["warnings"][0]

    four = _place(client, raw_scan, _points(PIXELS[:4]))["accuracy"]
    assert four["checkable"]
    assert four["warnings"] == []


@pytest.mark.parametrize(("count", "order"), [(5, 1), (8, 2)])
def test_residuals_are_those_of_gdals_gcp_transform(client, raw_scan, count, order):
    """GDAL picks order 1 below 6 points and order 2 below 10: the warp's own transform."""
    points = _points(PIXELS[:count], noise=0.3, seed=2)
    gcps = [GroundControlPoint(row=r, col=c, x=x, y=y) for c, r, x, y in points]
    cols, rows, xs, ys = (np.array(v) for v in zip(*points, strict=True))
    fitted_x, fitted_y = GCPTransformer(gcps).xy(rows, cols, offset="ul")
    expected = _ground(xs, ys, np.array(fitted_x), np.array(fitted_y))
    data = _place(client, raw_scan, points, order)
    assert [p["residual_m"] for p in data["control_points"]] == pytest.approx(expected, abs=1e-4)
    assert data["accuracy"]["redundancy"] == count - (3 if order == 1 else 6)


def test_residuals_are_metres_on_the_ground_not_web_mercator_metres(client, raw_scan):
    """Web mercator stretches Hue by 1 / cos(16.5°): its map units are not ground metres."""
    to_3857 = Transformer.from_crs(proj4_for(9214), "EPSG:3857", always_xy=True)
    points = [[c, r, *to_3857.transform(x, y)] for c, r, x, y in _points(PIXELS, noise=0.3)]
    response = client.post(
        f"/api/rasters/{raw_scan.pk}/georeference/",
        {"control_points": points, "order": 1, "crs": "EPSG:3857", "target_crs": "EPSG:3857"},
        format="json",
    )
    assert response.status_code == 200, response.content
    for point in response.json()["control_points"]:
        latitude = np.radians(TO_LONLAT.transform(*TRUE @ (point["col"], point["row"]))[1])
        # within 1 %: web mercator's sphere on WGS84 latitudes stretches north and east
        # by slightly different amounts, but 4 % apart from the map units
        assert point["residual_m"] == pytest.approx(point["residual"] * np.cos(latitude), rel=1e-2)
        assert point["residual_m"] < 0.97 * point["residual"]


@pytest.mark.parametrize(
    ("pixels", "message"),
    [
        # on one parabola, no three of them on a line
        (
            [(c, 20 + (c - 200) ** 2 / 160) for c in (10, 80, 150, 230, 300, 390)],
            "not spread enough for a second-order fit",
        ),
        ([(20, 15), (380, 25), (200, 150), (30, 280), (20, 15), (380, 25)], "only 4"),
    ],
)
def test_a_second_order_fit_says_what_is_wrong_with_its_points(client, raw_scan, pixels, message):
    response = client.post(
        f"/api/rasters/{raw_scan.pk}/georeference/",
        {"control_points": _points(pixels), "order": 2, "crs": "EPSG:9214"},
        format="json",
    )
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert message in detail
    assert "one line or repeated" not in detail


def test_the_page_names_the_crs_of_x_and_y_and_shows_the_accuracy(client, raw_scan, planner):
    points = _points(PIXELS, noise=0.02)
    points[2][2] += 2.5
    _place(client, raw_scan, points)
    page = Client(HTTP_ACCEPT_LANGUAGE="en")
    page.force_login(planner)
    response = page.get(f"/rasters/{raw_scan.pk}/georeference/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "E (VN-2000 / TM-3 107-00, EPSG:9214)" in html
    assert "N (VN-2000 / TM-3 107-00, EPSG:9214)" in html
    assert "Residual on the ground (m)" in html
    config = response.context["config"]
    assert config["clickCrs"] == "EPSG:3857"
    # the page converts clicks into the storage CRS with the server's definition
    assert config["grid"] == {
        "code": "EPSG:9214", "name": "VN-2000 / TM-3 107-00", "proj4": proj4_for(9214)
    }  # fmt: skip
    for point, (col, row, x, y) in zip(config["controlPoints"], points, strict=True):
        assert (point["col"], point["row"]) == (col, row)
        assert (point["x"], point["y"]) == pytest.approx((x, y), abs=1e-6)
    assert config["accuracy"]["outliers"] == [3]
    assert [p["outlier"] for p in config["controlPoints"]] == [i == 2 for i in range(8)]
    assert config["controlPoints"][2]["residual_m"] == pytest.approx(
        config["accuracy"]["residuals_m"][2]
    )


def test_points_placed_in_another_crs_come_back_in_the_storage_crs(client, raw_scan, planner):
    """Placed through the API in web mercator, the points are stored so; the page shows
    them in the storage CRS, where it takes and sends them (moved with the official
    VN-2000 shift)."""
    to_3857 = Transformer.from_crs(proj4_for(9214), "EPSG:3857", always_xy=True)
    points = [[c, r, *to_3857.transform(*(TRUE @ (c, r)))] for c, r in PIXELS[:4]]
    response = client.post(
        f"/api/rasters/{raw_scan.pk}/georeference/",
        {"control_points": points, "order": 1, "crs": "EPSG:3857", "target_crs": "EPSG:3857"},
        format="json",
    )
    assert response.status_code == 200, response.content
    page = Client(HTTP_ACCEPT_LANGUAGE="en")
    page.force_login(planner)
    config = page.get(f"/rasters/{raw_scan.pk}/georeference/").context["config"]
    for shown, (col, row) in zip(config["controlPoints"], PIXELS[:4], strict=True):
        assert (shown["x"], shown["y"]) == pytest.approx(TRUE @ (col, row), abs=0.001)


def _off_by(pixels, errors) -> list[list[float]]:
    """Points placed by TRUE, their map x/y off by `errors` (n × 2 metres)."""
    return [
        [c, r, x + ex, y + ey]
        for (c, r), (ex, ey) in zip(pixels, errors, strict=True)
        for x, y in [TRUE @ (c, r)]
    ]


def _assessed(pixels, order: int, errors) -> georef.Accuracy:
    """`assess` of points placed by TRUE plus `errors` (n × 2 metres), their residuals
    from a plain numpy fit: layouts beyond the scan's pixels, which the API refuses."""
    points = _off_by(pixels, errors)
    cx, cy = _coefficients(points, order)
    design = _design(points, order)
    residuals = [
        (fx - p[2], fy - p[3]) for p, fx, fy in zip(points, design @ cx, design @ cy, strict=True)
    ]
    control = [georef.ControlPoint(*p) for p in points]
    return georef.assess(control, residuals, order, CRS.from_epsg(9214), 500)


def _correlation(pixels, order: int, i: int, j: int) -> float:
    """ρ_ij of the residuals of points i and j: M_ij / sqrt(M_ii M_jj), M = I − H."""
    design = _design(pixels, order)
    m = np.eye(len(pixels)) - design @ np.linalg.pinv(design)
    return float(m[i, j] / np.sqrt(m[i, i] * m[j, j]))


SHEET = [(0, 0), (1000, 0), (0, 1000), (1000, 1000), (500, 0)]
GRID = [(c, r) for r in (0, 500, 1000) for c in (0, 500, 1000) if (c, r) != (500, 1000)]


@pytest.mark.parametrize(
    ("pixels", "order", "pair"),
    [
        # affine on a sheet's corners and the middle of its top side: the lower corners
        (SHEET, 1, (SHEET.index((1000, 1000)), SHEET.index((0, 1000)))),
        # order 2 on a 3 × 3 grid without the middle of its bottom side
        (GRID, 2, (GRID.index((500, 500)), GRID.index((500, 0)))),
    ],
)
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("noise", [0.0, 0.001, 0.01])
def test_points_whose_residuals_move_together_are_named_as_a_group(
    pixels, order, pair, swap, noise
):
    """An error at either of two points perfectly correlated in I − H gives both the same
    studentised residual: argmax picked one by index or rounding, often the wrong one."""
    bad, twin = reversed(pair) if swap else pair
    assert abs(_correlation(pixels, order, bad, twin)) == pytest.approx(1.0)
    for seed in range(4):
        rng = np.random.default_rng(seed)
        errors = rng.normal(0, noise, (len(pixels), 2))
        angle = rng.uniform(0, 2 * np.pi)
        errors[bad] += 2.5 * np.cos(angle), 2.5 * np.sin(angle)
        result = _assessed(pixels, order, errors)
        named = [o.index for o in result.outliers if not getattr(o, "together", ())]
        assert twin not in named
        assert [o.suspects for o in result.outliers] == [tuple(sorted(pair))]
        numbers = ", ".join(str(i + 1) for i in sorted(pair))
        assert georeferencing.accuracy_warnings(result, 500)[-1] == (
            f"One of points {numbers} is off by more than the other points' accuracy "
            "explains, but an error at any of them shows the same way, so which cannot be "
            "told: check where each was clicked."
        )


def test_a_significant_point_within_the_floor_does_not_hide_one_beyond_it():
    """A point 0.12 m off in a cluster of points has a larger studentised residual than a
    far point (high leverage) 1 m off; the first is within 1:500's 0.15 m, and stopped the
    search before the second was tested."""
    cluster = [(c, r) for c in (0, 50, 100) for r in (0, 50, 100)] + [(25, 75), (75, 25)]
    pixels = [*cluster, (25, 25), (1000, 1000)]
    near, far = 4, len(pixels) - 1
    errors = np.random.default_rng(1).normal(0, 0.005, (len(pixels), 2))
    errors[near] += 0.12, 0.0
    errors[far] += 0.6, 0.8
    points = _off_by(pixels, errors)
    design = _design(points, 1)
    free = 1 - np.diag(design @ np.linalg.pinv(design))
    standardised = _ground_residuals(points, 1) / np.sqrt(free)
    assert int(np.argmax(standardised)) == near
    assert _left_out(points, near, 1)[0] < 0.15 < _left_out(points, far, 1)[0]
    result = _assessed(pixels, 1, errors)
    assert [(o.index, o.together) for o in result.outliers] == [(far, ())]
    # the near point is left out first, unnamed
    others = [p for i, p in enumerate(points) if i != near]
    assert result.outliers[0].offset_m == pytest.approx(_left_out(others, far - 1, 1)[0], abs=1e-3)
