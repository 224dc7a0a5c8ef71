"""Numbers typed on the CAD page in the page's language (QA walk M5, L4), in a real Chromium
against a live server: on the Vietnamese page "561.300 / 1.821.300" (digit grouping) was
dropped without a word when the field was left, "561.300" alone was read as 561.3, and a
zero rotation read "-0,000°". Now the page reads numbers as its language writes them, says
at the field at once when a text is no number, and the two-point fix lands where typed.

Needs the built front end (``npm --prefix webmap/frontend run build``).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.cad.big_drawings import BIG_MAPPING, many_lots
from tests.webmap.test_cad_browser import (
    WAIT,
    choose_drawing,
    hue_option,
    metres_apart,
    reinspect,
    select_kind,
    view_centre_lonlat,
)
from tests.webmap.test_review_browser import lon_lat, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Two points of a local drawing (origin 0,0) and their true VN-2000 coordinates, typed as a
# Vietnamese planner types them: 100 drawing units are 50 m; N a hair lower at the second
# point, so the rotation is a tiny negative angle that rounds to zero.
VI_POINTS = [["0", "0", "561.300", "1.821.300"], ["100,0", "0", "561.350", "1.821.299,9999"]]
ERROR = "#control-points-error"


def cad_page(browser, live_server, revision, locale: str) -> Page:
    path = f"/revisions/{revision.pk}/cad/"
    page = sign_in(browser, live_server, "planner_t", "pw-planner-test", path, locale)
    page.wait_for_selector("body[data-cad-ready='true']", timeout=WAIT)
    page.click("#control-points summary")
    return page


def type_points(page: Page, texts: list[list[str]]) -> None:
    inputs = page.locator("#control-points input")
    for index, text in enumerate(t for point in texts for t in point):
        inputs.nth(index).fill(text)
    inputs.nth(7).blur()  # the change event of the last number


def test_vietnamese_digit_grouping_places_the_drawing(live_server, browser, draft_plan, tmp_path):
    page = cad_page(browser, live_server, draft_plan, "vi-VN")
    choose_drawing(page, many_lots(tmp_path / "local.dxf", 20, origin=(0.0, 0.0)))
    reinspect(page, lambda: page.select_option("#cad-crs", hue_option(page)))

    reinspect(page, lambda: type_points(page, VI_POINTS))
    expect(page.locator(ERROR)).to_be_hidden()
    summary = page.locator("#inspect-summary")
    expect(summary).to_contain_text("Hiệu chỉnh hai điểm: tỷ lệ 0,50000, góc xoay 0,000°.")
    expect(summary).not_to_contain_text("-0,000")
    # The server's warning of a scale far from 1 writes it the page's way too.
    status = page.locator("#cad-status")
    expect(status).to_contain_text("0,5000")
    expect(status).not_to_contain_text("0.5000")
    # 20 lots of 10 m every 12 m, halved: about 120 m × 5 m from (561300, 1821300).
    centre = view_centre_lonlat(page)
    assert metres_apart(tuple(centre), lon_lat(561_300 + 60, 1_821_300 + 2)) < 20, centre

    for name, kind in BIG_MAPPING.items():
        select_kind(page, name, kind)
    expect(page.locator("#cad-start")).to_be_enabled()
    assert not page.js_errors, page.js_errors  # type: ignore[attr-defined]


def test_a_malformed_number_is_said_at_the_field_at_once(
    live_server, browser, draft_plan, tmp_path
):
    page = cad_page(browser, live_server, draft_plan, "vi-VN")
    choose_drawing(page, many_lots(tmp_path / "local.dxf", 20, origin=(0.0, 0.0)))
    for name, kind in BIG_MAPPING.items():
        select_kind(page, name, kind)
    expect(page.locator("#cad-start")).to_be_enabled()

    north = page.locator("#control-points input").nth(3)
    north.fill("1.821.3")  # a group of one digit: no number in Vietnamese
    north.blur()
    message = page.locator(ERROR)
    expect(message).to_be_visible()
    expect(message).to_contain_text("“1.821.3”")
    expect(message).to_contain_text("1.821.300,25")  # how to write one, the page's way
    assert north.get_attribute("aria-invalid") == "true"
    assert north.get_attribute("aria-describedby") == "control-points-error"
    expect(page.locator("#cad-start")).to_be_disabled()

    east = page.locator("#control-points input").nth(2)
    east.fill("561300.5")  # the English decimal point
    east.blur()
    expect(message.locator("div")).to_have_count(2)
    expect(message).to_contain_text("“561300.5”")

    reinspect(page, lambda: type_points(page, VI_POINTS))
    expect(message).to_be_hidden()
    assert north.get_attribute("aria-invalid") is None
    expect(page.locator("#inspect-summary")).to_contain_text("tỷ lệ 0,50000")
    expect(page.locator("#cad-start")).to_be_enabled()
    assert not page.js_errors, page.js_errors  # type: ignore[attr-defined]


def test_the_english_page_reads_its_own_way(live_server, browser, draft_plan, tmp_path):
    """ "," groups and "." marks the decimals: "561,3" is no number, "561.300" is 561.3."""
    page = cad_page(browser, live_server, draft_plan, "en-GB")
    east = page.locator("#control-points input").nth(2)
    east.fill("561,3")
    east.blur()
    expect(page.locator(ERROR)).to_contain_text("Write it like 1,821,300.25")
    east.fill("561,300.5")
    east.blur()
    expect(page.locator(ERROR)).to_be_hidden()
    assert not page.js_errors, page.js_errors  # type: ignore[attr-defined]


# The page's number reader, case by case (the front end has no JS test runner of its own).
READINGS = {
    "vi": {
        "561.300": 561300,
        "1.821.300": 1821300,
        "1.821.300,25": 1821300.25,
        "1 821 300,25": 1821300.25,
        "1\u00a0821\u00a0300": 1821300,
        "1\u202f821\u202f300": 1821300,
        "561300": 561300,
        "0,5": 0.5,
        "-120,5": -120.5,
        "\u2212120,5": -120.5,
        "+7": 7,
        "": None,
        "  ": None,
        "561.3": "NumberTextError",
        "561300.5": "NumberTextError",
        "1.821.3": "NumberTextError",
        "1821.300": "NumberTextError",
        "1.821 300": "NumberTextError",
        "1,5,0": "NumberTextError",
        "1.821,300.5": "NumberTextError",
        "12,": "NumberTextError",
        ",5": "NumberTextError",
        "5 m": "NumberTextError",
        "1e5": "NumberTextError",
    },
    "en": {
        "561.300": 561.3,
        "561,300": 561300,
        "1,821,300.25": 1821300.25,
        "1 821 300.25": 1821300.25,
        "0.5": 0.5,
        "561,3": "NumberTextError",
        "1.821.300": "NumberTextError",
        "1,821 300": "NumberTextError",
    },
}


def test_the_page_reads_and_writes_numbers_by_its_languages_rules(live_server, browser, draft_plan):
    page = cad_page(browser, live_server, draft_plan, "vi-VN")
    for language, cases in READINGS.items():
        for text, expected in cases.items():
            read = page.evaluate("([t, l]) => planningCad.parseNumber(t, l)", [text, language])
            wanted = {"error": expected} if expected == "NumberTextError" else {"value": expected}
            assert read == wanted, (language, text, read)
    written = page.evaluate(
        "() => [-0.0001, -0.0004, 0, -0.5].map((v) => planningCad.formatDecimal(v, 3, 'vi'))"
    )
    assert written == ["0,000", "0,000", "0,000", "-0,500"]
    assert not page.js_errors, page.js_errors  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("locale", "text"), [("vi-VN", "1.821.300,125"), ("en-GB", "1,821,300.125")]
)
@pytest.mark.parametrize("width", [1360, 1024, 390])
def test_the_control_point_inputs_show_whole_coordinates(
    live_server, browser, draft_plan, locale, text, width
):
    """Four across beside the map on a wide screen; two lines a point where the panel is
    narrower (46vw of 1024 px, a phone), nothing wider than the screen."""
    page = cad_page(browser, live_server, draft_plan, locale)
    page.set_viewport_size({"width": width, "height": 844})
    inputs = page.locator("#control-points input")
    for index in range(8):
        inputs.nth(index).fill(text)
    cut = page.evaluate(
        "() => [...document.querySelectorAll('#control-points input')]"
        ".filter((i) => i.scrollWidth > i.clientWidth).map((i) => i.getAttribute('aria-label'))"
    )
    assert cut == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert not page.js_errors, page.js_errors  # type: ignore[attr-defined]
