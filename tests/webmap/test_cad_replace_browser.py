"""The CAD page of a new revision names the layers it copied that the mapping's kinds would
double, offers to replace them (checked), and the report says what was replaced. The job
replaces only the layers the page listed; the box takes its default again once the listed
layers change (after a conversion) and when another file is chosen, so a tick given for
part A of a plan does not remove part A when part B is converted.

Needs the built front end (``npm --prefix webmap/frontend run build``).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from planning.actions import CreateRevision
from planning.models import Job, Layer
from tests.cad.drawings import MAPPING, plan_drawing
from tests.webmap.test_cad_browser import (
    WAIT,
    choose_drawing,
    hue_option,
    reinspect,
    select_kind,
    start_worker,
    wait_for_job_state,
)
from tests.webmap.test_review_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_copied_lots_are_named_and_replaced(
    live_server, browser, planner, plan_in_force, tmp_path
):
    draft = CreateRevision(
        user=planner, project=plan_in_force.project, based_on=plan_in_force
    ).execute()
    copied = Layer.objects.get(revision=draft, kind="landuse")
    page = sign_in(
        browser, live_server, "planner_t", "pw-planner-test", f"/revisions/{draft.pk}/cad/"
    )
    page.wait_for_selector("body[data-cad-ready='true']", timeout=WAIT)
    notice = page.locator("#existing-layers")
    expect(notice).to_be_hidden()  # no mapping yet
    choose_drawing(page, plan_drawing(tmp_path / "plan.dxf"))
    reinspect(page, lambda: page.select_option("#cad-crs", hue_option(page)))
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("This draft already has layers of the kinds")
    item = notice.locator(f"li[data-layer-id='{copied.pk}']")
    expect(item).to_have_text(
        f"Land-use lots and zones: “Lots” (copied from revision {plan_in_force.number}, 2 features)"
    )
    checkbox = item.locator("input.replace-layer")
    expect(checkbox).to_be_checked()  # a copy: ticked by default
    for name in MAPPING:  # nothing of that kind mapped: nothing to replace, nothing said
        select_kind(page, name, "ignore")
    expect(notice).to_be_hidden()
    for name, kind in MAPPING.items():
        select_kind(page, name, kind)
    expect(notice).to_be_visible()
    expect(checkbox).to_be_checked()
    # a colleague's import after the page listed the draft: not listed, so not replaced
    colleague = Layer.objects.create(
        revision=draft, kind="landuse", name="Colleague", created_by=planner
    )

    page.click("#cad-start")
    assert wait_for_job_state(page, "queued running succeeded failed") == "queued"
    worker = start_worker()
    assert wait_for_job_state(page, "succeeded failed cancelled") == "succeeded"
    worker.join(60)
    assert Job.objects.get(revision=draft).params["replace_layer_ids"] == [copied.pk]
    replaced = page.locator("#report-replaced")
    expect(replaced).to_contain_text("Replaced layers")
    expect(replaced).to_contain_text("“Lots” (copied from revision")
    expect(page.locator("#report-kept")).to_contain_text("“Colleague”")
    assert list(Layer.objects.filter(revision=draft).values_list("pk", "source_name")) == [
        (colleague.pk, ""),
        (Layer.objects.get(revision=draft, source_name="plan.dxf").pk, "plan.dxf"),
    ]
    # the page now knows the draft as it is: the imported layer, no longer the copy, and
    # the box unticked at once (only the planner's own import listed: part A stays)
    expect(notice.locator(f"li[data-layer-id='{copied.pk}']")).to_have_count(0)
    expect(notice).to_contain_text("plan – ")
    # the colleague's layer the job kept is listed now, unticked (not a copy)
    expect(notice.locator(f"li[data-layer-id='{colleague.pk}'] input")).not_to_be_checked()
    own = notice.locator("input.replace-layer").last
    expect(own).not_to_be_checked()  # the planner's own import: part A stays by default
    own.check()  # ticked for this file; another file (part B) starts from the defaults
    choose_drawing(page, plan_drawing(tmp_path / "part-b.dxf"))
    expect(notice).to_be_visible()
    expect(own).not_to_be_checked()
    # the planner's tick is kept while the mapping changes the list
    own.check()
    select_kind(page, next(iter(MAPPING)), "ignore")
    for name, kind in MAPPING.items():
        select_kind(page, name, kind)
    expect(notice.locator("input.replace-layer").last).to_be_checked()
    assert not page.js_errors, page.js_errors  # type: ignore[attr-defined]
