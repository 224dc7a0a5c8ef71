"""The /3dtiles/ endpoints: content types, caching headers and the visibility rule."""

from __future__ import annotations

import json

import pytest

from tests.threed.conftest import token_header
from threed.testing import make_3d_plan

pytestmark = pytest.mark.django_db


def test_in_force_tileset_and_content(client, planner, reviewer):
    make_3d_plan(planner, reviewer)
    response = client.get("/3dtiles/in-force/tileset.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "public, max-age=300"
    etag = response["ETag"]
    tileset = json.loads(response.content)
    # 3D Tiles 1.0 requires each declared property's range (buildings of 1 to 5 storeys).
    assert tileset["properties"]["storeys"] == {"minimum": 1.0, "maximum": 5.0}
    heights = tileset["properties"]["height"]
    assert 0 < heights["minimum"] < heights["maximum"]
    uri = tileset["root"]["children"][0]["content"]["uri"]
    content = client.get(f"/3dtiles/in-force/{uri}")
    assert content.status_code == 200
    assert content["Content-Type"] == "application/octet-stream"
    assert b"".join(content.streaming_content)[:4] == b"b3dm"
    assert content["ETag"]
    assert content["Cache-Control"].startswith("public")
    again = client.get("/3dtiles/in-force/tileset.json", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again["ETag"] == etag


def test_a_new_approval_changes_the_tileset(client, planner, reviewer):
    make_3d_plan(planner, reviewer, "first", columns=1, rows=1)
    before = client.get("/3dtiles/in-force/tileset.json")
    make_3d_plan(planner, reviewer, "second", columns=1, rows=1, origin=(562000.0, 1821800.0))
    after = client.get("/3dtiles/in-force/tileset.json", HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert len(json.loads(after.content)["root"]["children"]) == 1


def test_private_revision_refused_to_anonymous(client, planner, reviewer, outsider):
    draft = make_3d_plan(planner, reviewer, columns=2, rows=1, approve=False)
    url = f"/3dtiles/revisions/{draft.pk}/tileset.json"
    assert client.get(url).status_code == 404
    assert client.get(url, **token_header(outsider)).status_code == 404
    # Nor do the plans in force show it.
    in_force = json.loads(client.get("/3dtiles/in-force/tileset.json").content)
    assert "children" not in in_force["root"]  # none rather than an empty array
    response = client.get(url, **token_header(planner))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert "ETag" not in response
    uri = json.loads(response.content)["root"]["children"][0]["content"]["uri"]
    content_url = f"/3dtiles/revisions/{draft.pk}/{uri}"
    assert client.get(content_url).status_code == 404
    # The private build's key under the public scopes names nothing there.
    assert client.get(f"/3dtiles/in-force/{uri}").status_code == 404
    assert client.get(f"/3dtiles/in-force/envelopes/{uri}").status_code == 404
    content = client.get(content_url, **token_header(planner))
    assert content.status_code == 200
    assert content["Cache-Control"] == "private, no-store"


def test_published_revision_is_public(client, planner, reviewer):
    revision = make_3d_plan(planner, reviewer, columns=1, rows=1)
    response = client.get(f"/3dtiles/revisions/{revision.pk}/tileset.json")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("public")


def test_unknown_content_is_404(client, planner, reviewer):
    make_3d_plan(planner, reviewer, columns=1, rows=1)
    assert client.get("/3dtiles/in-force/k-0123456789abcdef0123/0.b3dm").status_code == 404
    assert client.get("/3dtiles/in-force/k-../0.b3dm").status_code == 404


def test_large_scope_is_built_in_the_background(client, planner, reviewer, settings):
    from planning.models import Job

    make_3d_plan(planner, reviewer, columns=2, rows=1)
    Job.objects.filter(kind="tiles3d").delete()  # the approval's own build request
    settings.PLANNING_3D_SYNC_BUILD_MAX = 1
    response = client.get("/3dtiles/in-force/tileset.json")
    assert response.status_code == 404
    assert "being built" in response.json()["detail"]
    assert response["Cache-Control"] == "private, no-store"
    assert Job.objects.filter(kind="tiles3d", state="queued").count() == 1
    client.get("/3dtiles/in-force/tileset.json")
    assert Job.objects.filter(kind="tiles3d").count() == 1  # not queued twice


def test_previous_build_is_served_while_the_new_one_is_queued(client, planner, reviewer, settings):
    make_3d_plan(planner, reviewer, "one", columns=1, rows=1)
    first = client.get("/3dtiles/in-force/tileset.json")
    settings.PLANNING_3D_SYNC_BUILD_MAX = 1
    make_3d_plan(planner, reviewer, "two", columns=2, rows=1, origin=(562000.0, 1821800.0))
    stale = client.get("/3dtiles/in-force/tileset.json")
    assert stale.status_code == 200
    assert stale["ETag"] == first["ETag"]
