"""The raster upload page in a real Chromium against a live server, real PostGIS and a real
Procrastinate worker (in-process): the planner uploads a GeoTIFF, the page answers at once
with the queued job, shows its progress and Cancel while it runs, then the result, whose
link opens the raster's page.

Needs the built front end (``npm --prefix webmap/frontend run build``).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import rasterio
from playwright.sync_api import expect

from planning.models import Job
from rasters.gdal_env import safe_env
from rasters.models import RasterLayer
from tests.rasters.conftest import SAMPLES, pattern
from tests.rasters.test_raster_jobs import _lock_revision
from tests.webmap.conftest import browser as browser  # fixture
from tests.webmap.test_cad_browser import start_worker
from tests.webmap.test_review_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WAIT = 30_000


def test_upload_shows_progress_then_the_raster(live_server, browser, draft_plan, tmp_path):
    path = f"/revisions/{draft_plan.pk}/rasters/"
    page = sign_in(browser, live_server, "planner_t", "pw-planner-test", path)
    page.set_input_files("#id_file", str(SAMPLES / "rgbsmall.tif"))
    page.fill("#id_name", "Ảnh quét 1998")
    page.click("#raster-submit")
    page.wait_for_url(f"{live_server.url}{path}?job=*")
    page.wait_for_selector("body[data-job-state='queued']", timeout=WAIT)
    expect(page.locator("#job-cancel")).to_be_visible()
    assert not RasterLayer.objects.exists()  # the request only queued the conversion

    lock = _lock_revision(draft_plan.pk)  # holds the job before it saves, whatever the speed
    try:
        worker = start_worker()
        page.wait_for_function(
            "document.body.dataset.jobState === 'running'"
            " && document.getElementById('job-progress').value >= 90",
            timeout=WAIT,
        )
        expect(page.locator("#job-message")).to_contain_text("Saving")
        expect(page.locator("#job-cancel")).to_be_visible()
        page.screenshot(path=tmp_path / "progress.png")
    finally:
        lock.rollback()
        lock.close()
    page.wait_for_selector("body[data-job-state='succeeded']", timeout=WAIT)
    worker.join(60)
    raster = RasterLayer.objects.get(revision=draft_plan)
    assert Job.objects.get(revision=draft_plan).result["raster"] == raster.pk
    status = page.locator("#raster-job-status")
    expect(status).to_contain_text("“Ảnh quét 1998” is imported")
    # rgbsmall.tif lies in UTM zone 11 (California): imported, but not as a plain success
    expect(status).to_have_class("alert alert-warning")
    expect(status).to_contain_text("The raster lies outside Viet Nam")
    expect(page.locator("#job-cancel")).to_be_hidden()
    expect(page.locator("#result-map")).to_have_attribute("href", f"/map/?revision={draft_plan.pk}")
    page.screenshot(path=tmp_path / "result.png")

    page.click("#result-raster")
    page.wait_for_url(f"{live_server.url}/rasters/{raster.pk}/georeference/")
    expect(page.locator("h1")).to_contain_text("Ảnh quét 1998")
    expect(page.locator("#georef-outside")).to_contain_text("Outside Viet Nam")
    assert not page.js_errors, page.js_errors  # type: ignore[attr-defined]


def world_file_scan(folder: Path) -> Path:
    """scan.png zipped with its world file (scan.pgw, 0.5 m pixels near Hue) and no .prj."""
    profile = {"driver": "PNG", "width": 40, "height": 30, "count": 3, "dtype": "uint8"}
    with safe_env(), rasterio.open(folder / "scan.png", "w", **profile) as out:
        out.write(pattern(40, 30))
    (folder / "scan.pgw").write_text("0.5\n0\n0\n-0.5\n561700\n1821500\n")
    upload = folder / "scan.zip"
    with zipfile.ZipFile(upload, "w") as archive:
        for name in ("scan.png", "scan.pgw"):
            archive.write(folder / name, name)
    return upload


def test_a_failed_import_says_why_once(live_server, browser, draft_plan, tmp_path):
    """A scan with a world file but no CRS fails. The page used to give the reason twice:
    under the progress bar after the state, and again in the alert below. Now the line
    gives the state, the alert the reason."""
    path = f"/revisions/{draft_plan.pk}/rasters/"
    page = sign_in(browser, live_server, "planner_t", "pw-planner-test", path)
    page.set_input_files("#id_file", str(world_file_scan(tmp_path)))
    page.click("#raster-submit")
    page.wait_for_url(f"{live_server.url}{path}?job=*")
    worker = start_worker()
    page.wait_for_selector("body[data-job-state='failed']", timeout=WAIT)
    worker.join(60)
    reason = Job.objects.get(revision=draft_plan).message
    assert "names no coordinate reference system" in reason
    status = page.locator("#raster-job-status")
    expect(status).to_have_text(reason)
    expect(status).to_have_attribute("role", "alert")
    expect(page.locator("#job-message")).to_have_text("The conversion failed.")
    assert page.locator("#raster-job").inner_text().count(reason) == 1
    assert not RasterLayer.objects.exists()
    assert not page.js_errors, page.js_errors  # type: ignore[attr-defined]
