"""Who gets a dossier: the visibility rule of every service, and the cache headers."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

from tests.dossier.conftest import client_for, dossier_url

PRIVATE = "private, no-store"


def test_anonymous_callers_get_404_for_a_draft(draft_plan):
    response = client_for(None).get(dossier_url(draft_plan))
    assert response.status_code == 404
    assert response.json()["code"] == "NotFound"
    assert response["Cache-Control"] == PRIVATE
    assert b"%PDF" not in response.content


def test_the_planner_gets_the_dossier_of_their_draft(planner, draft_plan):
    response = client_for(planner).get(dossier_url(draft_plan))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")
    assert response["Cache-Control"] == PRIVATE


@pytest.mark.parametrize("who", ["reviewer", "outsider"])
def test_reviewers_and_outsiders_do_not_see_drafts(request, draft_plan, who):
    response = client_for(request.getfixturevalue(who)).get(dossier_url(draft_plan))
    assert response.status_code == 404


def test_outsiders_and_anonymous_do_not_see_submitted_revisions(outsider, submitted):
    assert client_for(outsider).get(dossier_url(submitted)).status_code == 404
    assert client_for(None).get(dossier_url(submitted)).status_code == 404


def test_a_published_plan_is_public_and_cacheable_for_anonymous(plan_in_force):
    response = client_for(None).get(dossier_url(plan_in_force))
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("public, max-age=")


def test_a_signed_in_caller_never_gets_a_shared_cacheable_dossier(planner, plan_in_force):
    response = client_for(planner).get(dossier_url(plan_in_force))
    assert response.status_code == 200
    assert response["Cache-Control"] == PRIVATE


def test_token_authentication_shows_the_owners_revisions(planner, draft_plan):
    token = Token.objects.create(user=planner)
    response = client_for(None).get(
        dossier_url(draft_plan), HTTP_AUTHORIZATION=f"Token {token.key}"
    )
    assert response.status_code == 200


def test_wrong_credentials_are_401_not_anonymous(plan_in_force):
    response = client_for(None).get(
        dossier_url(plan_in_force), HTTP_AUTHORIZATION="Token not-a-real-token"
    )
    assert response.status_code == 401
    assert "WWW-Authenticate" in response


def test_unknown_revision_is_404(planner, draft_plan):
    response = client_for(planner).get(f"/api/revisions/{draft_plan.pk + 10_000}/dossier.pdf")
    assert response.status_code == 404


def test_only_get_and_head(planner, draft_plan):
    client = client_for(planner)
    assert client.post(dossier_url(draft_plan)).status_code == 405
    assert client.delete(dossier_url(draft_plan)).status_code == 405
    assert client.head(dossier_url(draft_plan)).status_code == 200


@pytest.mark.parametrize("path", ["abc", "-1", "99999999999999999999999"])
def test_malformed_ids_are_not_found(planner, path):
    response = client_for(planner).get(f"/api/revisions/{path}/dossier.pdf")
    assert response.status_code == 404
