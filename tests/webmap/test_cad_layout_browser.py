"""QA findings on the CAD import page and the project page, in a real Chromium against a
live server and the real PostGIS (issue #3, QA4 findings 4, 8 and 9 and the page's cosmetic
ones): the page at phone width, Convert while a control point is wrong, the layer table at
1366 px, and the "New revision" button that leads a planner to a new draft's CAD page.

Needs the built front end (``npm --prefix webmap/frontend run build``).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from planning.models import Feature, Layer, Revision, RevisionState
from tests.cad.big_drawings import BIG_MAPPING, many_lots
from tests.cad.drawings import E0, N0, plan_drawing
from tests.webmap.test_cad_browser import (
    WAIT,
    choose_drawing,
    fill_control_points,
    hue_option,
    reinspect,
    select_kind,
    start_worker,
    wait_for_job_state,
)
from tests.webmap.test_review_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}

# Every kind select, its box, and whether its chosen label fits inside it (canvas measure in
# the select's own font; 20 px for the arrow and the padding).
SELECT_BOXES = """() => [...document.querySelectorAll('#cad-layers select.kind-select')].map((s) => {
  const box = s.getBoundingClientRect();
  const context = document.createElement('canvas').getContext('2d');
  context.font = getComputedStyle(s).font;
  const text = context.measureText(s.selectedOptions[0].textContent).width;
  return {layer: s.dataset.cadLayer, left: box.left, right: box.right, fits: text + 20 <= box.width};
})"""

# Layer names whose parts (between the <wbr> the page puts after _ - .) are split over two
# lines: each part's text must lie on one line.
BROKEN_NAMES = """() => [...document.querySelectorAll('#cad-layers .layer-title')].filter((title) =>
  [...title.childNodes].filter((node) => node.nodeType === Node.TEXT_NODE).some((node) => {
    const range = document.createRange();
    range.selectNodeContents(node);
    return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size > 1;
  })).map((title) => title.textContent)"""


def open_cad(
    browser, live_server, revision: Revision, viewport: dict, locale: str = "en-GB"
) -> Page:
    path = f"/revisions/{revision.pk}/cad/"
    page = sign_in(browser, live_server, "planner_t", "pw-planner-test", path, locale)
    page.set_viewport_size(viewport)
    page.wait_for_selector("body[data-cad-ready='true']", timeout=WAIT)
    return page


def convert(page: Page) -> None:
    page.click("#cad-start")
    wait_for_job_state(page, "queued running")
    worker = start_worker()
    assert wait_for_job_state(page, "succeeded failed cancelled") == "succeeded", page.inner_text(
        "#job-message"
    )
    worker.join(60)


def test_the_cad_page_is_usable_at_phone_width(live_server, browser, draft_plan, tmp_path):
    """One column at full width, every mapping select reachable, nothing wider than the
    screen; clicking a report entry brings the map (above the panel) into view."""
    page = open_cad(browser, live_server, draft_plan, PHONE)
    choose_drawing(page, plan_drawing(tmp_path / "plan.dxf"))
    reinspect(page, lambda: page.select_option("#cad-crs", hue_option(page)))
    page.select_option("#cad-encoding", "tcvn3")
    panel = page.locator(".cad-panel").bounding_box()
    assert panel
    assert panel["width"] >= 380, panel  # not squeezed beside a blank column
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    selects = page.evaluate(SELECT_BOXES)
    assert len(selects) >= 5
    for box in selects:
        assert box["left"] >= 0, box
        assert box["right"] <= PHONE["width"], box
    select_kind(page, "KHUNG_TEN", "ignore")  # reachable and usable
    page.click("#control-points summary")  # the control points' table fits too
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=tmp_path / "phone-mapping.png", full_page=True)

    convert(page)
    entry = page.locator("[data-group='unclosed'] .report-entry button").first
    entry.scroll_into_view_if_needed()
    assert page.locator("#map").evaluate("(m) => m.getBoundingClientRect().bottom") < 0
    entry.click()
    page.wait_for_timeout(300)
    top, bottom = page.locator("#map").evaluate(
        "(m) => { const r = m.getBoundingClientRect(); return [r.top, r.bottom]; }"
    )
    assert top >= -1, (top, bottom)  # the map is in view
    assert bottom <= PHONE["height"] + 1, (top, bottom)
    assert page.evaluate("planningCad.selectedIssue()"), "the entry is not selected on the map"
    page.screenshot(path=tmp_path / "phone-after-click.png")
    assert not page.js_errors, page.js_errors  # type: ignore[attr-defined]


def test_the_layer_table_at_1366_px(live_server, browser, draft_plan, tmp_path):
    """Beside the map as before; the kind labels are not cut, layer names wrap only at their
    parts, and the CRS select has the other selects' font. In Vietnamese: the longest labels
    ("Lô đất và khu chức năng sử dụng đất")."""
    page = open_cad(browser, live_server, draft_plan, LAPTOP, "vi-VN")
    choose_drawing(page, plan_drawing(tmp_path / "plan.dxf"))
    for name in ("QH_RANHGIOI_LO", "QH_HATCH", "QH_KYHIEU_LO"):
        assert page.locator(f"select.kind-select[data-cad-layer='{name}']").input_value() == (
            "landuse"
        )
    panel = page.locator(".cad-panel").bounding_box()
    map_box = page.locator("#map").bounding_box()
    assert panel
    assert map_box
    assert map_box["x"] >= panel["x"] + panel["width"] - 1  # side by side
    for box in page.evaluate(SELECT_BOXES):
        assert box["fits"], box
        assert box["right"] <= panel["x"] + panel["width"], box
    page.locator("#cad-layers").screenshot(path=tmp_path / "laptop-mapping.png")
    assert page.evaluate(BROKEN_NAMES) == []
    fonts = page.evaluate(
        "['#cad-crs', '#cad-encoding'].map((s) => getComputedStyle(document.querySelector(s))"
        ".fontSize)"
    )
    assert fonts[0] == fonts[1], fonts
    assert not page.js_errors, page.js_errors  # type: ignore[attr-defined]


def test_convert_waits_while_a_control_point_is_wrong(live_server, browser, draft_plan, tmp_path):
    """A typo in a true coordinate: the server's error is shown and Convert is disabled until
    the points are right again."""
    page = open_cad(browser, live_server, draft_plan, LAPTOP)
    choose_drawing(page, many_lots(tmp_path / "local.dxf", 20, origin=(0.0, 0.0)))
    reinspect(page, lambda: page.select_option("#cad-crs", hue_option(page)))
    for name, kind in BIG_MAPPING.items():
        select_kind(page, name, kind)
    assert page.is_enabled("#cad-start")
    page.click("#control-points summary")
    typo = [[0, 0, E0, N0], [120, 0, E0 * 10, N0]]  # one digit too many in E
    fill_control_points(page, typo)
    alert = page.locator("#cad-status[role='alert']")
    expect(alert).to_contain_text("metres per drawing unit", timeout=WAIT)
    expect(page.locator("#cad-start")).to_be_disabled()
    select_kind(page, "LOTS", "roads")  # another choice does not lift the block
    expect(page.locator("#cad-start")).to_be_disabled()

    reinspect(page, lambda: fill_control_points(page, [[0, 0, E0, N0], [120, 0, E0 + 120, N0]]))
    expect(alert).to_be_hidden()
    expect(page.locator("#cad-start")).to_be_enabled()
    assert not page.js_errors, page.js_errors  # type: ignore[attr-defined]


def test_a_planner_starts_a_new_revision_from_the_plan_in_force(
    live_server, browser, plan_in_force
):
    """The project page's "New revision": a draft based on the revision in force (its layers
    copied), then its CAD import page."""
    project = plan_in_force.project
    path = f"/projects/{project.pk}/"
    page = sign_in(browser, live_server, "planner_t", "pw-planner-test", path)
    page.wait_for_selector("body[data-page-ready='true']", timeout=WAIT)
    button = page.locator("button[data-new-revision]")
    expect(button).to_have_attribute("data-based-on", str(plan_in_force.pk))
    button.click()
    page.wait_for_selector("body[data-cad-ready='true']", timeout=WAIT)
    draft = Revision.objects.get(project=project, number=plan_in_force.number + 1)
    assert page.url == f"{live_server.url}/revisions/{draft.pk}/cad/"
    assert draft.state == RevisionState.DRAFT
    assert draft.based_on_id == plan_in_force.pk
    copied = Layer.objects.get(revision=draft, kind="landuse")
    assert Feature.objects.filter(layer=copied).count() == 2
    assert not page.js_errors, page.js_errors  # type: ignore[attr-defined]
