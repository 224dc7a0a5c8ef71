"""The web map in Chromium: a raster under the plans, its opacity slider and the clip to
the plan boundary; the georeferencing page places a scan from clicks."""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.contrib.gis.geos import MultiPolygon
from PIL import Image
from playwright.sync_api import expect
from pyproj import Transformer

from planning.crs import proj4_for
from tests.conftest import HUE_X, HUE_Y, square
from tests.rasters.conftest import SCAN_SIZE, SCAN_TRANSFORM, pattern
from tests.rasters.test_serving import _raster_plan
from tests.webmap.conftest import browser as browser  # fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("private_tile_cache"),
]
TO_3857 = Transformer.from_crs(proj4_for(9214), "EPSG:3857", always_xy=True)


def _pixel_of(page, col: int, row: int) -> tuple[int, int]:
    x, y = SCAN_TRANSFORM @ (col + 0.5, row + 0.5)
    px, py = page.evaluate(
        "(c) => planningMap.getPixelFromCoordinate(c)", list(TO_3857.transform(x, y))
    )
    return round(px), round(py)


def _colour(shot: bytes, at: tuple[int, int]) -> np.ndarray:
    image = np.asarray(Image.open(io.BytesIO(shot)).convert("RGB")).astype(int)
    x, y = at
    return np.median(image[y - 2 : y + 3, x - 2 : x + 3].reshape(-1, 3), axis=0)


def _render(page) -> bytes:
    page.evaluate("document.getElementById('map').dataset.rendered = '0'")
    page.evaluate("planningMap.render()")
    page.wait_for_function("Number(document.getElementById('map').dataset.rendered || 0) > 0")
    page.wait_for_timeout(300)
    return page.locator("#map").screenshot()


def test_opacity_and_clip_of_a_scan_under_the_plan(
    live_server,
    browser,
    planner,
    reviewer,
    scan_geotiff,
    tmp_path,
):
    raster = _raster_plan(planner, reviewer, scan_geotiff, "old-scan", approve=True)
    project = raster.revision.project
    # The plan boundary covers the left half of the scan only.
    project.boundary = MultiPolygon(square(HUE_X - 60, HUE_Y - 10, 110))
    project.save(update_fields=["boundary"])
    page = browser.new_context(viewport={"width": 1200, "height": 800}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/map/")
    row = page.locator(f"#raster-switcher [data-raster='{raster.pk}']")
    row.wait_for()
    _assert_controls_fit(page, row)
    t = SCAN_TRANSFORM
    width, height = SCAN_SIZE
    extent = [
        *TO_3857.transform(t.c, t.f - height * 0.5),
        *TO_3857.transform(t.c + width * 0.5, t.f),
    ]
    page.evaluate("(e) => planningMap.getView().fit(e, {padding: [40, 40, 40, 40]})", extent)
    inside, outside = (60, 150), (330, 150)  # scan pixels in and out of the boundary
    row.locator("input.raster-opacity").fill("100")
    shot = _render(page)
    (tmp_path / "clipped.png").write_bytes(shot)
    expected_inside = pattern(width, height)[:, inside[1], inside[0]]
    assert np.abs(_colour(shot, _pixel_of(page, *inside)) - expected_inside).max() <= 16
    background = _colour(shot, _pixel_of(page, *outside))
    expected_outside = pattern(width, height)[:, outside[1], outside[0]]
    assert np.abs(background - expected_outside).max() > 40, "clip is not applied"

    row.locator(".raster-clip input").uncheck()
    shot = _render(page)
    assert np.abs(_colour(shot, _pixel_of(page, *outside)) - expected_outside).max() <= 16

    row.locator("input.raster-opacity").fill("30")
    shot = _render(page)
    faded = _colour(shot, _pixel_of(page, *outside))
    # 30 % of the scan over the map's background: between the two, far from the scan.
    assert np.abs(faded - expected_outside).max() > 40
    assert np.abs(faded - background).max() > 10
    assert not errors, errors
    page.context.close()


def test_the_maps_date_shows_the_rasters_in_force_then(
    live_server, browser, planner, reviewer, scan_geotiff
):
    """The date moved the plans but kept today's rasters (QA walk)."""
    from datetime import timedelta

    raster = _raster_plan(planner, reviewer, scan_geotiff, "dated-scan", approve=True)
    raster.revision.refresh_from_db()
    page = browser.new_context(viewport={"width": 1200, "height": 800}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/map/")
    row = page.locator(f"#raster-switcher [data-raster='{raster.pk}']")
    row.wait_for()
    row.locator("input.raster-opacity").fill("40")

    day_before = (raster.revision.approved_at - timedelta(days=1)).date().isoformat()
    page.fill("#in-force-date", day_before)
    page.dispatch_event("#in-force-date", "change")
    expect(page.locator("#raster-switcher")).to_have_count(0)
    assert (
        page.evaluate("planningMap.getLayers().getArray().some((l) => l.get('rasterId'))") is False
    )

    page.locator("#in-force-today").click()
    expect(row).to_be_visible()
    expect(row.locator("input.raster-opacity")).to_have_value("40")  # the user's setting
    assert not errors, errors
    page.context.close()


def _assert_controls_fit(page, row) -> None:
    """The clip label stays on one line inside the panel (it once wrapped word by word
    and ran out of the sidebar in Vietnamese)."""
    panel = page.locator("#raster-switcher").bounding_box()
    label = row.locator(".raster-clip").bounding_box()
    line = row.locator(".raster-clip span").evaluate(
        "e => parseFloat(getComputedStyle(e).lineHeight) || 20"
    )
    assert panel
    assert label
    assert label["x"] + label["width"] <= panel["x"] + panel["width"] + 0.5, (label, panel)
    assert label["height"] <= 1.5 * line, label


def _sign_in(browser, live_server, path: str, username: str = "planner_t"):
    page = browser.new_context(viewport={"width": 1300, "height": 1000}).new_page()
    page.goto(f"{live_server.url}/accounts/login/?next={path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", f"pw-{username.removesuffix('_t')}-test")
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(f"{live_server.url}{path}")
    return page


def _click(page, pane: str, map_name: str, coordinate) -> None:
    """Click the OpenLayers map `map_name` of the page at a map coordinate."""
    x, y = page.evaluate(
        f"(c) => georefPages.{map_name}.getPixelFromCoordinate(c)", list(coordinate)
    )
    box = page.locator(pane).bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_timeout(400)  # past OpenLayers' double-click delay


def test_georeferencing_page_places_a_scan_from_clicks(
    live_server, browser, planner, reviewer, draft_plan, tmp_path
):
    width, height = SCAN_SIZE
    raster = _unplaced_png(planner, draft_plan, tmp_path)
    # as if placed in California by mistake before: the page says so until placed anew
    type(raster).objects.filter(pk=raster.pk).update(bounds_wgs84=[-120.0, 34.0, -119.0, 35.0])
    page = _sign_in(browser, live_server, f"/rasters/{raster.pk}/georeference/")
    assert page.locator("#georef-outside").is_visible()
    assert page.locator("#georef-open-map").is_hidden()  # nothing placed yet
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.wait_for_function("globalThis.georefPages !== undefined")
    t = SCAN_TRANSFORM
    extent = [
        *TO_3857.transform(t.c, t.f - height * 0.5),
        *TO_3857.transform(t.c + width * 0.5, t.f),
    ]
    page.evaluate("(e) => georefPages.world.getView().fit(e)", extent)
    page.wait_for_timeout(500)
    for col, row in [(40, 30), (360, 40), (200, 270), (330, 250)]:
        _click(page, "#georef-image", "scan", (col, -row))
        _click(page, "#georef-map", "world", TO_3857.transform(*(t @ (col, row))))
    assert page.locator("#georef-points tbody tr").count() == 4
    page.click("#georef-apply")
    page.locator("#georef-rms[data-rms]").wait_for()
    rms_pixels = float(page.locator("#georef-rms").get_attribute("data-rms-pixels"))
    assert rms_pixels < 2.0  # clicks snap to screen pixels of a zoomed-out map
    raster.refresh_from_db()
    assert raster.georeference_method == "control_points"
    assert raster.crs_epsg == 9214
    left, bottom, right, top = raster.bounds_native
    assert (left, top) == pytest.approx((t.c, t.f), abs=1.5)
    assert (right, bottom) == pytest.approx((t.c + width * 0.5, t.f - height * 0.5), abs=1.5)
    assert page.locator("#georef-open-map").is_visible()
    assert page.locator("#georef-outside").is_hidden()  # placed at Hue now
    assert not errors, errors
    page.context.close()


def _unplaced_png(planner, revision, tmp_path):
    import rasterio

    from rasters.gdal_env import safe_env
    from rasters.importing import import_raster

    width, height = SCAN_SIZE
    path = tmp_path / "scan.png"
    with (
        safe_env(),
        rasterio.open(
            path, "w", driver="PNG", width=width, height=height, count=3, dtype="uint8"
        ) as out,
    ):
        out.write(pattern(width, height))
    return import_raster(
        user=planner, revision=revision, path=path, filename="scan.png", name="scan"
    ).raster


def test_georeferencing_page_shows_the_saved_points_after_a_reload(
    live_server, browser, planner, reviewer, draft_plan, tmp_path
):
    """The points of the last placement come back with the page (QA walk: the table and
    the RMS were empty after a reload); a reviewer sees them read-only."""
    from rasters import georef
    from rasters.georeferencing import georeference

    raster = _unplaced_png(planner, draft_plan, tmp_path)
    pixels = [(40, 30), (360, 40), (200, 270), (330, 250), (100, 200)]
    points = [
        georef.ControlPoint(col, row, *TO_3857.transform(*(SCAN_TRANSFORM @ (col, row))))
        for col, row in pixels
    ]
    georeference(
        user=planner, raster=raster, points=points, order=1, crs="EPSG:3857",
        target_crs="EPSG:9214",
    )  # fmt: skip
    path = f"/rasters/{raster.pk}/georeference/"
    page = _sign_in(browser, live_server, path)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.reload()
    page.wait_for_function("globalThis.georefPages !== undefined")
    rows = page.locator("#georef-points tbody tr")
    expect(rows).to_have_count(5)
    assert rows.locator("button").count() == 5  # the planner may remove and place again
    assert float(page.locator("#georef-rms").get_attribute("data-rms")) < 0.01
    # the points come back in the storage CRS, where they are typed and sent
    expect(page.locator("#georef-points thead")).to_contain_text(
        "E (VN-2000 / TM-3 107-00, EPSG:9214)"
    )
    expect(page.locator("#georef-rms")).to_contain_text("m on the ground")
    expect(page.locator("#georef-rms")).to_contain_text("1:500 plan can show 0.15 m")
    # what is compared with the scale: the RMS corrected for the 3 points affine needs
    expect(page.locator("#georef-rms")).to_contain_text("Standard error of a point")
    assert float(page.locator("#georef-rms").get_attribute("data-error")) < 0.02
    assert page.locator("#georef-warnings").is_hidden()  # 5 exact points: nothing to warn
    in_grid = page.evaluate("georefPages.points.map((p) => [p.x, p.y])")
    for (x, y), (col, row) in zip(in_grid, pixels, strict=True):
        assert (x, y) == pytest.approx(SCAN_TRANSFORM @ (col, row), abs=0.01)
    assert page.locator("#georef-open-map").is_visible()
    assert page.locator("#georef-apply").is_visible()
    assert not errors, errors
    page.context.close()

    from planning.actions import SubmitRevision

    SubmitRevision(user=planner, revision=draft_plan).execute()
    page = _sign_in(browser, live_server, path, "reviewer_t")
    page.wait_for_function("globalThis.georefPages !== undefined")
    rows = page.locator("#georef-points tbody tr")
    expect(rows).to_have_count(5)
    assert rows.locator("button").count() == 0
    assert rows.locator("input").count() == 0  # the numbers, nothing to type into
    east, north = SCAN_TRANSFORM @ pixels[0]
    expect(rows.first).to_contain_text(f"{east:,.3f}")
    expect(rows.first).to_contain_text(f"{north:,.3f}")
    assert page.locator("#georef-apply").is_hidden()
    assert page.locator("#georef-order").is_hidden()
    page.context.close()
