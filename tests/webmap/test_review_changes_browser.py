"""The review page's "Changes" comparison (QA walk):
- an answer to a sent-back revision is compared, by default, with the plan in force its
  approval would replace, and at one choice in the toolbar with the revision it answers (the
  board saw only "Compared with Revision 2 · Changes requested — Attributes changed (1)",
  never what the approval changes); a revision answering the plan in force has no choice;
- what another project's approval superseded is not "Removed" by the amendment: the legend
  lists it apart, by that approval.

Needs the built front end (``npm --prefix webmap/frontend run build``).
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.contrib.gis.geos import LineString
from playwright.sync_api import Page, expect

from planning.actions import CreateRevision
from planning.models import Feature, Layer, Revision
from planning.workflow import RequestChanges, SubmitRevision
from tests.conftest import HUE_X, HUE_Y, make_plan, square
from tests.webmap.test_review_browser import open_review, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAIT = 30_000


@pytest.fixture
def approver(db) -> User:
    return User.objects.create_user("approver_cmp", password="pw-approver-cmp")


@pytest.fixture
def chain(planner, approver) -> dict[str, Revision]:
    """r1 in force (lot A1); r2 adds green lot A2 and is sent back; r3 answers r2 with A2
    turned into an education lot."""
    r1 = make_plan(planner, approver, "answers", [
        (square(HUE_X, HUE_Y, 100), {"code": "A1", "function": "DO"}),
    ], approve=True)  # fmt: skip
    r2 = CreateRevision(user=planner, project=r1.project, based_on=r1).execute()
    Feature.objects.create(
        layer=Layer.objects.get(revision=r2),
        geom=square(HUE_X + 100, HUE_Y, 100),
        attributes={"code": "A2", "function": "CX"},
        category="CX",
    )
    SubmitRevision(user=planner, revision=r2).execute()
    RequestChanges(user=approver, revision=r2, note="A2 is a school.").execute()
    r3 = CreateRevision(user=planner, project=r1.project, based_on=r2).execute()
    Feature.objects.filter(layer__revision=r3, attributes__code="A2").update(
        attributes={"code": "A2", "function": "GD"}, category="GD"
    )
    SubmitRevision(user=planner, revision=r3).execute()
    return {"r1": r1, "r2": r2, "r3": r3}


def legend_count(page: Page, change: str):
    return page.locator(f"#change-legend [data-change='{change}']")


def test_an_answer_compares_with_the_plan_in_force_or_the_answered_revision(
    browser, live_server, chain
):
    path = f"/revisions/{chain['r3'].pk}/review/"
    page = sign_in(browser, live_server, "approver_cmp", "pw-approver-cmp", path)
    open_review(page, live_server, chain["r3"].pk)
    choice = page.locator("#compare-against")
    expect(choice).to_be_visible()
    expect(choice.locator("option")).to_have_count(2)
    # What the approval changes comes first: A2 is new against the plan in force.
    expect(choice).to_have_value(str(chain["r1"].pk))
    expect(choice.locator("option:checked")).to_have_text("the plan in force (Revision 1)")
    page.check("input[name=compare][value=changes]", force=True)
    expect(legend_count(page, "added")).to_have_text("Added (1)", timeout=WAIT)
    expect(legend_count(page, "attributes")).to_have_text("Attributes changed (0)")

    # What changed since the change request: A2's function only.
    choice.select_option(str(chain["r2"].pk))
    expect(legend_count(page, "attributes")).to_have_text("Attributes changed (1)", timeout=WAIT)
    expect(legend_count(page, "added")).to_have_text("Added (0)")
    assert page.evaluate("planningReview.layers.changes.getSource().getFeatures().length") == 1
    page.check("input[name=compare][value=swipe]", force=True)
    expect(page.locator("#swipe-labels .swipe-right")).to_have_text("Revision 2")
    assert page.evaluate("planningReview.layers.baseline.get('revisionId')") == chain["r2"].pk

    choice.select_option(str(chain["r1"].pk))
    expect(page.locator("#swipe-labels .swipe-right")).to_have_text("Revision 1")
    page.check("input[name=compare][value=changes]", force=True)
    expect(legend_count(page, "added")).to_have_text("Added (1)", timeout=WAIT)

    # r2 answers the plan in force itself: nothing to choose.
    open_review(page, live_server, chain["r2"].pk)
    expect(page.locator("#compare-against")).to_have_count(0)
    expect(page.locator("#compare-note")).to_contain_text("Compared with Revision 1")
    assert not page.js_errors
    page.context.close()


def test_what_another_approval_superseded_is_listed_apart(browser, live_server, planner, approver):
    plan = make_plan(planner, approver, "keep", [
        (square(HUE_X, HUE_Y, 100), {"code": "K1", "function": "DO"}),
        (square(HUE_X + 200, HUE_Y, 100), {"code": "K2", "function": "DO"}),
    ], approve=True)  # fmt: skip
    Feature.objects.create(
        layer=Layer.objects.create(
            revision=plan, kind="redlines", name="Red lines", created_by=planner
        ),
        geom=LineString((HUE_X + 200, HUE_Y + 100), (HUE_X + 300, HUE_Y + 100), srid=9214),
        attributes={"name": "red line of K2"},
    )
    make_plan(planner, approver, "school", [
        (square(HUE_X + 210, HUE_Y + 10, 80), {"code": "S1", "function": "GD"}),
    ], approve=True)  # fmt: skip
    amendment = CreateRevision(user=planner, project=plan.project, based_on=plan).execute()

    path = f"/revisions/{amendment.pk}/review/"
    page = sign_in(browser, live_server, "planner_t", "pw-planner-test", path)
    open_review(page, live_server, amendment.pk)
    page.check("input[name=compare][value=changes]", force=True)
    superseded = legend_count(page, "superseded")
    expect(superseded).to_have_text("Superseded by school (1/QĐ-UBND) (2)", timeout=WAIT)
    expect(legend_count(page, "removed")).to_have_text("Removed (0)")
    assert not page.js_errors
    page.context.close()
