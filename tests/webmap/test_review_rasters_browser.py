"""The review page in Chromium: a reviewer sees the submitted revision's georeferenced scan
on the review map (drawn by the private WMS), lists it under the revision's rasters, and
hides it with its checkbox or its opacity slider; labels follow the page's language.

Needs the built front end (``npm --prefix webmap/frontend run build``) and the map services.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from pyproj import Transformer

from planning.actions import SubmitRevision
from planning.crs import proj4_for
from tests.rasters.conftest import SCAN_SIZE, SCAN_TRANSFORM, pattern, write_tiff
from tests.rasters.test_serving import _raster_plan
from tests.rasters.test_time import history as history  # fixture
from tests.webmap.conftest import browser as browser  # fixture
from tests.webmap.test_review_browser import WAIT, open_review, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("private_tile_cache"),
]
TO_3857 = Transformer.from_crs(proj4_for(9214), "EPSG:3857", always_xy=True)
SCAN = pattern(*SCAN_SIZE)[::-1].copy()  # bands reversed: red 60, green = row, blue = column
PROBES = [(60, 60), (200, 150), (330, 230)]  # scan pixels (col, row)
CLOSE, FAR = 16, 40


@pytest.fixture
def submitted_scan(planner, reviewer, tmp_path):
    path = write_tiff(tmp_path / "plan.tif", SCAN, transform=SCAN_TRANSFORM, crs="EPSG:9214")
    raster = _raster_plan(planner, reviewer, path, "scan-review", approve=False)
    SubmitRevision(user=planner, revision=raster.revision).execute()
    return raster


def _fit_scan(page: Page) -> None:
    t = SCAN_TRANSFORM
    width, height = SCAN_SIZE
    extent = [
        *TO_3857.transform(t.c, t.f - height * 0.5),
        *TO_3857.transform(t.c + width * 0.5, t.f),
    ]
    page.evaluate("(e) => planningReview.map.getView().fit(e, {padding: [40, 40, 40, 40]})", extent)


def _pixel_of(page: Page, col: int, row: int) -> tuple[int, int]:
    x, y = SCAN_TRANSFORM @ (col + 0.5, row + 0.5)
    px, py = page.evaluate(
        "(c) => planningReview.map.getPixelFromCoordinate(c)", list(TO_3857.transform(x, y))
    )
    return round(px), round(py)


def _render(page: Page) -> np.ndarray:
    page.evaluate("document.getElementById('map').dataset.rendered = '0'")
    page.evaluate("planningReview.map.render()")
    page.wait_for_function("Number(document.getElementById('map').dataset.rendered || 0) > 0")
    page.wait_for_timeout(300)
    shot = page.locator("#map").screenshot()
    return np.asarray(Image.open(io.BytesIO(shot)).convert("RGB")).astype(int)


def _distances(page: Page, image: np.ndarray, scan: np.ndarray = SCAN) -> list[int]:
    """How far the map's colour is from the scan's at each probe (max channel difference)."""
    found = []
    for col, row in PROBES:
        x, y = _pixel_of(page, col, row)
        colour = np.median(image[y - 2 : y + 3, x - 2 : x + 3].reshape(-1, 3), axis=0)
        found.append(int(np.abs(colour - scan[:, row, col]).max()))
    return found


def test_reviewer_sees_the_revision_raster_and_hides_it(
    live_server, browser, reviewer, submitted_scan, tmp_path
):
    revision = submitted_scan.revision
    path = f"/revisions/{revision.pk}/review/"
    page = sign_in(browser, live_server, "reviewer_t", "pw-reviewer-test", path)
    open_review(page, live_server, revision.pk)
    section = page.locator("#review-rasters")
    expect(section).to_be_visible(timeout=WAIT)
    expect(section.locator("h2")).to_have_text("Rasters")
    expect(section.locator(".raster-group h3")).to_have_text(["Rasters of this revision"])
    row = section.locator(f"[data-raster='{submitted_scan.pk}']")
    expect(row).to_contain_text("scan-review")
    expect(row.locator(".badge-draft")).to_have_text("not in force")

    _fit_scan(page)
    row.locator("input.raster-opacity").fill("100")
    image = _render(page)
    Image.fromarray(image.astype("uint8")).save(tmp_path / "shown.png")
    assert max(_distances(page, image)) <= CLOSE, "the scan is not on the map"

    row.locator("input[type=checkbox]").first.uncheck()
    assert min(_distances(page, _render(page))) > FAR, "hidden, the scan is still drawn"

    row.locator("input[type=checkbox]").first.check()
    assert max(_distances(page, _render(page))) <= CLOSE
    row.locator("input.raster-opacity").fill("0")
    assert min(_distances(page, _render(page))) > FAR, "at opacity 0, the scan is still drawn"
    assert not page.js_errors, page.js_errors  # type: ignore[attr-defined]
    page.context.close()


def test_labels_in_vietnamese(live_server, browser, reviewer, submitted_scan):
    revision = submitted_scan.revision
    path = f"/revisions/{revision.pk}/review/"
    page = sign_in(browser, live_server, "reviewer_t", "pw-reviewer-test", path, locale="vi-VN")
    open_review(page, live_server, revision.pk)
    section = page.locator("#review-rasters")
    expect(section.locator("h2")).to_have_text("Lớp ảnh", timeout=WAIT)
    expect(section.locator(".raster-group h3")).to_have_text(["Các lớp ảnh của phiên bản này"])
    row = section.locator(f"[data-raster='{submitted_scan.pk}']")
    expect(row.locator(".badge-draft")).to_have_text("chưa có hiệu lực")
    expect(row.locator("input.raster-opacity")).to_have_attribute(
        "aria-label", "Độ đục: scan-review (scan-review)"
    )
    _render(page)  # let the raster's tiles finish before the database is flushed
    page.context.close()


def test_outsider_page_shows_no_raster(live_server, browser, outsider, submitted_scan):
    """The review page itself is 404 for an outsider: nothing of the raster reaches them."""
    page = sign_in(browser, live_server, "outsider_t", "pw-outsider-test", "/map/")
    response = page.goto(f"{live_server.url}/revisions/{submitted_scan.revision_id}/review/")
    assert response is not None
    assert response.status == 404
    assert submitted_scan.layer_name not in page.content()
    assert page.locator("#review-rasters").count() == 0
    page.context.close()


def test_superseded_revision_shows_its_own_scan(live_server, browser, reviewer, history):
    """The review page of a revision a later approval superseded draws that revision's scan
    as it was while in force (WMS with TIME), not the scan in force now."""
    page = sign_in(browser, live_server, "reviewer_t", "pw-reviewer-test", "/map/")
    open_review(page, live_server, history.old.revision_id)
    section = page.locator("#review-rasters")
    row = section.locator(f"[data-raster='{history.old.pk}']")
    expect(row).to_contain_text("old scan", timeout=WAIT)
    new_row = section.locator(f"[data-raster='{history.new.pk}']")
    new_row.locator("input[type=checkbox]").first.uncheck()  # only the revision's own scan
    _fit_scan(page)
    row.locator("input.raster-opacity").fill("100")
    image = _render(page)
    old_scan = pattern(*SCAN_SIZE)
    assert max(_distances(page, image, old_scan)) <= CLOSE, "the superseded scan is not drawn"
    assert not page.js_errors, page.js_errors  # type: ignore[attr-defined]
    page.context.close()
