"""The workflow endpoints check who is acting before what was sent: a caller who may not
act gets 403 whatever the form holds, and only a caller who may act hears about the form."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from planning.models import Membership, Revision, RevisionState
from tests.conftest import HUE_X, HUE_Y, make_plan, square

pytestmark = pytest.mark.django_db
S = RevisionState
TOO_LONG = "x" * 5001  # NoteSerializer allows 5000 characters


@pytest.fixture
def approver(db) -> User:
    return User.objects.create_user("approver_pf", password="pw-approver-pf")


@pytest.fixture
def revision(planner, approver) -> Revision:
    """A draft by `planner`; `approver` is the project's reviewer and approver."""
    return make_plan(
        planner,
        approver,
        "permfirst",
        [(square(HUE_X, HUE_Y, 100), {"code": "P1", "function": "DO"})],
        approve=False,
    )


def post(user: User, revision: Revision, action: str, data: dict | None = None):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client.post(f"/api/revisions/{revision.pk}/{action}/", data or {}, format="json")


def in_state(revision: Revision, state: str) -> Revision:
    Revision.objects.filter(pk=revision.pk).update(state=state)
    revision.refresh_from_db()
    return revision


def test_planner_approving_their_own_draft_without_a_decision_number_is_forbidden(
    planner, revision
):
    response = post(planner, revision, "approve")
    assert response.status_code == 403, response.content
    assert response.json()["detail"] == "Only the project's approvers may do this."
    assert "decision_number" not in response.json()


def test_approver_without_a_decision_number_is_asked_for_it(approver, revision):
    response = post(approver, in_state(revision, S.IN_REVIEW), "approve")
    assert response.status_code == 400, response.content
    assert "decision_number" in response.json()
    assert Revision.objects.get(pk=revision.pk).state == S.IN_REVIEW


def test_an_approving_author_is_stopped_by_four_eyes_before_the_form(planner, revision):
    Membership.objects.create(project=revision.project, user=planner, role="approver")
    response = post(planner, in_state(revision, S.IN_REVIEW), "approve")
    assert response.status_code == 403, response.content
    assert "author" in response.json()["detail"]


# Not submit: a draft is hidden (404) from everyone but the planners, who may submit it.
@pytest.mark.parametrize(
    ("action", "state", "who"),
    [
        ("withdraw", S.SUBMITTED, "approver"),
        ("start-review", S.SUBMITTED, "planner"),
        ("request-changes", S.IN_REVIEW, "planner"),
        ("reject", S.IN_REVIEW, "planner"),
        ("reopen", S.REJECTED, "planner"),
        ("approve", S.IN_REVIEW, "planner"),
    ],
)
def test_every_transition_forbids_before_it_reads_the_form(
    planner, approver, revision, action, state, who
):
    user = {"planner": planner, "approver": approver}[who]
    response = post(user, in_state(revision, state), action, {"note": TOO_LONG})
    assert response.status_code == 403, response.content
    assert "note" not in response.json()
    assert Revision.objects.get(pk=revision.pk).state == state


def test_a_caller_who_may_act_hears_about_the_form(approver, revision):
    response = post(approver, in_state(revision, S.IN_REVIEW), "reject", {"note": TOO_LONG})
    assert response.status_code == 400, response.content
    assert "note" in response.json()
