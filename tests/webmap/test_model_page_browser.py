"""The 3D model page in a real Chromium against a live server and real PostGIS: a planner
signs in, goes from the project page to the 3D model page, uploads a CityJSON building, reads
the report and follows its link to the revision's 3D view, whose tileset now holds it.

Needs the built front end (``npm --prefix webmap/frontend run build``) for the review page.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Browser, FilePayload, expect

from planning.models import Feature, Revision
from tests.threed.test_models3d import cityjson
from tests.webmap.test_review_browser import sign_in
from threed.testing import make_3d_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAIT = 30_000


@pytest.fixture(autouse=True)
def _private_var_dir(settings, tmp_path):
    """3D Tiles are built on request into PLANNING_VAR_DIR: keep them per test."""
    settings.PLANNING_VAR_DIR = tmp_path / "var"


@pytest.fixture
def draft(planner, reviewer) -> Revision:
    return make_3d_plan(planner, reviewer, code="model-page", columns=1, rows=1, approve=False)


def test_project_page_to_3d_model_to_3d_view(live_server, browser: Browser, draft, tmp_path):
    project_path = f"/projects/{draft.project_id}/"
    page = sign_in(browser, live_server, "planner_t", "pw-planner-test", project_path)

    page.click(f"[data-model3d='{draft.pk}']")
    page.wait_for_url(f"{live_server.url}/revisions/{draft.pk}/models/")
    expect(page.locator("h1")).to_have_text("Add a 3D model")
    page.fill("input[name=name]", "Khối nhà 3D")
    model = json.dumps(cityjson()).encode()
    house = FilePayload(name="house.json", mimeType="application/json", buffer=model)
    page.set_input_files("input[name=file]", files=[house])
    page.screenshot(path=tmp_path / "model-form.png", full_page=True)
    page.click("#model-submit")

    loaded = page.locator("#upload-loaded")
    expect(loaded).to_contain_text("1 feature was loaded into layer “Khối nhà 3D”.", timeout=WAIT)
    assert Feature.objects.filter(layer__revision=draft, layer__name="Khối nhà 3D").count() == 1
    page.screenshot(path=tmp_path / "model-result.png", full_page=True)

    page.click("#view3d-link")
    page.wait_for_url(f"{live_server.url}/revisions/{draft.pk}/review/")
    expect(page.locator("#view3d-toggle")).to_be_visible(timeout=WAIT)
    config = json.loads(page.locator("#view3d-config").text_content() or "{}")
    primary = next(tileset for tileset in config["tilesets"] if tileset["primary"])
    assert primary["url"] == f"/3dtiles/revisions/{draft.pk}/tileset.json"
    tileset = page.request.get(f"{live_server.url}{primary['url']}")  # the planner's session
    assert tileset.status == 200
    assert not page.js_errors, page.js_errors  # type: ignore[attr-defined]
