"""The web map draws a planner's draft from private vector tiles, in its category colour."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.webmap.test_browser import CHROMIUM, CHROMIUM_ARGS, matching_pixels

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
GD = (0xFF, 0x9E, 0xCF)  # education, in the seeded catalogue
ALPHA = 0.75  # drafts are filled at 75 % over the white map background


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def blended(colour: tuple[int, int, int]) -> tuple[int, int, int]:
    return tuple(round(ALPHA * c + (1 - ALPHA) * 255) for c in colour)  # type: ignore[return-value]


def signed_in_page(browser: Browser, live_server, client, user):
    client.force_login(user)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    host = live_server.url.split("//", 1)[1].split(":")[0]
    cookie = client.cookies["sessionid"].value
    context.add_cookies([{"name": "sessionid", "value": cookie, "domain": host, "path": "/"}])
    return context, context.new_page()


def test_draft_is_drawn_from_vector_tiles_in_its_category_colour(
    live_server,
    draft_plan,
    planner,
    browser,
    client,
    tmp_path,
):
    context, page = signed_in_page(browser, live_server, client, planner)
    tiles: list[tuple[str, int, str]] = []
    page.on(
        "response",
        lambda r: (
            "/vtiles/" in r.url
            and tiles.append((r.url, r.status, r.headers.get("cache-control", "")))
        ),
    )
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/map/?revision={draft_plan.pk}")
    page.wait_for_function(
        "planningMap.getAllLayers().some(l => l.get('revisionId')"
        " && l.getFeaturesInExtent(planningMap.getView().calculateExtent())"
        "      .some(f => f.get('category') === 'GD'))",
        timeout=20_000,
    )
    drawn: list[tuple[int, int]] = []
    for _ in range(20):  # the catalogue colours may arrive after the first render
        shot = page.locator("#map").screenshot(path=tmp_path / "draft-mvt.png")
        drawn = matching_pixels(shot, blended(GD))
        if len(drawn) > 200:
            break
        page.wait_for_timeout(250)
    context.close()

    assert not errors, errors
    assert tiles, "the draft was not loaded from /vtiles"
    assert all(
        f"revision={draft_plan.pk}" in url and "/vtiles/plans/" in url for url, _, _ in tiles
    )
    assert all(status == 200 for _, status, _ in tiles), tiles
    assert all(cache == "private, no-store" for _, _, cache in tiles), tiles
    assert len(drawn) > 200, f"draft colour missing ({tmp_path})"
