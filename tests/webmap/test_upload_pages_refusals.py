"""The upload pages (GIS, CAD) refuse as the upload APIs do: role before state. A member who
is no planner hears 403; the project's own planner, once the revision left the draft, hears
409 naming its state (the raster page and every upload API already answered so)."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _page(user, path: str):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client.get(path)


@pytest.mark.parametrize("page", ["upload", "cad"])
def test_the_planner_of_an_approved_revision_hears_its_state(plan_in_force, planner, page):
    response = _page(planner, f"/revisions/{plan_in_force.pk}/{page}/")
    assert response.status_code == 409
    assert (
        f"Revision {plan_in_force.number} is Approved (in force); only drafts take new layers."
        in response.content.decode()
    )


@pytest.mark.parametrize("page", ["upload", "cad"])
def test_a_reviewer_hears_the_role_whatever_the_state(draft_plan, reviewer, planner, page):
    from planning.actions import SubmitRevision

    submitted = SubmitRevision(user=planner, revision=draft_plan).execute()  # seen by reviewers
    response = _page(reviewer, f"/revisions/{submitted.pk}/{page}/")
    assert response.status_code == 403
    assert b"Only the planners of the project can add layers" in response.content


@pytest.mark.parametrize("page", ["upload", "cad"])
def test_the_planner_of_a_draft_gets_the_page(draft_plan, planner, page):
    assert _page(planner, f"/revisions/{draft_plan.pk}/{page}/").status_code == 200
