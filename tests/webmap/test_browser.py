"""The map viewer in a real headless Chromium against a live server and real PostGIS.

Needs the built front end (``npm run build`` in webmap/frontend) and the tile service:
the test fails when the plan in force is not drawn on the map canvas.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator

import pytest
from PIL import Image

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run
# under one unless told that this test process is not really async.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import Browser, Page, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RESIDENTIAL = (0xFF, 0xD3, 0x7F)  # DO, residential, in the seeded catalogue
TOLERANCE = 4

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser() -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium package is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


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


def matching_pixels(png: bytes, colour: tuple[int, int, int]) -> list[tuple[int, int]]:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = image.size
    pixels = image.load()
    return [
        (x, y)
        for y in range(0, height, 2)
        for x in range(0, width, 2)
        if all(abs(c - t) <= TOLERANCE for c, t in zip(pixels[x, y], colour, strict=True))
    ]


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
