"""The draft never shows to anonymous callers or outsiders, on any resource; its planner
sees it with a token (or Basic), and those answers are never cached publicly."""

from __future__ import annotations

import base64
import json

import pytest
from rest_framework.authtoken.models import Token

from tests.ogcapi.helpers import codes, feature_id, get, get_json

pytestmark = pytest.mark.django_db


def token(user) -> dict[str, str]:
    return {"Authorization": f"Token {Token.objects.create(user=user).key}"}


def urls(draft_id: int) -> list[tuple[str, str]]:
    """(url of the draft's resource, url of a resource that does not exist)."""
    return [
        ("/ogcapi/collections/landuse.draft", "/ogcapi/collections/landuse.nosuch"),
        ("/ogcapi/collections/landuse.draft/items", "/ogcapi/collections/landuse.nosuch/items"),
        ("/ogcapi/collections/landuse.draft/queryables",
         "/ogcapi/collections/landuse.nosuch/queryables"),
        ("/ogcapi/collections/landuse.draft/schemas/feature",
         "/ogcapi/collections/landuse.nosuch/schemas/feature"),
        (f"/ogcapi/collections/landuse/items/{draft_id}",
         "/ogcapi/collections/landuse/items/999999999"),
        (f"/ogcapi/collections/landuse.draft/items/{draft_id}",
         "/ogcapi/collections/landuse.nosuch/items/1"),
    ]  # fmt: skip


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_draft_is_invisible(client, plan_in_force, draft_plan, outsider, who):
    headers = token(outsider) if who == "outsider" else {}
    listed = get_json(client, "/ogcapi/collections", **headers)["collections"]
    assert "landuse.draft" not in {c["id"] for c in listed}
    assert "landuse.inforce" in {c["id"] for c in listed}
    _, html = get(client, "/ogcapi/collections?f=html", **headers)
    assert b"landuse.draft" not in html
    assert b"landuse.inforce" in html
    items = get_json(client, "/ogcapi/collections/landuse/items", **headers)
    assert codes(items) == {"A1", "A2"}
    assert items["numberMatched"] == 2
    filtered = get_json(client, "/ogcapi/collections/landuse/items?code=B1", **headers)
    assert filtered["numberMatched"] == 0
    for hidden, absent in urls(feature_id("B1")):
        hidden_response, hidden_body = get(client, hidden, **headers)
        absent_response, absent_body = get(client, absent, **headers)
        assert hidden_response.status_code == absent_response.status_code == 404, hidden
        assert hidden_body == absent_body


def test_planner_token_shows_the_draft_privately(client, plan_in_force, draft_plan, planner):
    headers = token(planner)
    listed = get_json(client, "/ogcapi/collections", **headers)["collections"]
    assert "landuse.draft" in {c["id"] for c in listed}
    response, body = get(client, "/ogcapi/collections/landuse/items", **headers)
    assert codes(json.loads(body)) == {"A1", "A2", "B1"}
    assert response["Cache-Control"] == "private, no-store"
    assert not response.has_header("ETag")
    for hidden, _ in urls(feature_id("B1"))[:4]:
        response, body = get(client, hidden, **headers)
        assert response.status_code == 200, body[:200]
        assert response["Cache-Control"] == "private, no-store"
    public, _ = get(client, "/ogcapi/collections/landuse/items")
    assert public["Cache-Control"].startswith("public")
    assert public.has_header("ETag")


def test_basic_auth_and_wrong_credentials(client, plan_in_force, draft_plan, planner):
    basic = base64.b64encode(b"planner_t:pw-planner-test").decode()
    doc = get_json(client, "/ogcapi/collections/landuse.draft/items",
                   Authorization=f"Basic {basic}")  # fmt: skip
    assert codes(doc) == {"B1"}
    response, body = get(client, "/ogcapi/collections", Authorization="Token not-a-token")
    assert response.status_code == 401
    assert json.loads(body)["code"] == "NotAuthenticated"
    assert b"landuse" not in body


def test_draft_hidden_for_past_datetime_even_for_planner(client, plan_in_force, draft_plan,
                                                         planner):  # fmt: skip
    """A datetime query asks what was in force: drafts never were."""
    doc = get_json(client, "/ogcapi/collections/landuse/items?datetime=2100-01-01",
                   **token(planner))  # fmt: skip
    assert codes(doc) == {"A1", "A2"}
