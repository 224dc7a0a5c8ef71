"""The approval on the review page warns of open comment threads and asks the approver to
acknowledge them: the page says how many are open (linking the comments list), the
approval form's checkbox names the count and posts it, and without it the server refuses the
approval (the form stays, with the error) and nothing changes. A thread posted since the page
counted is more than the checkbox acknowledged: refused again, the list and the count
brought up to date, the checkbox cleared."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from playwright.sync_api import expect

from planning.actions import SubmitRevision
from planning.comments import CreateComment, SetCommentStatus
from planning.models import AuditEvent, Comment, Membership, Revision
from tests.webmap.test_review_browser import WAIT, open_review, sign_in

CONFIG_RE = re.compile(r'<script id="review-config" type="application/json">(.*?)</script>', re.S)
NOTE_RE = re.compile(
    r'<p class="alert alert-warning open-comments-note" id="open-comments-note"[^>]*>'
)
ROW_RE = re.compile(r'<div class="checkbox-row" id="acknowledge-row"[^>]*>')


@pytest.fixture
def submitted(draft_plan, planner) -> Revision:
    return SubmitRevision(user=planner, revision=draft_plan).execute()


def remark(user, revision: Revision, body: str = "Lô B1 thiếu chỉ giới") -> Comment:
    return CreateComment(user=user, revision=revision, body=body).execute()


def review_page(user: User, revision: Revision) -> tuple[str, dict]:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    response = client.get(f"/revisions/{revision.pk}/review/")
    assert response.status_code == 200
    html = response.content.decode()
    match = CONFIG_RE.search(html)
    assert match
    return html, json.loads(match.group(1))


def opening_tag(pattern: re.Pattern, html: str) -> str:
    found = pattern.search(html)
    assert found, pattern.pattern
    return found.group(0)


@pytest.mark.django_db
def test_the_approver_reads_how_many_comments_are_open(reviewer, submitted):
    remark(reviewer, submitted)
    remark(reviewer, submitted, "Thiếu bản vẽ")
    resolved = remark(reviewer, submitted, "Sai mã đất")
    SetCommentStatus(user=reviewer, comment=resolved, status="resolved").execute()
    html, config = review_page(reviewer, submitted)
    assert config["openComments"] == 2
    assert " hidden" not in opening_tag(NOTE_RE, html)
    assert "2 comments are still open." in html
    assert 'href="#comments"' in html
    assert 'id="comments"' in html  # the link finds the list
    assert " hidden" not in opening_tag(ROW_RE, html)
    assert 'name="acknowledge_open_comments" value="2"' in html
    assert "Approve although 2 comments are still open" in html
    assert config["labels"]["openComments"]["one"] == "%(count)d comment is still open."


@pytest.mark.django_db
def test_without_open_comments_the_warning_stays_hidden(reviewer, submitted):
    resolved = remark(reviewer, submitted)
    SetCommentStatus(user=reviewer, comment=resolved, status="resolved").execute()
    html, config = review_page(reviewer, submitted)
    assert config["openComments"] == 0
    assert " hidden" in opening_tag(NOTE_RE, html)
    assert " hidden" in opening_tag(ROW_RE, html)


@pytest.mark.django_db
def test_who_may_not_approve_gets_no_acknowledgement(reviewer, submitted):
    remark(reviewer, submitted)
    only_reviewer = User.objects.create_user("only_reviewer_t", password="pw")
    Membership.objects.create(project=submitted.project, user=only_reviewer, role="reviewer")
    html, config = review_page(only_reviewer, submitted)
    assert config["openComments"] == 0
    assert 'id="open-comments-note"' not in html
    assert 'name="acknowledge_open_comments"' not in html


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_chromium_approving_over_open_comments_needs_the_checkbox(
    browser, live_server, reviewer, submitted, tmp_path
):
    remark(reviewer, submitted)
    path = f"/revisions/{submitted.pk}/review/"
    page = sign_in(browser, live_server, "reviewer_t", "pw-reviewer-test", path)
    open_review(page, live_server, submitted.pk)
    note = page.locator("#open-comments-note")
    expect(note).to_have_text(re.compile(r"1 comment is still open\.\s+Go to the comments"))
    page.click("[data-open-form='approve']")
    form = "form[data-action='approve']"
    box = page.locator("#acknowledge-open-comments")
    expect(page.locator("label[for=acknowledge-open-comments]")).to_have_text(
        "Approve although 1 comment is still open"
    )
    page.fill(f"{form} input[name=decision_number]", "9/QĐ-UBND")
    page.click(f"{form} button[type=submit]")  # not acknowledged: refused, the form stays
    status = page.locator("#review-status")
    expect(status).to_have_text(
        "1 comment is still open; confirm that you approve with it open.", timeout=WAIT
    )
    expect(status).to_have_attribute("data-kind", "error")
    expect(page.locator(form)).to_be_visible()
    expect(box).to_be_focused()
    page.screenshot(path=tmp_path / "refused.png")
    assert Revision.objects.get(pk=submitted.pk).state == "submitted"
    assert not AuditEvent.objects.filter(action="revision.approve").exists()

    box.check()
    page.click(f"{form} button[type=submit]")
    expect(page.locator("#revision-state")).to_have_attribute(
        "data-state", "approved", timeout=WAIT
    )
    event = AuditEvent.objects.get(action="revision.approve", revision=submitted)
    assert event.detail["open_comments"] == 1
    assert not page.js_errors
    page.context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_chromium_the_count_follows_the_comments_list(browser, live_server, reviewer, submitted):
    """Resolving on the page updates the warning; a thread posted meanwhile shows up."""
    remark(reviewer, submitted)
    remark(reviewer, submitted, "Thiếu bản vẽ")
    path = f"/revisions/{submitted.pk}/review/"
    page = sign_in(browser, live_server, "reviewer_t", "pw-reviewer-test", path)
    open_review(page, live_server, submitted.pk)
    note = page.locator("#open-comments-text")
    expect(note).to_have_text("2 comments are still open.")
    page.locator(".comment-thread .set-status").first.click()  # resolve one
    expect(note).to_have_text("1 comment is still open.", timeout=WAIT)
    expect(page.locator("label[for=acknowledge-open-comments]")).to_have_text(
        "Approve although 1 comment is still open"
    )
    expect(page.locator("#acknowledge-open-comments")).to_have_value("1")
    page.locator(".comment-thread .set-status").nth(1).click()  # and the other
    expect(page.locator("#open-comments-note")).to_be_hidden(timeout=WAIT)
    page.click("[data-open-form='approve']")
    expect(page.locator("#acknowledge-row")).to_be_hidden()

    page.fill("#comment-body", "Còn thiếu cốt nền")
    page.click("#comment-form button[type=submit]")
    expect(note).to_have_text("1 comment is still open.", timeout=WAIT)
    expect(page.locator("#acknowledge-row")).to_be_visible()
    assert not page.js_errors
    page.context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_chromium_a_thread_posted_meanwhile_is_not_approved_over_unseen(
    browser, live_server, planner, reviewer, submitted, tmp_path
):
    """The approver ticks the box for the one thread the page shows; the planner posts a
    second before the approval is sent: refused naming 2, the list shows it, the box is
    cleared; ticked again (for 2) the approval goes through."""
    remark(reviewer, submitted)
    path = f"/revisions/{submitted.pk}/review/"
    page = sign_in(browser, live_server, "reviewer_t", "pw-reviewer-test", path)
    open_review(page, live_server, submitted.pk)
    page.click("[data-open-form='approve']")
    form = "form[data-action='approve']"
    box = page.locator("#acknowledge-open-comments")
    page.fill(f"{form} input[name=decision_number]", "9/QĐ-UBND")
    box.check()
    remark(planner, submitted, "Bổ sung: thiếu hạ tầng kỹ thuật")  # the page has not seen it
    page.click(f"{form} button[type=submit]")
    expect(page.locator("#review-status")).to_have_text(
        "2 comments are now open, more than the 1 you acknowledged; reload the comments and "
        "check them before approving.",
        timeout=WAIT,
    )
    expect(page.locator("#open-comments-text")).to_have_text("2 comments are still open.")
    expect(page.locator("#comment-list .comment-thread")).to_have_count(2, timeout=WAIT)
    expect(box).not_to_be_checked()
    expect(box).to_have_value("2")
    page.screenshot(path=tmp_path / "refused-for-the-new-thread.png")
    assert Revision.objects.get(pk=submitted.pk).state == "submitted"

    box.check()
    page.click(f"{form} button[type=submit]")
    expect(page.locator("#revision-state")).to_have_attribute(
        "data-state", "approved", timeout=WAIT
    )
    event = AuditEvent.objects.get(action="revision.approve", revision=submitted)
    assert event.detail["open_comments"] == 2
    assert not page.js_errors
    page.context.close()


@pytest.mark.django_db
def test_the_approval_form_says_the_plan_is_in_force_from_the_approval(reviewer, submitted):
    """QA walk: a decision dated weeks earlier was expected to put the plan in force from
    that date; the history follows the approval (docs/decisions/0007), and the form says so."""
    html, _ = review_page(reviewer, submitted)
    date_input = re.search(r'<input type="date" id="decision-date"[^>]*>', html)
    assert date_input
    assert 'aria-describedby="decision-date-hint"' in date_input.group(0)
    hint = re.search(r'<small class="muted" id="decision-date-hint">([^<]*)</small>', html)
    assert hint
    assert "from the moment you approve it" in hint.group(1)
