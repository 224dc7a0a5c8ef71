"""HTTP caching of tiles: ETag / Last-Modified from the in-force generation, 304s,
Cache-Control by caller, and the generation-keyed disk cache across an approval."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import mapbox_vector_tile
import pytest
from django.contrib.gis.geos import Polygon
from django.utils.http import http_date

from planning.actions import ApproveRevision, CreateRevision, SubmitRevision
from planning.models import Feature, Layer, Revision
from tests.conftest import HUE_X, HUE_Y, square
from tests.vtiles.conftest import tile_of, token_header
from tiles.generation import current_generation

LOT = (HUE_X + 50, HUE_Y + 50)


def tile_url(z: int = 16) -> str:
    col, row, _ = tile_of(*LOT, z)
    return f"/vtiles/plans/{z}/{col}/{row}.pbf"


def codes(data: bytes) -> dict[str, str]:
    tile = mapbox_vector_tile.decode(data)
    return {
        f["properties"]["code"]: f["properties"]["category"]
        for f in tile.get("landuse", {}).get("features", [])
    }


def approve_new_revision(old: Revision, planner, reviewer, lots: list[tuple[Polygon, dict]]):
    """A second revision of the same project, approved: it supersedes `old`."""
    # Prepared on the plan in force (one started empty would undo it), then replaced whole.
    revision = CreateRevision(user=planner, project=old.project, based_on=old).execute()
    revision.layers.all().delete()
    layer = Layer.objects.create(
        revision=revision, kind="landuse", name="Lots v2", created_by=planner
    )
    Feature.objects.bulk_create(
        Feature(layer=layer, geom=g, attributes=a, category=a["function"]) for g, a in lots
    )
    SubmitRevision(user=planner, revision=revision).execute()
    ApproveRevision(user=reviewer, revision=revision, decision_number="2/QĐ-UBND").execute()
    revision.refresh_from_db()
    return revision


def test_public_tile_has_validators_and_answers_304(client, plan_in_force):
    response = client.get(tile_url())
    assert response.status_code == 200
    etag = response["ETag"]
    assert etag.startswith('"gen-')
    assert etag.endswith('"')
    assert response["Last-Modified"] == http_date(plan_in_force.approved_at.timestamp() // 1)
    assert response["Cache-Control"] == "public, max-age=300"

    again = client.get(tile_url(), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert again["Cache-Control"] == "public, max-age=300"
    listed = client.get(tile_url(), HTTP_IF_NONE_MATCH=f'"other", {etag}')
    assert listed.status_code == 304
    other = client.get(tile_url(), HTTP_IF_NONE_MATCH='"gen-0000000000000000-mvt1"')
    assert other.status_code == 200
    assert other.content == response.content

    since = client.get(tile_url(), HTTP_IF_MODIFIED_SINCE=response["Last-Modified"])
    assert since.status_code == 304
    earlier = http_date((plan_in_force.approved_at - timedelta(days=1)).timestamp())
    assert client.get(tile_url(), HTTP_IF_MODIFIED_SINCE=earlier).status_code == 200
    # If-None-Match wins over If-Modified-Since.
    both = client.get(
        tile_url(), HTTP_IF_NONE_MATCH='"stale"', HTTP_IF_MODIFIED_SINCE=response["Last-Modified"]
    )
    assert both.status_code == 200


def test_signed_in_callers_never_get_304_or_public_caching(client, plan_in_force, planner):
    etag = client.get(tile_url())["ETag"]
    response = client.get(tile_url(), HTTP_IF_NONE_MATCH=etag, **token_header(planner))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert "ETag" not in response.headers


def test_unknown_layer_is_404_even_with_if_none_match_star(client, plan_in_force):
    assert client.get("/vtiles/nope/16/0/0.pbf", HTTP_IF_NONE_MATCH="*").status_code == 404
    assert client.get("/vtiles/roads.inforce/16/0/0.pbf", HTTP_IF_NONE_MATCH="*").status_code == 404


def test_approval_serves_the_new_plan_at_the_same_url(
    client, plan_in_force, planner, reviewer, settings, django_capture_on_commit_callbacks
):
    first = client.get(tile_url())
    assert codes(first.content) == {"A1": "DO", "A2": "CX"}
    old_generation = current_generation()
    cache = Path(settings.PLANNING_TILE_CACHE_DIR) / "vtiles"
    assert (cache / old_generation).is_dir()

    with django_capture_on_commit_callbacks(execute=True):
        second = approve_new_revision(
            plan_in_force,
            planner,
            reviewer,
            [(square(HUE_X, HUE_Y, 100), {"code": "A1", "function": "TMDV"})],
        )
    assert current_generation() != old_generation
    assert not (cache / old_generation).exists(), "plan_in_force_changed purges old tiles"

    revalidated = client.get(tile_url(), HTTP_IF_NONE_MATCH=first["ETag"])
    assert revalidated.status_code == 200
    assert revalidated["ETag"] != first["ETag"]
    assert codes(revalidated.content) == {"A1": "TMDV"}
    assert revalidated["Last-Modified"] == http_date(second.approved_at.timestamp() // 1)
    assert (cache / current_generation()).is_dir()

    # History stays queryable: at the first approval the first plan was in force.
    moment = plan_in_force.approved_at + (second.approved_at - plan_in_force.approved_at) / 2
    dated = client.get(tile_url(), {"datetime": moment.isoformat()})
    assert codes(dated.content) == {"A1": "DO", "A2": "CX"}


@pytest.mark.django_db(transaction=True)
def test_raster_xyz_tiles_get_the_same_cache_headers(client, plan_in_force, planner):
    col, row, _ = tile_of(*LOT, 16)
    url = f"/tiles/plans/16/{col}/{row}.png"
    response = client.get(url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\x89PNG")
    assert response["Cache-Control"] == "public, max-age=300"
    etag = response["ETag"]
    assert etag.startswith('"gen-')
    assert response.has_header("Last-Modified")
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=response["Last-Modified"]).status_code == 304

    private = client.get(url, HTTP_IF_NONE_MATCH=etag, **token_header(planner))
    assert private.status_code == 200
    assert private["Cache-Control"] == "private, no-store"
    assert "ETag" not in private.headers


@pytest.mark.django_db(transaction=True)
def test_wmts_rest_tiles_get_the_same_cache_headers(client, plan_in_force):
    col, row, _ = tile_of(*LOT, 16)
    url = f"/wmts/plans/webmercator/16/{col}/{row}.png"
    response = client.get(url)
    assert response.status_code == 200, b"".join(response.streaming_content)[:300]
    assert response["Cache-Control"] == "public, max-age=300"
    assert client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
