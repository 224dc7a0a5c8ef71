"""The map viewer in a real headless Chromium against a live server and real PostGIS.

Needs the built front end (``npm run build`` in webmap/frontend) and the tile service:
the test fails when the plan in force is not drawn on the map canvas.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import HUE_X, HUE_Y, make_plan, square

# CHROMIUM and CHROMIUM_ARGS are re-exported: tests/vtiles imports them from here.
from tests.webmap.conftest import CHROMIUM, CHROMIUM_ARGS, matching_pixels  # noqa: F401

RESIDENTIAL = (0xFF, 0xD3, 0x7F)  # DO, residential, in the seeded catalogue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_map(browser: Browser, url: str) -> Page:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    page.wait_for_function(
        "Number(document.getElementById('map')?.dataset.rendered || 0) > 0", timeout=30_000
    )
    assert not errors, f"JavaScript errors on the map page: {errors}"
    return page


def test_map_draws_plan_in_force_and_shows_feature_info(
    live_server, plan_in_force, browser, tmp_path
):
    page = open_map(browser, f"{live_server.url}/map/")
    page.screenshot(path=tmp_path / "map-page.png")
    shot = page.locator("#map").screenshot(path=tmp_path / "map.png")

    lot = matching_pixels(shot, RESIDENTIAL)
    assert len(lot) > 200, f"plan colour #FFD37F not drawn on the map (see {tmp_path})"

    x = sum(p[0] for p in lot) / len(lot)
    y = sum(p[1] for p in lot) / len(lot)
    page.locator("#map").click(position={"x": x, "y": y})
    info = page.locator("#feature-info")
    expect(info).to_contain_text("A1", timeout=15_000)
    expect(info).to_contain_text("inforce")
    # planning attributes under their names, not the stored keys
    headers = info.locator("th").all_inner_texts()
    assert {"Lot code", "Land-use function"} <= set(headers), headers
    assert not {"code", "function"} & set(headers), headers
    # the revision's state is not put in parentheses of its own ("1 (Approved (in force))")
    expect(info).to_contain_text(f"{plan_in_force.number} · Approved (in force)")
    expect(page.locator("#legend")).not_to_be_empty()
    page.screenshot(path=tmp_path / "map-info.png")


def test_planner_sees_own_draft_as_vector_layer(
    live_server, draft_plan, planner, browser, tmp_path, client
):
    client.force_login(planner)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    host = live_server.url.split("//", 1)[1].split(":")[0]
    context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "domain": host,
                "path": "/",
            }
        ]
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/map/?revision={draft_plan.pk}")
    row = page.locator(f"[data-revision='{draft_plan.pk}']")
    expect(row).to_contain_text("draft r1")
    expect(row.locator("input")).to_be_checked()
    page.wait_for_function(
        "planningMap.getAllLayers().some(l => l.get('revisionId')"
        " && l.getFeaturesInExtent(planningMap.getView().calculateExtent()).length)",
        timeout=15_000,
    )
    page.screenshot(path=tmp_path / "map-draft.png")
    context.close()


def test_feature_info_follows_the_maps_date(live_server, plan_in_force, browser, tmp_path):
    """A dated map drew the plans of that day and its cards today's (QA walk)."""
    from datetime import timedelta

    page = open_map(browser, f"{live_server.url}/map/")
    lot = matching_pixels(page.locator("#map").screenshot(), RESIDENTIAL)
    assert len(lot) > 200
    where = {"x": sum(p[0] for p in lot) / len(lot), "y": sum(p[1] for p in lot) / len(lot)}
    info = page.locator("#feature-info")
    page.locator("#map").click(position=where)
    expect(info).to_contain_text("A1", timeout=15_000)

    day_before = (plan_in_force.approved_at - timedelta(days=1)).date().isoformat()
    page.fill("#in-force-date", day_before)
    page.dispatch_event("#in-force-date", "change")
    with page.expect_request(lambda request: "/api/feature-info/" in request.url) as asked:
        page.locator("#map").click(position=where)
    assert f"at={day_before}T23" in asked.value.url
    expect(info).to_have_text("No planning feature here.", timeout=15_000)


def test_on_a_phone_a_tap_brings_the_card_into_view(live_server, plan_in_force, browser):
    """The card appeared some 1,500 px below the map, out of sight (QA walk, 390 x 844)."""
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{live_server.url}/map/")
    page.wait_for_function(
        "Number(document.getElementById('map')?.dataset.rendered || 0) > 0", timeout=30_000
    )
    lot = matching_pixels(page.locator("#map").screenshot(), RESIDENTIAL)
    assert len(lot) > 50
    where = {"x": sum(p[0] for p in lot) / len(lot), "y": sum(p[1] for p in lot) / len(lot)}
    page.locator("#map").click(position=where)
    info = page.locator("#feature-info")
    expect(info).to_contain_text("A1", timeout=15_000)
    expect(info).to_be_in_viewport()
    page.close()


def test_values_the_product_writes_are_shown_in_the_readers_language(
    live_server, planner, reviewer, browser
):
    """QA walk: the card said "Loại đường: red line" (a red line's `type` is stored in
    English, as the services publish it)."""
    make_plan(planner, reviewer, "typed", [(square(HUE_X, HUE_Y, 100),
              {"code": "A1", "function": "DO", "type": "red line"})], approve=True)  # fmt: skip
    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    page.goto(f"{live_server.url}/map/")
    page.wait_for_function(
        "Number(document.getElementById('map')?.dataset.rendered || 0) > 0", timeout=30_000
    )
    shot = page.locator("#map").screenshot()
    lot = matching_pixels(shot, RESIDENTIAL)
    x = sum(p[0] for p in lot) / len(lot)
    y = sum(p[1] for p in lot) / len(lot)
    page.locator("#map").click(position={"x": x, "y": y})
    info = page.locator("#feature-info")
    expect(info).to_contain_text("A1", timeout=15_000)
    expect(info).to_contain_text("chỉ giới đường đỏ")
    expect(info).not_to_contain_text("red line")
