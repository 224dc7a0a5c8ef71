"""Four eyes on the review page: the author of a revision who also sits on the board is not
offered the review and the decisions the API refuses them (403), and reads why; another
approver is offered them. The page asks the workflow's own check (webmap.reviewconfig)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from playwright.sync_api import Browser, expect

from planning.actions import SubmitRevision
from planning.models import Membership, Revision, RevisionState
from tests.conftest import HUE_X, HUE_Y, make_plan, square
from tests.webmap.test_review_browser import WAIT, open_review, sign_in, transition
from webmap import reviewconfig

NOTE = "You are the author of this revision: another approver must review it."
BOARD_ACTIONS = ["start-review", "approve", "request-changes", "reject"]


@pytest.fixture
def submitted(planner, reviewer) -> Revision:
    """planner_t wrote and submitted it and is also an approver of the project; reviewer_t is
    the project's other reviewer and approver (make_plan)."""
    lots = [(square(HUE_X, HUE_Y + 900, 100), {"code": "E1", "function": "DO"})]
    revision = make_plan(planner, reviewer, "four-eyes", lots, approve=False)
    Membership.objects.create(project=revision.project, user=planner, role="approver")
    return SubmitRevision(user=planner, revision=revision).execute()


def client_of(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def review_page(user: User, revision: Revision):
    response = client_of(user).get(f"/revisions/{revision.pk}/review/")
    assert response.status_code == 200
    return response


@pytest.mark.django_db
def test_the_context_offers_the_author_only_what_the_api_accepts(submitted, planner, reviewer):
    context = reviewconfig.page_context(planner, submitted)
    assert [b.action for b in context["buttons"]] == ["withdraw"]
    assert context["held_back_as_author"] is True
    assert context["config"]["transitions"] == ["withdraw"]
    assert context["config"]["authorHeldBack"] is True

    other = reviewconfig.page_context(reviewer, submitted)
    assert [b.action for b in other["buttons"]] == BOARD_ACTIONS
    assert other["held_back_as_author"] is False
    assert other["config"]["transitions"] == BOARD_ACTIONS

    # What the page withholds, the API refuses: the same rule.
    response = client_of(planner).post(
        f"/api/revisions/{submitted.pk}/start-review/", {}, content_type="application/json"
    )
    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.state == RevisionState.SUBMITTED


@pytest.mark.django_db
def test_staff_authors_are_held_back_too(submitted, admin_user_t):
    Revision.objects.filter(pk=submitted.pk).update(author=admin_user_t)
    submitted.refresh_from_db()
    context = reviewconfig.page_context(admin_user_t, submitted)
    assert [b.action for b in context["buttons"]] == ["withdraw"]
    assert context["held_back_as_author"] is True


@pytest.mark.django_db
def test_a_planner_without_a_board_role_gets_no_note(submitted, planner):
    Membership.objects.filter(user=planner, role="approver").delete()
    context = reviewconfig.page_context(planner, submitted)
    assert [b.action for b in context["buttons"]] == ["withdraw"]
    assert context["held_back_as_author"] is False  # not the board's anyway: nothing to explain
    assert 'id="four-eyes-note"' not in review_page(planner, submitted).content.decode()


@pytest.mark.django_db
def test_the_page_renders_the_note_instead_of_the_buttons(submitted, planner, reviewer):
    html = review_page(planner, submitted).content.decode()
    assert NOTE in html
    assert 'data-open-form="withdraw"' in html
    for action in BOARD_ACTIONS:
        assert f'data-open-form="{action}"' not in html
        assert f'data-action="{action}"' not in html  # nor their forms
    other = review_page(reviewer, submitted).content.decode()
    assert NOTE not in other
    for action in BOARD_ACTIONS:
        assert f'data-open-form="{action}"' in other


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_chromium_the_author_reads_the_note_and_another_approver_decides(
    browser: Browser, live_server, submitted, tmp_path
):
    path = f"/revisions/{submitted.pk}/review/"
    page = sign_in(browser, live_server, "planner_t", "pw-planner-test", path)
    open_review(page, live_server, submitted.pk)
    expect(page.locator("#four-eyes-note")).to_have_text(NOTE)
    expect(page.locator("#four-eyes-note")).to_be_visible()
    expect(page.locator("[data-open-form]")).to_have_count(1)
    expect(page.locator("[data-open-form='withdraw']")).to_be_visible()
    for action in BOARD_ACTIONS:
        expect(page.locator(f"[data-open-form='{action}']")).to_have_count(0)
    page.screenshot(path=tmp_path / "author.png")
    assert not page.js_errors
    page.context.close()

    page = sign_in(browser, live_server, "reviewer_t", "pw-reviewer-test", path)
    open_review(page, live_server, submitted.pk)
    expect(page.locator("#four-eyes-note")).to_have_count(0)
    for action in BOARD_ACTIONS:
        expect(page.locator(f"[data-open-form='{action}']")).to_be_visible(timeout=WAIT)
    transition(page, "start-review", "", RevisionState.IN_REVIEW)
    page.screenshot(path=tmp_path / "other-approver.png")
    assert not page.js_errors
    page.context.close()
