"""In a real Chromium against a live server, real PostGIS and a real Procrastinate worker:
a double click on "Convert into the draft" starts one job and loads one set of layers; a
double click on the upload form imports the file once; a wrong layer is removed from the
draft on the project page, after a confirmation (a dismissed one changes nothing).

Needs the built front end (``npm --prefix webmap/frontend run build``).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from planning.models import AuditEvent, Feature, Job, Layer
from tests.cad.drawings import MAPPING, plan_drawing
from tests.webmap.test_cad_browser import (
    WAIT,
    choose_drawing,
    hue_option,
    reinspect,
    start_worker,
    wait_for_job_state,
)
from tests.webmap.test_review_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_double_click_on_convert_starts_one_job(live_server, browser, draft_plan, tmp_path):
    drawing = plan_drawing(tmp_path / "plan.dxf")
    path = f"/revisions/{draft_plan.pk}/cad/"
    page = sign_in(browser, live_server, "planner_t", "pw-planner-test", path)
    page.wait_for_selector("body[data-cad-ready='true']", timeout=WAIT)
    choose_drawing(page, drawing)
    reinspect(page, lambda: page.select_option("#cad-crs", hue_option(page)))
    requests: list[str] = []
    page.on(
        "request",
        lambda r: requests.append(r.method) if r.url.endswith("/cad/jobs/") else None,
    )
    page.dblclick("#cad-start")
    assert wait_for_job_state(page, "queued running") == "queued"
    page.locator("#cad-start").click(force=True)  # a third click, at the disabled button
    worker = start_worker()
    assert wait_for_job_state(page, "succeeded failed cancelled") == "succeeded"
    worker.join(60)
    page.locator("#cad-start").click(force=True)  # a late second click, after the import
    page.wait_for_timeout(500)

    assert requests == ["POST"]
    assert Job.objects.filter(revision=draft_plan).count() == 1
    layers = Layer.objects.filter(revision=draft_plan, source_name="plan.dxf")
    assert sorted(layers.values_list("kind", flat=True)) == sorted(
        set(MAPPING.values()) - {"ignore"}
    )
    # converted: the button stays disabled, with a hint, until the choices change
    expect(page.locator("#cad-start")).to_be_disabled()
    expect(page.locator("#cad-converted-hint")).to_be_visible()
    page.select_option("select.kind-select[data-cad-layer='KHUNG_TEN']", "annotation")
    expect(page.locator("#cad-start")).to_be_enabled()
    expect(page.locator("#cad-converted-hint")).to_be_hidden()
    assert not page.js_errors, page.js_errors  # type: ignore[attr-defined]


def test_a_double_click_on_upload_imports_once(live_server, browser, draft_plan, tmp_path):
    path = f"/revisions/{draft_plan.pk}/upload/"
    page = sign_in(browser, live_server, "planner_t", "pw-planner-test", path)
    page.wait_for_selector("body[data-page-ready='true']", timeout=WAIT)
    page.set_input_files("input[name=file]", str(plan_drawing(tmp_path / "plan.dxf")))
    page.select_option("select[name=kind]", "landuse")
    page.fill("input[name=name]", "Lots from CAD")
    page.fill("input[name=crs]", "EPSG:9214")
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    # A second click while the first request is on its way (the browser merges the two
    # clicks of a quick double click into one navigation, not a slower second click).
    page.evaluate(
        """() => { const button = document.getElementById('upload-submit');
                   button.click(); setTimeout(() => button.click(), 150); }"""
    )
    expect(page.locator("#upload-loaded")).to_have_attribute("data-loaded", "6", timeout=WAIT)
    expect(page.locator("h1")).to_have_text("Import report")
    assert len(posts) == 1, posts
    layers = Layer.objects.filter(revision=draft_plan, source_name="plan.dxf")
    assert list(layers.values_list("name", "feature_count")) == [("Lots from CAD", 6)]
    assert not page.js_errors, page.js_errors  # type: ignore[attr-defined]


def test_a_wrong_layer_is_removed_on_the_project_page(live_server, browser, planner, draft_plan):
    wrong = Layer.objects.create(
        revision=draft_plan, kind="roads", name="Imported twice", created_by=planner
    )
    keep = draft_plan.layers.exclude(pk=wrong.pk).get()
    path = f"/projects/{draft_plan.project_id}/"
    page = sign_in(browser, live_server, "planner_t", "pw-planner-test", path)
    page.wait_for_selector("body[data-page-ready='true']", timeout=WAIT)
    button = page.locator(f"button[data-remove-layer='{wrong.pk}']")
    messages: list[str] = []

    def answer(dialog, accept: bool) -> None:
        messages.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, False))
    button.click()
    expect(page.locator(f"tr[data-layer='{wrong.pk}']")).to_be_visible()
    assert "Imported twice" in messages[0]
    assert Layer.objects.filter(pk=wrong.pk).exists()  # dismissed: nothing happened

    page.once("dialog", lambda dialog: answer(dialog, True))
    button.click()
    expect(page.locator(f"tr[data-layer='{wrong.pk}']")).to_have_count(0, timeout=WAIT)
    expect(page.locator(".layer-status")).to_contain_text("“Imported twice” was removed")
    assert not Layer.objects.filter(pk=wrong.pk).exists()
    assert list(draft_plan.layers.all()) == [keep]
    assert Feature.objects.filter(layer=keep).count() == 1
    assert AuditEvent.objects.get(action="layer.remove").detail["layer"] == wrong.pk
    # the last layer: the table gives way to "no layers"
    page.once("dialog", lambda dialog: answer(dialog, True))
    page.locator(f"button[data-remove-layer='{keep.pk}']").click()
    expect(page.locator(f"#revision-{draft_plan.pk} [data-no-layers]")).to_be_visible(timeout=WAIT)
    assert not draft_plan.layers.exists()
    assert not page.js_errors, page.js_errors  # type: ignore[attr-defined]


def test_no_remove_button_once_submitted(live_server, browser, planner, draft_plan):
    from planning.actions import SubmitRevision

    SubmitRevision(user=planner, revision=draft_plan).execute()
    path = f"/projects/{draft_plan.project_id}/"
    page = sign_in(browser, live_server, "planner_t", "pw-planner-test", path, "vi-VN")
    page.wait_for_selector("body[data-page-ready='true']", timeout=WAIT)
    expect(page.locator(f"tr[data-layer='{draft_plan.layers.get().pk}']")).to_be_visible()
    expect(page.locator("button[data-remove-layer]")).to_have_count(0)
