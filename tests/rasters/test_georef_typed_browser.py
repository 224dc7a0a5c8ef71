"""The georeferencing page takes control points typed in the storage CRS (QA walk: points
could only be clicked on a web mercator map, a planner's surveyed VN-2000 E/N could not be
entered). In a real Chromium against a live server, on the Vietnamese page: E/N typed as
Vietnamese writes numbers place the scan exactly, a click on the map becomes VN-2000 E/N
by the server's definition (its +towgs84 shift), a text that is no number is said and
nothing is sent, and the map buttons' tooltips are Vietnamese.

Needs the built front end (``npm --prefix webmap/frontend run build``).
"""

from __future__ import annotations

import json
import re

import pytest
import rasterio
from playwright.sync_api import Page, expect
from pyproj import Transformer

from planning.crs import proj4_for
from rasters.gdal_env import safe_env
from tests.rasters.conftest import SCAN_TRANSFORM
from tests.rasters.test_browser import _unplaced_png
from tests.webmap.conftest import browser as browser  # fixture
from tests.webmap.test_review_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
GRID_TO_3857 = Transformer.from_crs(proj4_for(9214), "EPSG:3857", always_xy=True)
PIXELS = [(40, 30), (360, 40), (200, 270), (330, 250)]
ROWS = "#georef-points tbody tr"


def vietnamese(value: float, grouped: bool = True) -> str:
    """`value` to the millimetre as a Vietnamese planner types it: 1.821.449,125."""
    text = f"{value:,.3f}" if grouped else f"{value:.3f}"
    return text.translate(str.maketrans(",.", ".,"))


def type_point(page: Page, number: int, east: str, north: str) -> None:
    inputs = page.locator(f"{ROWS}[data-point='{number}'] input")
    inputs.nth(0).fill(east)
    inputs.nth(1).fill(north)
    inputs.nth(1).press("Tab")  # the change event of N


def click_map(page: Page, name: str, pixel) -> None:
    """Click the OpenLayers map georefPages[name] at a pixel of its viewport (inside the
    pane's border)."""
    box = page.evaluate(
        "(n) => { const r = georefPages[n].getViewport().getBoundingClientRect();"
        " return [r.left, r.top]; }",
        name,
    )
    page.mouse.click(box[0] + pixel[0], box[1] + pixel[1])
    page.wait_for_timeout(400)  # past OpenLayers' double-click delay


def click_scan(page: Page, col: float, row: float) -> dict:
    """Click the scan at a pixel; the point as the page took it (a screen pixel's col/row)."""
    click_map(
        page,
        "scan",
        page.evaluate("(c) => georefPages.scan.getPixelFromCoordinate(c)", [col, -row]),
    )
    return page.evaluate("georefPages.points.at(-1)")


def georef_page(browser, live_server, raster) -> Page:
    path = f"/rasters/{raster.pk}/georeference/"
    page = sign_in(browser, live_server, "planner_t", "pw-planner-test", path, "vi-VN")
    page.wait_for_function("globalThis.georefPages !== undefined")
    # A click while the scan still loads is lost: OpenLayers drops the single click when
    # the canvas clicked has been replaced by the time it fires (250 ms later).
    page.evaluate(
        "Promise.all([georefPages.scan, georefPages.world].map((map) =>"
        " new Promise((done) => { map.once('rendercomplete', done); map.render(); })))"
    )
    return page


def test_typed_vn2000_coordinates_place_the_scan(
    live_server, browser, planner, draft_plan, tmp_path
):
    raster = _unplaced_png(planner, draft_plan, tmp_path)
    page = georef_page(browser, live_server, raster)
    posts: list[dict] = []
    page.on(
        "request",
        lambda r: posts.append(json.loads(r.post_data or "{}")) if r.method == "POST" else None,
    )
    expect(page.locator("#georef-points thead")).to_contain_text("VN-2000 / TM-3 107-00, EPSG:9214")
    for pane in ("#georef-image", "#georef-map"):
        expect(page.locator(f"{pane} .ol-zoom-in")).to_have_attribute("title", "Phóng to")
        expect(page.locator(f"{pane} .ol-zoom-out")).to_have_attribute("title", "Thu nhỏ")
        expect(page.locator(f"{pane} .ol-rotate-reset")).to_have_attribute(
            "title", "Đặt lại hướng bắc"
        )
    typed = []
    for number, (col, row) in enumerate(PIXELS, start=1):
        point = click_scan(page, col, row)  # no map click: the point is typed only
        east, north = SCAN_TRANSFORM @ (point["col"], point["row"])
        type_point(page, number, vietnamese(east, number % 2 == 0), vietnamese(north))
        typed.append((round(east, 3), round(north, 3)))
    # each typed point has its mark on the map, where pyproj puts its VN-2000 E/N
    marks = page.evaluate("georefPages.mapMarks()")
    for east, north in typed:
        x, y = GRID_TO_3857.transform(east, north)
        assert min(abs(mx - x) + abs(my - y) for mx, my in marks) < 0.01, (east, north)

    # the English way of writing on the Vietnamese page: said at the field, nothing sent
    first_east = page.locator(f"{ROWS}[data-point='1'] input").first
    first_east.fill(f"{typed[0][0]:.3f}")
    first_east.press("Tab")
    errors = page.locator("#georef-input-errors")
    expect(errors).to_contain_text("không phải là số")
    expect(errors).to_contain_text("1.821.300,25")
    expect(first_east).to_have_attribute("aria-invalid", "true")
    page.click("#georef-apply")
    expect(page.locator("#georef-status")).to_contain_text("chưa có gì được gửi đi")
    page.wait_for_timeout(300)
    assert posts == []
    first_east.fill(vietnamese(typed[0][0]))
    first_east.press("Tab")
    expect(errors).to_be_hidden()

    page.click("#georef-apply")
    page.locator("#georef-rms[data-rms]").wait_for()
    assert posts[-1]["crs"] == "EPSG:9214"
    assert posts[-1]["target_crs"] == "EPSG:9214"
    assert [(p["x"], p["y"]) for p in posts[-1]["control_points"]] == typed
    assert float(page.locator("#georef-rms").get_attribute("data-rms")) < 0.002
    raster.refresh_from_db()
    assert raster.georeference_method == "control_points"
    assert raster.crs_epsg == 9214
    with safe_env(), rasterio.open(raster.cog_file()) as placed:
        assert placed.crs.to_epsg() == 9214
        assert tuple(placed.transform)[:6] == pytest.approx(tuple(SCAN_TRANSFORM)[:6], abs=1e-3)
    # the numbers come back written the Vietnamese way
    inputs = page.locator(f"{ROWS}[data-point='3'] input")
    expect(inputs.nth(0)).to_have_value(re.compile(r"^5\d\d\.\d{3},\d{3}$"))
    expect(inputs.nth(1)).to_have_value(re.compile(r"^1\.8\d\d\.\d{3},\d{3}$"))
    expect(page.locator(f"{ROWS}[data-point='3'] td").nth(5)).to_have_text("0,000")
    assert not page.js_errors, page.js_errors  # type: ignore[attr-defined]
    page.context.close()


def test_a_click_on_the_map_gives_the_vn2000_coordinates(
    live_server, browser, planner, draft_plan, tmp_path
):
    """The click becomes E/N by the server's VN-2000 definition; typed E/N then move the
    mark; a point removed leaves no mark."""
    raster = _unplaced_png(planner, draft_plan, tmp_path)
    page = georef_page(browser, live_server, raster)
    click_scan(page, 100, 100)
    pixel = [217, 163]
    clicked = page.evaluate("(p) => georefPages.world.getCoordinateFromPixel(p)", pixel)
    click_map(page, "world", pixel)
    point = page.evaluate("georefPages.points[0]")
    east, north = Transformer.from_crs("EPSG:3857", proj4_for(9214), always_xy=True).transform(
        *clicked
    )
    assert (point["x"], point["y"]) == pytest.approx((east, north), abs=0.001)
    inputs = page.locator(f"{ROWS}[data-point='1'] input")
    expect(inputs.nth(0)).to_have_value(vietnamese(east))
    expect(inputs.nth(1)).to_have_value(vietnamese(north))

    type_point(page, 1, vietnamese(east + 10), vietnamese(north - 20))
    (mark,) = page.evaluate("georefPages.mapMarks()")
    assert mark == pytest.approx(GRID_TO_3857.transform(east + 10, north - 20), abs=0.01)
    page.locator(f"{ROWS}[data-point='1'] button").click()
    assert page.evaluate("georefPages.mapMarks()") == []
    assert not page.js_errors, page.js_errors  # type: ignore[attr-defined]
    page.context.close()
