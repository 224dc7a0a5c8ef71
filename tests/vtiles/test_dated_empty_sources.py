"""A vector-tile source the caller knows stays a source at an instant when nothing of it was
in force: empty tiles (as over an area without features), not "no such layer". The
catalogue's kinds are always known (as in WMS, WFS and OGC API); a project's names the
caller never sees stay 404, and what drafts hold never shows at an instant."""

from __future__ import annotations

import pytest

from tests.conftest import HUE_X, HUE_Y
from tests.vtiles.conftest import token_header
from tests.vtiles.test_vector_tiles import DRAFT_X, DRAFT_Y, MVT, decode, get_tile
from tiles.feature_types import published_kinds

pytestmark = pytest.mark.django_db
BEFORE = "?datetime=2000-01-01T00:00:00Z"  # before any test plan was approved
LATER = "?datetime=2100-01-01T00:00:00Z"  # the plan in force, not the draft


def test_a_known_layer_before_the_first_approval_is_an_empty_tile(client, plan_in_force):
    for name in ("landuse", "landuse.inforce", "plans"):
        response, _ = get_tile(client, name, HUE_X + 50, HUE_Y + 50, query=BEFORE)
        assert response.status_code == 200, (name, response.content)
        assert response["Content-Type"] == MVT
        assert response.content == b""
        document = client.get(f"/vtiles/{name}.json{BEFORE}")
        assert document.status_code == 200, name
        shown = [layer["id"] for layer in document.json()["vector_layers"]]
        # the catalogue's kinds are always listed (empty), a project's only with its layers
        assert shown == {"plans": published_kinds(), "landuse": ["landuse"]}.get(name, []), name
    for name in ("roads.inforce", "landuse.other", "nope", "plans.inforce"):  # never seen
        response, _ = get_tile(client, name, HUE_X + 50, HUE_Y + 50, query=BEFORE)
        assert response.status_code == 404, name
        assert client.get(f"/vtiles/{name}.json{BEFORE}").status_code == 404, name


def test_a_layer_of_one_revision_before_its_approval_is_empty(client, plan_in_force):
    query = f"{BEFORE}&revision={plan_in_force.pk}"
    response, _ = get_tile(client, "landuse", HUE_X + 50, HUE_Y + 50, query=query)
    assert (response.status_code, response.content) == (200, b"")


def test_a_draft_makes_its_name_known_to_its_planners_alone(
    client, plan_in_force, draft_plan, planner, outsider
):
    for query in (BEFORE, LATER):
        for headers in ({}, token_header(outsider)):
            response, _ = get_tile(
                client, "landuse.draft", DRAFT_X, DRAFT_Y, query=query, **headers
            )
            assert response.status_code == 404, (query, headers)
        own, _ = get_tile(
            client, "landuse.draft", DRAFT_X, DRAFT_Y, query=query, **token_header(planner)
        )
        assert (own.status_code, own.content) == (200, b""), query
        document = client.get(f"/vtiles/landuse.draft.json{query}", **token_header(planner))
        assert document.json()["vector_layers"] == []
    # A known name shows the planner only what was in force then, never the draft's lots.
    own, _ = get_tile(client, "landuse", DRAFT_X, DRAFT_Y, query=LATER, **token_header(planner))
    layer = decode(own.content).get("landuse", {})
    assert "B1" not in {f["properties"].get("code") for f in layer.get("features", [])}
