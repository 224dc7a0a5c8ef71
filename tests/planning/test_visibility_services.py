"""The one visibility rule, per revision state, on every service: unpublished revisions are
invisible to anonymous callers everywhere and visible to the project's reviewers."""

from __future__ import annotations

import json

import pytest
from rest_framework.authtoken.models import Token

from planning.models import Membership, Revision, RevisionState
from tests.conftest import HUE_X, HUE_Y
from tests.vtiles.test_vector_tiles import decode, features_by_code, get_tile

pytestmark = pytest.mark.django_db
UNPUBLISHED = ["submitted", "in_review", "changes_requested", "rejected", "withdrawn"]


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def seen_codes(client, headers: dict) -> dict[str, set[str]]:
    """What each service shows of the lots: REST API, WFS, OGC API Features, vector tiles."""
    api = client.get("/api/features/", {"revision": ""}, **headers)
    revisions = {r["id"] for r in client.get("/api/revisions/", **headers).json()["results"]}
    wfs = client.get(
        "/wfs",
        {
            "SERVICE": "WFS",
            "VERSION": "2.0.0",
            "REQUEST": "GetFeature",
            "TYPENAMES": "landuse",
            "OUTPUTFORMAT": "application/json",
        },
        **headers,
    )
    ogc = client.get("/ogcapi/collections/landuse/items", {"f": "json"}, **headers)
    tile, _ = get_tile(client, "plans", HUE_X + 50, HUE_Y + 350, **headers)
    return {
        "api": {f["properties"]["code"] for f in api.json()["features"]},
        "revisions": revisions,
        "wfs": {f["properties"]["code"] for f in json.loads(body(wfs))["features"]},
        "ogcapi": {f["properties"]["code"] for f in json.loads(body(ogc))["features"]},
        "vtiles": set(features_by_code(decode(tile.content))),
    }


@pytest.mark.parametrize("state", UNPUBLISHED)
def test_unpublished_states_on_every_service(client, plan_in_force, draft_plan, outsider, state):
    Revision.objects.filter(pk=draft_plan.pk).update(state=state)
    anonymous = seen_codes(client, {})
    assert draft_plan.pk not in anonymous["revisions"]
    for service in ("wfs", "ogcapi", "vtiles"):
        assert "B1" not in anonymous[service], service
    assert anonymous["api"] == {"A1", "A2"}
    reviewer = outsider  # becomes the project's reviewer
    Membership.objects.create(project=draft_plan.project, user=reviewer, role="reviewer")
    token = Token.objects.create(user=reviewer)
    seen = seen_codes(client, {"HTTP_AUTHORIZATION": f"Token {token.key}"})
    assert draft_plan.pk in seen["revisions"]
    for service in ("wfs", "ogcapi", "vtiles"):
        assert "B1" in seen[service], service


def test_drafts_stay_the_planners_own(client, plan_in_force, draft_plan, outsider):
    Membership.objects.create(project=draft_plan.project, user=outsider, role="reviewer")
    token = Token.objects.create(user=outsider)
    seen = seen_codes(client, {"HTTP_AUTHORIZATION": f"Token {token.key}"})
    assert draft_plan.state == RevisionState.DRAFT
    assert draft_plan.pk not in seen["revisions"]
    for service in ("wfs", "ogcapi", "vtiles"):
        assert "B1" not in seen[service], service
