"""Vector tiles (/vtiles): content decoded with mapbox-vector-tile, visibility, TileJSON.

The Django test client talks to the real view and the real PostGIS query; tiles are
decoded by an independent MVT decoder.
"""

from __future__ import annotations

import json
from pathlib import Path

import mapbox_vector_tile
import pytest
from django.test import Client

from planning.models import Feature
from tests.conftest import HUE_X, HUE_Y
from tests.tiles.helpers import to_wgs84
from tests.vtiles.conftest import near, ring_units, tile_of, to_tile_units, token_header

MVT = "application/vnd.mapbox-vector-tile"
DRAFT_X, DRAFT_Y = HUE_X + 50, HUE_Y + 350  # inside draft lot B1


def decode(data: bytes) -> dict:
    return mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})


def get_tile(client: Client, layer: str, x9214: float, y9214: float, z: int = 16, **extra):
    col, row, bbox = tile_of(x9214, y9214, z)
    query = extra.pop("query", "")
    response = client.get(f"/vtiles/{layer}/{z}/{col}/{row}.pbf{query}", **extra)
    return response, bbox


def features_by_code(tile: dict, layer: str = "landuse") -> dict[str, dict]:
    return {f["properties"].get("code"): f for f in tile.get(layer, {}).get("features", [])}


def test_tile_over_the_lots_has_features_properties_and_tile_geometry(client, plan_in_force):
    response, bbox = get_tile(client, "plans", HUE_X + 50, HUE_Y + 50)
    assert response.status_code == 200
    assert response["Content-Type"] == MVT
    tile = decode(response.content)
    assert set(tile) == {"landuse"}, "each kind is its own MVT layer; only landuse exists"
    assert tile["landuse"]["extent"] == 4096
    lots = features_by_code(tile)
    assert set(lots) == {"A1", "A2"}
    a1 = lots["A1"]
    assert a1["id"] == Feature.objects.get(attributes__code="A1").pk
    assert a1["properties"]["category"] == "DO"
    assert a1["properties"]["function"] == "DO"
    # "name" is not in the land-use schema nor declared by the layer: not allow-listed.
    assert "name" not in a1["properties"]
    assert lots["A2"]["properties"]["category"] == "CX"
    vertices = ring_units(a1["geometry"])
    assert all(-64 <= x <= 4160 and -64 <= y <= 4160 for x, y in vertices)
    corner = to_tile_units(HUE_X, HUE_Y, bbox)
    if 0 <= corner[0] <= 4096 and 0 <= corner[1] <= 4096:
        assert any(near(corner, v) for v in vertices), (corner, vertices)
    assert any(0 <= x <= 4096 and 0 <= y <= 4096 for x, y in vertices)


def test_tile_of_one_kind_and_of_one_project(client, plan_in_force):
    for name in ("landuse", "landuse.inforce"):
        response, _ = get_tile(client, name, HUE_X + 50, HUE_Y + 50)
        assert response.status_code == 200, name
        assert set(features_by_code(decode(response.content), name)) == {"A1", "A2"}
    for name in ("roads.inforce", "landuse.other", "nope", "landuse.", "plans.inforce"):
        response, _ = get_tile(client, name, HUE_X + 50, HUE_Y + 50)
        assert response.status_code == 404, name
    # a kind of the catalogue with nothing in force: empty, as WFS and OGC API answer it
    roads, _ = get_tile(client, "roads", HUE_X + 50, HUE_Y + 50)
    assert (roads.status_code, roads.content) == (200, b"")


def test_tile_elsewhere_is_empty(client, plan_in_force):
    response, _ = get_tile(client, "plans", HUE_X + 20_000, HUE_Y + 20_000)
    assert response.status_code == 200
    assert decode(response.content) == {}
    hanoi = client.get("/vtiles/plans/16/52181/28826.pbf")
    assert hanoi.status_code == 200
    assert hanoi.content == b""


def test_low_zoom_tiles_skip_the_index_filter_and_still_work(client, plan_in_force):
    for z in (0, 1, 4, 5, 8):
        response, _ = get_tile(client, "plans", HUE_X + 50, HUE_Y + 50, z=z)
        assert response.status_code == 200, z
        decode(response.content)


def test_draft_absent_for_anonymous_present_with_the_planners_token(
    client, plan_in_force, draft_plan, planner, outsider
):
    anonymous, _ = get_tile(client, "plans", DRAFT_X, DRAFT_Y)
    assert "B1" not in features_by_code(decode(anonymous.content))
    assert anonymous["Cache-Control"].startswith("public")

    own, _bbox = get_tile(client, "plans", DRAFT_X, DRAFT_Y, **token_header(planner))
    lots = features_by_code(decode(own.content))
    assert lots["B1"]["properties"]["category"] == "GD"
    assert own["Cache-Control"] == "private, no-store"
    assert not own.has_header("ETag")
    assert not own.has_header("Last-Modified")

    other, _ = get_tile(client, "plans", DRAFT_X, DRAFT_Y, **token_header(outsider))
    assert "B1" not in features_by_code(decode(other.content))
    assert other["Cache-Control"] == "private, no-store"


def test_draft_by_session_and_by_project_layer(client, draft_plan, planner):
    assert get_tile(client, "landuse.draft", DRAFT_X, DRAFT_Y)[0].status_code == 404
    client.force_login(planner)
    response, _ = get_tile(client, "landuse.draft", DRAFT_X, DRAFT_Y)
    assert response.status_code == 200
    assert set(features_by_code(decode(response.content), "landuse.draft")) == {"B1"}
    assert response["Cache-Control"] == "private, no-store"


def test_revision_parameter_shows_only_that_visible_revision(
    client, plan_in_force, draft_plan, planner
):
    query = f"?revision={draft_plan.pk}"
    anonymous, _ = get_tile(client, "plans", DRAFT_X, DRAFT_Y, query=query)
    assert anonymous.status_code == 404
    own, _ = get_tile(client, "plans", DRAFT_X, DRAFT_Y, query=query, **token_header(planner))
    assert own.status_code == 200
    assert set(features_by_code(decode(own.content))) == {"B1"}
    in_force, _ = get_tile(
        client, "plans", HUE_X + 50, HUE_Y + 50, query=f"?revision={plan_in_force.pk}"
    )
    assert set(features_by_code(decode(in_force.content))) == {"A1", "A2"}
    only_draft, _ = get_tile(
        client, "plans", HUE_X + 50, HUE_Y + 50, query=query, **token_header(planner)
    )
    assert not {"A1", "A2"} & set(features_by_code(decode(only_draft.content)))


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/vtiles/plans/23/0/0.pbf", 400),
        ("/vtiles/plans/99/0/0.pbf", 400),
        ("/vtiles/plans/0/1/0.pbf", 404),
        ("/vtiles/plans/2/0/4.pbf", 404),
        ("/vtiles/plans/16/65536/0.pbf", 404),
        ("/vtiles/plans/-1/0/0.pbf", 404),
        ("/vtiles/plans/1/0/0.png", 404),
        ("/vtiles/plans/a/0/0.pbf", 404),
        ("/vtiles/plans/1/0/0.pbf?datetime=yesterday", 400),
        ("/vtiles/plans/1/0/0.pbf?datetime=2024-01-01/2024-02-01", 400),
        ("/vtiles/plans/1/0/0.pbf?revision=1;drop", 400),
        ("/vtiles/plans/1/0/0.pbf?revision=-3", 400),
        ("/vtiles/..%2F..%2Fetc/1/0/0.pbf", 404),
    ],
)
def test_bad_tile_requests_are_client_errors(client, plan_in_force, url, status):
    response = client.get(url)
    assert response.status_code == status, response.content
    if status == 400:
        assert json.loads(response.content)["code"] == "InvalidParameterValue"


@pytest.mark.parametrize(("language", "words"), [("en", "one instant"), ("vi", "một thời điểm")])
def test_an_interval_is_refused_in_the_callers_language(client, plan_in_force, language, words):
    url = "/vtiles/plans/1/0/0.pbf?datetime=2024-01-01/2024-02-01"
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    assert words in json.loads(response.content)["detail"]
    assert response["Cache-Control"] == "private, no-store"


def test_wrong_credentials_are_401_not_anonymous(client, plan_in_force):
    response, _ = get_tile(
        client, "plans", HUE_X, HUE_Y, HTTP_AUTHORIZATION="Token not-a-valid-token"
    )
    assert response.status_code == 401
    assert "WWW-Authenticate" in response.headers


def test_post_is_not_allowed(client, plan_in_force):
    assert client.post("/vtiles/plans/0/0/0.pbf").status_code == 405


def test_tilejson_structure(client, plan_in_force, draft_plan, planner):
    response = client.get("/vtiles/plans.json?revision=" + str(plan_in_force.pk))
    assert response.status_code == 200
    doc = response.json()
    assert doc["tilejson"] == "3.0.0"
    assert doc["tiles"] == [
        f"http://testserver/vtiles/plans/{{z}}/{{x}}/{{y}}.pbf?revision={plan_in_force.pk}"
    ]
    assert doc["minzoom"] == 0
    assert doc["maxzoom"] == 22
    west, south, east, north = doc["bounds"]
    lon, lat = to_wgs84(HUE_X + 50, HUE_Y + 50)
    assert west < lon < east
    assert south < lat < north
    assert east - west < 0.01, "bounds are the plan's, not the world's"
    assert len(doc["center"]) == 3
    (layer,) = doc["vector_layers"]
    assert layer["id"] == "landuse"
    assert {"category": "String", "code": "String", "function": "String"}.items() <= layer[
        "fields"
    ].items()
    assert layer["fields"]["storeys_max"] == "Number"
    assert response["ETag"]
    assert response["Cache-Control"].startswith("public")

    kind = client.get("/vtiles/landuse.json").json()
    assert kind["tiles"] == ["http://testserver/vtiles/landuse/{z}/{x}/{y}.pbf"]
    assert client.get("/vtiles/landuse.draft.json").status_code == 404
    private = client.get("/vtiles/landuse.draft.json", **token_header(planner))
    assert private.status_code == 200
    assert private["Cache-Control"] == "private, no-store"
    assert client.get("/vtiles/roads.inforce.json").status_code == 404  # the project has none
    roads = client.get("/vtiles/roads.json").json()  # the catalogue's kind, empty
    assert [layer["id"] for layer in roads["vector_layers"]] == ["roads"]


def test_anonymous_tiles_are_cached_on_disk_by_generation(client, plan_in_force, planner, settings):
    from tiles.generation import current_generation
    from tiles.vector_tile_views import TILE_VARIANT

    response, _ = get_tile(client, "plans", HUE_X + 50, HUE_Y + 50)
    root = Path(settings.PLANNING_TILE_CACHE_DIR) / "vtiles"
    files = list(root.rglob("*.pbf"))
    assert len(files) == 1
    assert files[0].relative_to(root).parts[:3] == (current_generation(), TILE_VARIANT, "plans")
    assert files[0].read_bytes() == response.content
    again, _ = get_tile(client, "plans", HUE_X + 50, HUE_Y + 50)
    assert again.content == response.content

    get_tile(client, "plans", HUE_X + 50, HUE_Y + 50, **token_header(planner))
    get_tile(client, "plans", HUE_X + 50, HUE_Y + 50, query="?datetime=2020-01-01")
    assert len(list(root.rglob("*.pbf"))) == 1, "private and dated tiles are never stored"
