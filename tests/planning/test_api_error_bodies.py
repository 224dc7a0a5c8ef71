"""Every API error has the documented body {"detail", "code"} (QA walk: DRF's own errors had
no code, and unknown API paths answered the site's HTML 404 page)."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def english() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def test_an_invalid_token_is_coded():
    response = english().get("/api/revisions/", HTTP_AUTHORIZATION="Token nope")
    assert response.json()["code"] == "NotAuthenticated"


def test_an_anonymous_write_is_coded():
    response = english().post("/api/projects/", {"code": "x"}, content_type="application/json")
    assert response.json()["code"] == "NotAuthenticated"


def test_malformed_json_and_wrong_media_type_are_coded(planner):
    client = english()
    client.force_login(planner)
    broken = client.post("/api/projects/", "{", content_type="application/json")
    assert broken.status_code == 400
    assert broken.json()["code"] == "InvalidFormat"
    wrong = client.post("/api/projects/", "x", content_type="text/csv")
    assert wrong.status_code == 415
    assert wrong.json()["code"] == "UnsupportedMediaType"


def test_a_method_the_endpoint_lacks_is_coded(planner):
    client = english()
    client.force_login(planner)
    response = client.delete("/api/cad/crs-presets/")
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "DELETE" not allowed.', "code": "MethodNotAllowed"}


def test_field_errors_keep_their_fields(planner):
    """A project's own field is called `code`: its error is not overwritten."""
    client = english()
    client.force_login(planner)
    response = client.post("/api/projects/", {"name": "x"}, content_type="application/json")
    assert response.status_code == 400
    assert isinstance(response.json()["code"], list)


@pytest.mark.parametrize(
    "url",
    ["/api/nothing/", "/vtiles/%ff.json", "/legend/%ff.json", "/3dtiles/revisions/x/tileset.json"],
)
def test_unknown_json_paths_answer_a_json_404(url):
    response = english().get(url)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Not found.", "code": "NotFound"}


def test_unknown_pages_keep_the_sites_404_page():
    response = english().get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_failed_authentication_is_a_401_challenge():
    """QA walk: a revoked token was a 403, which a script reads as "not allowed", not as
    "get a new token"."""
    for response in (
        english().get("/api/revisions/", HTTP_AUTHORIZATION="Token nope"),
        english().post("/api/projects/", {"code": "x"}, content_type="application/json"),
    ):
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"


def test_a_signed_in_user_without_the_right_is_still_a_403(reviewer, plan_in_force):
    client = english()
    client.force_login(reviewer)
    response = client.post("/api/projects/", {"code": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "Forbidden"


def test_instants_in_hand_built_answers_carry_the_servers_offset(planner, draft_plan):
    """QA walk: revisions wrote +07:00 while jobs and QA wrote UTC in the same API."""
    from django.utils import timezone

    from planning.api.times import api_instant

    moment = timezone.now()
    assert api_instant(moment) == timezone.localtime(moment).isoformat()
    client = english()
    client.force_login(planner)
    revision = client.get(f"/api/revisions/{draft_plan.pk}/").json()
    qa = client.post(f"/api/revisions/{draft_plan.pk}/qa/").json()
    offset = revision["created_at"][-6:]
    assert offset == timezone.localtime(moment).isoformat()[-6:]
    assert qa["checked_at"].endswith(offset)
