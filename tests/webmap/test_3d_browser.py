"""The CesiumJS 3D view in a real headless Chromium (WebGL by SwiftShader) against a live
server, real PostGIS and the server's own 3D Tiles.

Needs the built front end (``npm --prefix webmap/frontend run build``): CesiumJS is bundled
into a lazy chunk and its assets are copied into webmap/static/webmap/dist/cesium/.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
from PIL import Image, ImageChops
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from planning.models import Revision
from tests.webmap.conftest import CHROMIUM, CHROMIUM_ARGS, matching_pixels
from threed.testing import HUE_X, HUE_Y, make_3d_plan, replace_3d_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# WebGL in headless Chromium without a GPU: ANGLE on SwiftShader (software).
WEBGL_ARGS = [
    "--use-gl=angle",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--ignore-gpu-blocklist",
]
WAIT = 120_000  # software WebGL on a busy machine is slow
# threed.testing.make_3d_plan: 12 buildings of 1..5 storeys (3.6 m each), coded B-L<row>-<col>.
# Those of 3 to 5 storeys (10.8 to 18 m) are 10–20 m by height; 1 to 3 storeys by storeys.
BUILDING_CODE = re.compile(r"B-L\d{3}-\d{3}")
LOW_BY_HEIGHT = (0xFE, 0xCC, 0x5C)
LOW_BY_STOREYS = (0xFF, 0xFF, 0xB2)


@pytest.fixture(autouse=True)
def _private_var_dir(settings, tmp_path):
    """3D Tiles are built on first request into PLANNING_VAR_DIR: keep them per test."""
    settings.PLANNING_VAR_DIR = tmp_path / "var"


@pytest.fixture
def plan_3d(planner, reviewer) -> Revision:
    return make_3d_plan(planner, reviewer, code="view3d", approve=True)


@pytest.fixture
def browser3d() -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium package is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *WEBGL_ARGS]
        )
        yield browser
        browser.close()


class Traffic:
    """Every request of a page: anything not for the live server is recorded and aborted."""

    def __init__(self, page: Page, server_url: str) -> None:
        self.origin = urlsplit(server_url).netloc
        self.urls: list[str] = []
        self.foreign: list[str] = []
        self.errors: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.route("**/*", self._route)

    def _route(self, route: Route) -> None:
        url = route.request.url
        self.urls.append(url)
        if urlsplit(url).netloc != self.origin:
            self.foreign.append(url)
            route.abort()
            return
        route.fallback()

    def requested(self, fragment: str) -> bool:
        return any(fragment in url for url in self.urls)


def open_3d(page: Page) -> None:
    page.locator("#view3d-toggle").click()
    page.wait_for_function(
        "window.__view3d && __view3d.state === 'ready' && __view3d.tilesLoaded", timeout=WAIT
    )


def fresh_frame(page: Page) -> None:
    """Asks for a frame and waits until it is drawn with every 3D tile loaded."""
    frames = page.evaluate("__view3d.widget.scene.requestRender() || __view3d.frames")
    page.wait_for_function(f"__view3d.frames > {frames} && __view3d.tilesLoaded", timeout=WAIT)


def view_shot(page: Page, path: Path) -> bytes:
    box = page.locator("#view3d .view3d-canvas").bounding_box()
    assert box, "the 3D view is not visible"
    return page.screenshot(path=path, clip=box)


def changed_pixels(before: bytes, after: bytes) -> int:
    """Pixels that differ clearly (any channel by more than 24) between two screenshots."""
    diff = ImageChops.difference(
        Image.open(io.BytesIO(before)).convert("RGB"), Image.open(io.BytesIO(after)).convert("RGB")
    )
    return int((np.asarray(diff).max(axis=2) > 24).sum())


def one_building(pixels: list[tuple[int, int]], radius: int = 30) -> dict[str, float]:
    """The centre of the matching pixels around their median one: inside one building even
    when several have the colour."""
    mx, my = pixels[len(pixels) // 2]
    near = [(x, y) for x, y in pixels if abs(x - mx) <= radius and abs(y - my) <= radius]
    return {"x": sum(p[0] for p in near) / len(near), "y": sum(p[1] for p in near) / len(near)}


def test_map_3d_view(live_server, plan_3d, browser3d, tmp_path):
    page = browser3d.new_page(viewport={"width": 1280, "height": 800})
    traffic = Traffic(page, live_server.url)
    page.goto(f"{live_server.url}/map/")
    page.wait_for_function(
        "Number(document.getElementById('map')?.dataset.rendered || 0) > 0", timeout=WAIT
    )
    assert not traffic.requested("/dist/view3d.js"), "CesiumJS loaded before the 3D view opened"

    open_3d(page)
    assert traffic.requested("/dist/view3d.js")
    assert traffic.requested("/3dtiles/in-force/tileset.json")
    expect(page.locator("#view3d")).to_be_visible()
    expect(page.locator("#view3d .view3d-message")).to_be_hidden()

    # Flat colours (sun off): buildings in exactly their legend colours.
    page.locator("#view3d-shadows").uncheck()
    fresh_frame(page)
    assert not page.evaluate("__view3d.widget.scene.shadowMap.enabled")
    shot = view_shot(page, tmp_path / "3d-height.png")
    low = matching_pixels(shot, LOW_BY_HEIGHT)
    assert len(low) > 300, f"building colour not drawn on the 3D canvas (see {tmp_path})"

    page.locator("#view3d .view3d-canvas").click(position=one_building(low))
    info = page.locator("#feature-info")
    expect(info.locator("strong")).to_have_text(BUILDING_CODE, timeout=15_000)
    height = float(info.locator("tr:has(th:text-is('height')) td").inner_text())
    assert 10 <= height < 20, f"clicked a building of {height} m, not one of the 10–20 m colour"

    # Colour by storeys: the legend and the colours change.
    page.locator("#view3d-colour").select_option("storeys")
    expect(page.locator("[data-view3d=legend]")).to_contain_text("storeys")
    page.locator("#feature-info").evaluate("e => e.replaceChildren()")
    fresh_frame(page)
    shot = view_shot(page, tmp_path / "3d-storeys.png")
    assert len(matching_pixels(shot, LOW_BY_STOREYS)) > 300, f"storeys colours (see {tmp_path})"

    # Sun and shadows: the same view in the morning and in the afternoon differ.
    page.locator("#view3d-shadows").check()
    page.locator("#view3d-time").fill("480")
    fresh_frame(page)
    morning = view_shot(page, tmp_path / "3d-0800.png")
    page.locator("#view3d-time").fill("960")
    fresh_frame(page)
    afternoon = view_shot(page, tmp_path / "3d-1600.png")
    assert changed_pixels(morning, afternoon) > 2000, f"the sun did not move (see {tmp_path})"
    assert page.evaluate("__view3d.widget.scene.shadowMap.enabled")

    assert not traffic.foreign, f"requests left the server: {traffic.foreign[:5]}"
    assert not traffic.errors, f"JavaScript errors: {traffic.errors}"


# The buildings of the plans in force the 3D view has loaded (None while it loads).
IN_FORCE_BUILDINGS = """() => {
  const record = __view3d.tilesets['in-force'];
  if (__view3d.state !== 'ready' || !record || record.state !== 'loaded') return null;
  const tiles = record.tileset.root.children;
  if (!tiles.every((tile) => tile.contentReady)) return null;
  return tiles.reduce((sum, tile) => sum + tile.content.featuresLength, 0);
}"""


def in_force_shown(page: Page) -> tuple[str, int]:
    """The in-force tileset's URL and its number of buildings, once loaded and drawn."""
    count = page.wait_for_function(IN_FORCE_BUILDINGS, timeout=WAIT).json_value()
    return page.evaluate("__view3d.tilesets['in-force'].url"), count


def test_3d_view_follows_the_date_control(live_server, planner, reviewer, browser3d):
    """Two buildings in force in 2021, one since 2022: the 3D view asks for the plans in force
    on the map's date (opened with a date, back to today, then another date)."""
    plan = make_3d_plan(planner, reviewer, code="dated3d", columns=2, rows=1)
    replace_3d_plan(
        plan,
        planner,
        reviewer,
        dropped="B-L000-001",
        approved=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
        replaced=dt.datetime(2022, 1, 1, tzinfo=dt.UTC),
    )
    page = browser3d.new_page(viewport={"width": 1024, "height": 700})
    traffic = Traffic(page, live_server.url)
    page.goto(f"{live_server.url}/map/?date=2021-06-01")
    open_3d(page)
    url, buildings = in_force_shown(page)
    assert url.endswith("/3dtiles/in-force/tileset.json?datetime=2021-06-01")
    assert buildings == 2
    # The ground too: Cesium's WMS requests (lower-case names; the 2D map's are upper-case).
    ground = [u for u in traffic.urls if "/wms?" in u and "time=2021-06-01" in u]
    assert ground, "the 3D ground does not show the plans of the date"

    page.locator("#in-force-today").click()
    page.wait_for_function("!__view3d.tilesets['in-force'].url.includes('datetime')")
    url, buildings = in_force_shown(page)
    assert url.endswith("/3dtiles/in-force/tileset.json")
    assert buildings == 1

    page.locator("#in-force-date").fill("2021-12-31")
    page.wait_for_function("__view3d.tilesets['in-force'].url.includes('datetime=2021-12-31')")
    assert in_force_shown(page)[1] == 2
    assert traffic.requested("/3dtiles/in-force/tileset.json?datetime=2021-12-31")
    assert not traffic.foreign, f"requests left the server: {traffic.foreign[:5]}"
    assert not traffic.errors, f"JavaScript errors: {traffic.errors}"


def test_review_3d_view_refuses_private_revision(
    live_server, plan_3d, planner, reviewer, browser3d, client, tmp_path
):
    """The planner's draft is private: once signed out (session gone), its tileset is a 404
    and the 3D view says so, while the plans in force still show."""
    draft_plan = make_3d_plan(
        planner, reviewer, code="draft3d", approve=False, origin=(HUE_X + 400, HUE_Y)
    )
    client.force_login(planner)
    context = browser3d.new_context(viewport={"width": 1280, "height": 800})
    host = urlsplit(live_server.url).hostname
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
    traffic = Traffic(page, live_server.url)
    page.goto(f"{live_server.url}/revisions/{draft_plan.pk}/review/")
    expect(page.locator("#view3d-toggle")).to_be_visible()
    assert not traffic.requested("/dist/view3d.js")
    context.clear_cookies()

    open_3d(page)
    tilesets = page.evaluate(
        "Object.fromEntries(Object.entries(__view3d.tilesets).map(([k, v]) => [k, v.state]))"
    )
    assert tilesets == {f"revision-{draft_plan.pk}": "missing", "in-force": "loaded"}
    message = page.locator("#view3d .view3d-message")
    expect(message).to_be_visible()
    expect(message).to_contain_text("not available")
    page.screenshot(path=tmp_path / "review-3d.png")
    assert not traffic.foreign, f"requests left the server: {traffic.foreign[:5]}"
    assert not traffic.errors, f"JavaScript errors: {traffic.errors}"


def test_without_webgl_the_view_says_so(live_server, plan_3d, tmp_path):
    """A browser without WebGL gets a clear message, and the 2D map keeps working."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--disable-3d-apis", "--disable-webgl"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        traffic = Traffic(page, live_server.url)
        page.goto(f"{live_server.url}/map/")
        page.locator("#view3d-toggle").click()
        page.wait_for_function("window.__view3d && __view3d.state === 'failed'", timeout=WAIT)
        message = page.locator("#view3d .view3d-message")
        expect(message).to_contain_text("WebGL")
        expect(page.locator(".cesium-widget-errorPanel")).to_have_count(0)
        page.screenshot(path=tmp_path / "no-webgl.png")
        page.locator("#view3d-toggle").click()  # back to the 2D map
        expect(page.locator("#map")).to_be_visible()
        expect(page.locator("#view3d")).to_be_hidden()
        assert not traffic.foreign, f"requests left the server: {traffic.foreign[:5]}"
        browser.close()
