"""`category` in vector tiles only where it applies (QA walk: roads and red lines carried
`category=""`): a land-use lot's catalogue code, absent for an uncategorised lot and in
every kind without categories, as WFS and OGC API publish it. TileJSON lists the field
only for kinds that have it, and a tile cached before the change is not served after it.
"""

from __future__ import annotations

import mapbox_vector_tile
import pytest
from django.contrib.gis.geos import LineString, MultiLineString

from planning.actions import ApproveRevision, SubmitRevision
from planning.models import Feature, Layer, Revision
from tests.conftest import HUE_X, HUE_Y, make_plan, square
from tests.vtiles.conftest import tile_of
from tiles import vector_tile_views, vtile_cache
from tiles.feature_types import published_kinds

pytestmark = pytest.mark.django_db
LOT = (HUE_X + 50, HUE_Y + 50)


@pytest.fixture
def mixed_plan(planner, reviewer) -> Revision:
    """In force: two categorised lots, one without category, a road and a red line."""
    revision = make_plan(
        planner,
        reviewer,
        "mixed",
        [
            (square(HUE_X, HUE_Y, 100), {"code": "A1", "function": "DO"}),
            (square(HUE_X + 100, HUE_Y, 100), {"code": "A2", "function": "CX"}),
            (square(HUE_X, HUE_Y + 100, 100), {"code": "A3", "function": "DO"}),
        ],
        approve=False,
    )
    line = MultiLineString(LineString((HUE_X, HUE_Y + 50), (HUE_X + 200, HUE_Y + 50)))
    for kind, attributes in (("roads", {"name": "Lê Lợi"}), ("redlines", {"type": "red"})):
        layer = Layer.objects.create(revision=revision, kind=kind, name=kind, created_by=planner)
        Feature.objects.create(layer=layer, geom=line, attributes=attributes)
    SubmitRevision(user=planner, revision=revision).execute()
    ApproveRevision(user=reviewer, revision=revision, decision_number="3/QĐ-UBND").execute()
    # A lot without a category (QA would have stopped one without a function).
    Feature.objects.filter(attributes__code="A3").update(category="")
    return revision


def tile_url(source: str = "plans") -> str:
    col, row, _ = tile_of(*LOT, 16)
    return f"/vtiles/{source}/16/{col}/{row}.pbf"


def properties(data: bytes) -> dict[str, list[dict]]:
    tile = mapbox_vector_tile.decode(data)
    return {name: [f["properties"] for f in layer["features"]] for name, layer in tile.items()}


def test_category_only_on_categorised_lots(client, mixed_plan):
    for source in ("plans", "roads", "redlines", "landuse"):
        response = client.get(tile_url(source))
        assert response.status_code == 200, source
        for layer, features in properties(response.content).items():
            assert features, layer
            for feature in features:
                assert feature.get("category") != "", (layer, feature)
                if layer != "landuse":
                    assert "category" not in feature, (layer, feature)
    lots = {f["code"]: f for f in properties(client.get(tile_url()).content)["landuse"]}
    assert (lots["A1"]["category"], lots["A2"]["category"]) == ("DO", "CX")
    assert "category" not in lots["A3"]
    roads = properties(client.get(tile_url()).content)["roads"]
    assert roads == [{"name": "Lê Lợi", "project": "mixed", "revision": 1}]


def test_tilejson_lists_category_only_where_a_kind_has_it(client, mixed_plan):
    layers = {
        layer["id"]: layer["fields"]
        for layer in client.get("/vtiles/plans.json").json()["vector_layers"]
    }
    assert set(layers) == set(published_kinds())  # the catalogue, empty kinds included
    assert layers["landuse"]["category"] == "String"
    assert "category" not in layers["roads"]
    assert "category" not in layers["redlines"]
    assert "category" not in layers["infrastructure"]


def test_a_tile_stored_under_an_older_encoding_is_never_served(client, mixed_plan, monkeypatch):
    """The disk cache is keyed by TILE_VARIANT as well as the in-force generation: what a
    release with another encoding stored for a URL is not what the next release serves."""
    with monkeypatch.context() as patch:
        patch.setattr(vector_tile_views, "TILE_VARIANT", "older-release")
        assert client.get(tile_url()).status_code == 200
    stored = sorted(vtile_cache.cache_root().rglob("*.pbf"))
    assert stored, "the older release's tile is on disk"
    for path in stored:
        path.write_bytes(b"older encoding")
    fresh = client.get(tile_url())
    assert fresh.status_code == 200
    assert fresh.content != b"older encoding"
    assert fresh["ETag"].endswith(f'-{vector_tile_views.TILE_VARIANT}"')
    assert "category" not in properties(fresh.content)["roads"][0]
    # ... and the older encoding's tiles left the disk when the new one was first stored
    assert not any(path.exists() for path in stored)
    assert not (
        vtile_cache.cache_root()
        / stored[0].relative_to(vtile_cache.cache_root()).parts[0]
        / "older-release"
    ).exists()
