"""The revision edits besides the workflow (declared balance, QA repair) check who is acting
before the revision's state, as the workflow actions do: a signed-in caller who may not edit
the project's revisions gets 403 whatever the state, and only its planners hear 409."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from planning.models import Revision, RevisionState

pytestmark = pytest.mark.django_db


def as_user(user: User) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def edits(client: APIClient, revision: Revision) -> dict[str, object]:
    url = f"/api/revisions/{revision.pk}"
    return {
        "repair": client.post(f"{url}/qa/repair/"),
        "balance": client.put(f"{url}/balance/", {"declared": {"DO": 1}}, format="json"),
        "bad balance": client.put(f"{url}/balance/", {"declared": "nonsense"}, format="json"),
    }


def test_on_a_published_revision_an_outsider_is_forbidden_and_the_planner_hears_the_state(
    outsider, planner, plan_in_force
):
    for name, response in edits(as_user(outsider), plan_in_force).items():
        assert response.status_code == 403, (name, response.content)
        assert response.json()["detail"] == "Only the project's planners may change this revision."
    for name, response in edits(as_user(planner), plan_in_force).items():
        assert response.status_code == 409, (name, response.content)
        assert response.json()["detail"] == (
            "This cannot be done to a revision that is Approved (in force)."
        )


def test_a_reviewer_of_a_submitted_revision_is_forbidden(reviewer, draft_plan):
    Revision.objects.filter(pk=draft_plan.pk).update(state=RevisionState.SUBMITTED)
    for name, response in edits(as_user(reviewer), draft_plan).items():
        assert response.status_code == 403, (name, response.content)
    declared = Revision.objects.get(pk=draft_plan.pk).declared_balance
    assert not declared
