"""The review page through Django's test client: who may open it, and which workflow
buttons it offers to each role in each state (the API itself is tested in tests/planning)."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from planning.actions import CreateRevision, RequestChanges, StartReview, SubmitRevision
from planning.models import Membership, Revision

CONFIG_RE = re.compile(r'<script id="review-config" type="application/json">(.*?)</script>', re.S)
BUTTON_RE = re.compile(r'data-open-form="([a-z-]+)"')

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def review_url(revision: Revision) -> str:
    return f"/revisions/{revision.pk}/review/"


def page(user, revision: Revision):
    response = signed_in(user).get(review_url(revision))
    assert response.status_code == 200
    html = response.content.decode()
    match = CONFIG_RE.search(html)
    assert match, "the review page must carry its configuration as json_script"
    return html, json.loads(match.group(1))


def buttons(user, revision: Revision) -> list[str]:
    return BUTTON_RE.findall(page(user, revision)[0])


@pytest.fixture
def board(draft_plan, reviewer) -> dict[str, User]:
    """Separate people per role on the draft's project (make_plan's reviewer is both)."""
    project = draft_plan.project
    people = {"planner": User.objects.get(username="planner_t")}
    for role in ("reviewer", "approver"):
        user = User.objects.create_user(f"{role}_only", password="pw")
        Membership.objects.create(project=project, user=user, role=role)
        people[role] = user
    return people


@pytest.fixture
def submitted(draft_plan, planner) -> Revision:
    return SubmitRevision(user=planner, revision=draft_plan).execute()


def test_anonymous_callers_are_sent_to_the_login_page(client, draft_plan):
    response = client.get(review_url(draft_plan))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_outsiders_get_404_for_drafts_and_submissions(outsider, draft_plan, planner):
    assert signed_in(outsider).get(review_url(draft_plan)).status_code == 404
    SubmitRevision(user=planner, revision=draft_plan).execute()
    assert signed_in(outsider).get(review_url(draft_plan)).status_code == 404
    assert signed_in(outsider).get("/revisions/999999999/review/").status_code == 404


def test_reviewer_sees_a_submitted_revision_but_not_a_draft(board, draft_plan, planner):
    reviewer = board["reviewer"]
    assert signed_in(reviewer).get(review_url(draft_plan)).status_code == 404
    SubmitRevision(user=planner, revision=draft_plan).execute()
    html, config = page(reviewer, draft_plan)
    assert config["revision"]["id"] == draft_plan.pk
    assert config["revision"]["state"] == "submitted"
    assert config["canComment"] is True
    assert config["canModerate"] is True
    assert config["urls"]["qa"] == f"/api/revisions/{draft_plan.pk}/qa/"
    assert f"/api/revisions/{draft_plan.pk}/dossier.pdf" in html
    assert f"/api/revisions/{draft_plan.pk}/balance/?download=xlsx" in html


def test_planner_of_a_draft_may_submit_and_upload(board, draft_plan):
    html, config = page(board["planner"], draft_plan)
    assert BUTTON_RE.findall(html) == ["submit"]
    assert f"/revisions/{draft_plan.pk}/upload/" in html
    assert config["canComment"] is True
    assert config["canModerate"] is False
    assert 'id="answer-button"' not in html


def test_buttons_follow_role_and_state(board, submitted):
    assert buttons(board["planner"], submitted) == ["withdraw"]
    assert buttons(board["reviewer"], submitted) == ["start-review", "request-changes"]
    assert buttons(board["approver"], submitted) == [
        "start-review",
        "approve",
        "request-changes",
        "reject",
    ]
    StartReview(user=board["reviewer"], revision=submitted).execute()
    assert buttons(board["reviewer"], submitted) == ["request-changes"]
    assert buttons(board["approver"], submitted) == ["approve", "request-changes", "reject"]
    html = page(board["approver"], submitted)[0]
    for field in ("decision_number", "decision_date", "decision_signer", "decision_document"):
        assert f'name="{field}"' in html
    assert 'name="decision_number"' not in page(board["reviewer"], submitted)[0]


def test_after_changes_requested_the_planner_answers_and_the_approver_may_reopen(board, submitted):
    RequestChanges(user=board["reviewer"], revision=submitted, note="Lot B1: too dense").execute()
    html, config = page(board["planner"], submitted)
    assert BUTTON_RE.findall(html) == []
    assert 'id="answer-button"' in html
    assert "Lot B1: too dense" in html  # the reason is shown
    assert config["canComment"] is False  # a decided revision takes no more comments
    assert buttons(board["reviewer"], submitted) == []
    assert buttons(board["approver"], submitted) == ["reopen"]
    assert 'id="answer-button"' not in page(board["approver"], submitted)[0]

    answer = CreateRevision(user=board["planner"], project=submitted.project, based_on=submitted)
    answer = answer.execute()
    html = page(board["planner"], submitted)[0]
    assert 'id="answer-button"' not in html  # answered once
    assert f"/revisions/{answer.pk}/review/" in html
    config = page(board["planner"], answer)[1]
    assert config["baseline"]["id"] == submitted.pk


def test_hostile_text_is_escaped_in_the_page(board, submitted):
    RequestChanges(
        user=board["reviewer"], revision=submitted, note="<script>alert(1)</script>"
    ).execute()
    html = page(board["planner"], submitted)[0]
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_project_page_links_to_reviews(board, draft_plan, plan_in_force, outsider):
    url = f"/projects/{draft_plan.project_id}/"
    planner_html = signed_in(board["planner"]).get(url).content.decode()
    assert f'href="/revisions/{draft_plan.pk}/review/"' in planner_html
    assert signed_in(board["reviewer"]).get(url).status_code == 200
    assert "/review/" not in signed_in(board["reviewer"]).get(url).content.decode()
    in_force = f"/projects/{plan_in_force.project_id}/"
    html = signed_in(outsider).get(in_force).content.decode()
    assert f'href="/revisions/{plan_in_force.pk}/review/"' in html
    assert signed_in(outsider).get(review_url(plan_in_force)).status_code == 200


def test_map_date_parameter_is_validated(client):
    ok = client.get("/map/?date=2024-05-01").content.decode()
    assert '"date": "2024-05-01"' in ok
    for bad in ("2024-13-01", "yesterday", "２０２４-05-01", "2024-05-01T00:00"):
        html = client.get("/map/", {"date": bad}).content.decode()
        assert '"date": null' in html, bad
    assert 'id="in-force-date"' in ok


def test_the_first_plan_in_force_says_it_is_the_plan_in_force(reviewer, plan_in_force):
    response = signed_in(reviewer).get(review_url(plan_in_force), HTTP_ACCEPT_LANGUAGE="en")
    note = re.search(r'id="compare-note">(.*?)</span>', response.content.decode(), re.S)
    assert note is not None
    assert note.group(1).strip() == (
        "This revision is the plan in force; no earlier revision to compare it with."
    )


def test_a_first_draft_has_nothing_to_compare_with(board, draft_plan):
    response = signed_in(board["planner"]).get(review_url(draft_plan), HTTP_ACCEPT_LANGUAGE="en")
    note = re.search(r'id="compare-note">(.*?)</span>', response.content.decode(), re.S)
    assert note is not None
    assert "Nothing to compare with" in note.group(1)


NO_APPROVER = "Đồ án chưa có người phê duyệt"  # the page is Vietnamese by default


def test_a_planner_submitting_to_a_project_without_approver_is_told(draft_plan, planner):
    """Nothing warned the planner at submission (QA walk): the project page told members."""
    assert NO_APPROVER not in page(planner, draft_plan)[0]  # make_plan's reviewer approves
    Membership.objects.filter(project=draft_plan.project, role="approver").delete()
    html, config = page(planner, draft_plan)
    assert config["noApprover"] is True
    assert NO_APPROVER in html


def test_the_approval_form_lists_each_lot_it_supersedes_whole(board, submitted):
    """A 634 m² overlap took a 16,928 m² lot out of force and the form said "1 lot
    overlaps" (QA walk): each lot is listed with its area, a part overlapped said so."""
    from django.contrib.gis.geos import Polygon

    from tests.conftest import HUE_X, HUE_Y, make_plan, square

    under = Polygon.from_bbox((HUE_X - 150, HUE_Y + 300, HUE_X + 50, HUE_Y + 420))  # 24,000 m²
    make_plan(board["planner"], board["approver"], "underneath", [
        (under, {"code": "U1", "function": "DO"}),
        (square(HUE_X + 60, HUE_Y + 310, 30), {"code": "U2", "function": "DO"}),
    ], approve=True)  # fmt: skip
    html, config = page(board["approver"], submitted)

    assert config["supersession"]["lots"] == 2
    assert config["supersession"]["items"] == [
        "underneath, lô U1: 24.000 m², trong đó 5.000 m² bị chồng lấn; cả lô hết hiệu lực",
        "underneath, lô U2: 900 m²",
    ]
    assert "underneath, lô U2: 900 m²</li>" in html


def test_a_draft_prepared_on_a_replaced_plan_does_not_claim_to_answer_it(planner, plan_in_force):
    """The toolbar offered "the revision it answers" for the plan a draft was only prepared
    on (review finding; the facts list had the same slip)."""
    from planning.models import RevisionState
    from webmap.reviewconfig import baseline_choice

    draft = CreateRevision(user=planner, project=plan_in_force.project, based_on=plan_in_force)
    draft = draft.execute()
    # the common case: prepared on the plan still in force
    assert baseline_choice(plan_in_force, draft)["choice"].startswith("the plan in force (")
    Revision.objects.filter(pk=plan_in_force.pk).update(state=RevisionState.SUPERSEDED)
    plan_in_force.refresh_from_db()
    assert baseline_choice(plan_in_force, draft)["choice"].startswith("the plan it was prepared on")
    Revision.objects.filter(pk=plan_in_force.pk).update(state=RevisionState.CHANGES_REQUESTED)
    plan_in_force.refresh_from_db()
    assert baseline_choice(plan_in_force, draft)["choice"].startswith("the revision it answers")
