"""A web map of another site reads the services with fetch() in a real Chromium (CORS)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Browser
from rest_framework.authtoken.models import Token

from tests.conftest import HUE_X, HUE_Y
from tests.tiles.helpers import to_3857, xyz_tile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PORTAL_PAGE = b"<!doctype html><html><head><title>Portal</title></head><body></body></html>"

# Runs in the portal's page: what a city operations centre's web map would do.
FETCH_SERVICES = """async ([base, tilePath, token]) => {
    const items = await fetch(`${base}/ogcapi/collections/landuse/items?f=json`);
    const collection = await items.json();
    const tile = await fetch(`${base}${tilePath}`);
    const bytes = (await tile.arrayBuffer()).byteLength;
    // A header outside the CORS safelist: the browser sends a preflight first.
    const withToken = await fetch(`${base}/ogcapi/collections/landuse/items?f=json`, {
        headers: {Authorization: `Token ${token}`},
    });
    const privateCollection = await withToken.json();
    return {
        origin: location.origin,
        itemsStatus: items.status,
        features: collection.features.length,
        tileStatus: tile.status,
        tileType: tile.headers.get("Content-Type"),
        tileEtag: tile.headers.get("ETag"),
        tileBytes: bytes,
        tokenStatus: withToken.status,
        tokenFeatures: privateCollection.features.length,
    };
}"""


class _PortalPage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PORTAL_PAGE)))
        self.end_headers()
        self.wfile.write(PORTAL_PAGE)

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep the test output quiet


@pytest.fixture
def portal_origin() -> Iterator[str]:
    """A second origin (another host name and port than the live server's) with one page."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PortalPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(10)


def test_a_page_of_another_origin_reads_features_and_vector_tiles(
    live_server,
    plan_in_force,
    draft_plan,
    planner,
    private_tile_cache,
    portal_origin,
    browser: Browser,
):
    token, _ = Token.objects.get_or_create(user=planner)
    z = 16
    col, row, _ = xyz_tile(*to_3857(HUE_X + 50, HUE_Y + 50), z)
    page = browser.new_page()
    page.goto(f"{portal_origin}/")
    result = page.evaluate(
        FETCH_SERVICES, [live_server.url, f"/vtiles/plans/{z}/{col}/{row}.pbf", token.key]
    )
    assert result["origin"] == portal_origin != live_server.url
    assert result["itemsStatus"] == 200
    assert result["features"] == 2  # the plan in force
    assert result["tileStatus"] == 200
    assert result["tileType"] == "application/vnd.mapbox-vector-tile"
    assert result["tileEtag"]  # exposed to the page (Access-Control-Expose-Headers)
    assert result["tileBytes"] > 0
    assert result["tokenStatus"] == 200
    assert result["tokenFeatures"] == 3  # and the planner's draft, by token, not cookie
