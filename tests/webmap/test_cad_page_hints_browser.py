"""The CAD page in Vietnamese with a shapefile whose one layer, `poly`, no rule recognises
(QA walk in Chromium): its counts read "Polygon 10", Convert stayed disabled with no word
why (the layer is guessed "Ignore"), and the two-point fix read "tỷ lệ 1.00000".

Now the geometry types are translated ("Vùng 10"), a hint beside Convert says to map a
layer (and goes once one is mapped), and numbers follow the page's language ("1,00000").
The upload page's link to the two-point fix (#control-points) opens that part of the form.

Needs the built front end (``npm --prefix webmap/frontend run build``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely
from playwright.sync_api import expect

from tests.conftest import HUE_X, HUE_Y
from tests.files import shapefile_parts, write_vector, zip_dir
from tests.webmap.test_cad_browser import (
    choose_drawing,
    fill_control_points,
    layer_rows,
    open_cad_page,
    reinspect,
    select_kind,
)
from tests.webmap.test_review_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def poly_zip(tmp_path):
    folder = tmp_path / "shp"
    folder.mkdir()
    lots = [shapely.box(HUE_X + 30 * i, HUE_Y, HUE_X + 30 * i + 25, HUE_Y + 25) for i in range(10)]
    shp = write_vector(folder / "poly.shp", lots, {"ID": list(range(10))}, driver="ESRI Shapefile")
    return zip_dir(shapefile_parts(shp), tmp_path / "poly.zip")


@pytest.fixture
def poly_page(browser, live_server, draft_plan, poly_zip):
    """The Vietnamese CAD page with poly.zip read."""
    path = f"/revisions/{draft_plan.pk}/cad/"
    page = sign_in(browser, live_server, "planner_t", "pw-planner-test", path, locale="vi-VN")
    open_cad_page(page, live_server, draft_plan.pk)
    expect(page.locator("#cad-start-hint")).to_be_hidden()  # nothing to explain before a file
    choose_drawing(page, poly_zip)
    yield page
    assert not page.js_errors


def test_geometry_types_are_counted_in_the_pages_language(poly_page):
    row = layer_rows(poly_page)["poly"]
    assert (row["counts"], row["kind"]) == ("Vùng 10", "ignore")


def test_a_hint_says_why_convert_waits_while_every_layer_is_ignored(poly_page):
    hint = poly_page.locator("#cad-start-hint")
    expect(poly_page.locator("#cad-start")).to_be_disabled()
    expect(hint).to_be_visible()
    expect(hint).to_have_text("Hãy gán ít nhất một lớp CAD vào một lớp quy hoạch.")
    select_kind(poly_page, "poly", "landuse")
    expect(hint).to_be_hidden()
    expect(poly_page.locator("#cad-start")).to_be_enabled()
    select_kind(poly_page, "poly", "ignore")
    expect(hint).to_be_visible()


def test_the_two_point_fix_is_written_with_the_pages_decimal_comma(poly_page):
    poly_page.click("#control-points summary")
    same_place = [[HUE_X, HUE_Y, HUE_X, HUE_Y], [HUE_X + 100, HUE_Y, HUE_X + 100, HUE_Y]]
    reinspect(poly_page, lambda: fill_control_points(poly_page, same_place))
    summary = poly_page.locator("#inspect-summary")
    expect(summary).to_contain_text("tỷ lệ 1,00000, góc xoay 0,000°")


def test_the_link_to_the_two_point_fix_opens_it(browser, live_server, draft_plan):
    path = f"/revisions/{draft_plan.pk}/cad/"
    page = sign_in(browser, live_server, "planner_t", "pw-planner-test", path, locale="vi-VN")
    expect(page.locator("#control-points")).not_to_have_attribute("open", "")
    page.goto(f"{live_server.url}{path}#control-points")
    page.reload()  # a new page load with the fragment, as the upload page's link opens it
    page.wait_for_selector("body[data-cad-ready='true']")
    expect(page.locator("#control-points")).to_have_attribute("open", "")
    expect(page.locator("#control-points input").first).to_be_visible()


def test_a_drawing_with_nothing_to_draw_is_not_blamed_on_the_crs(browser, live_server, draft_plan):
    """gdal_text.dxf holds one MTEXT: placed in Hue, it still draws nothing, and the page
    used to say "choose the coordinate system" for it."""
    samples = Path(__file__).resolve().parents[2].parent / "shared" / "samples" / "dxf"
    path = f"/revisions/{draft_plan.pk}/cad/"
    page = sign_in(browser, live_server, "planner_t", "pw-planner-test", path)
    open_cad_page(page, live_server, draft_plan.pk)
    choose_drawing(page, samples / "gdal_text.dxf")
    summary = page.locator("#inspect-summary")
    expect(summary).to_contain_text("The preview draws lines and areas only")
    expect(summary).not_to_contain_text("choose the coordinate system")
    assert not page.js_errors
