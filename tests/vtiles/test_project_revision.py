"""`project` (the project code) and `revision` (the revision number) on every MVT feature
and among the TileJSON fields, as WMS GetFeatureInfo, WFS and OGC API give them
(tests/revision_plans.py). Uploaded attributes of the same names give way (`project_1`,
`Revision_1`), a draft's revision reaches nobody but its planners, and a tile cached
before the properties existed is not served."""

from __future__ import annotations

import pytest

from tests.conftest import HUE_X, HUE_Y
from tests.revision_plans import (
    D1_XY,
    DRAFT_LOT,
    DRAFT_REVISION,
    IN_FORCE,
    P1_XY,
    UPLOADED_PROJECT,
    UPLOADED_REVISION,
    revision_plans,
)
from tests.vtiles.conftest import tile_of, token_header
from tests.vtiles.test_vector_tiles import decode, get_tile
from tiles import vector_tile_views, vtile_cache

pytestmark = pytest.mark.django_db
A1_XY = (HUE_X + 50, HUE_Y + 50)


@pytest.fixture
def plans(plan_in_force, planner, reviewer):
    return revision_plans(plan_in_force, planner, reviewer)


def _features(client, source: str, xy: tuple[float, float], **headers) -> list[dict]:
    """The properties of the features of the z16 tile holding `xy`, of every MVT layer."""
    response, _ = get_tile(client, source, *xy, z=16, **headers)
    assert response.status_code == 200
    return [
        f["properties"] for layer in decode(response.content).values() for f in layer["features"]
    ]


def _pairs(features: list[dict]) -> set[tuple[str, str, int]]:
    return {(f["code"], f["project"], f["revision"]) for f in features}


def test_tiles_carry_project_and_revision(client, plans):
    expected = {(code, *pair) for code, pair in IN_FORCE.items()}
    seen = _pairs(_features(client, "plans", A1_XY)) | _pairs(_features(client, "landuse", P1_XY))
    assert seen == expected
    (p1,) = _features(client, "landuse.second", P1_XY)
    assert (p1["project"], p1["revision"]) == ("second", 2)
    assert (p1["project_1"], p1["Revision_1"]) == (UPLOADED_PROJECT, UPLOADED_REVISION)


def test_tilejson_lists_them_as_fields(client, plans):
    layers = {
        layer["id"]: layer["fields"]
        for layer in client.get("/vtiles/plans.json").json()["vector_layers"]
    }
    for fields in layers.values():  # every kind, empty kinds included
        assert (fields["project"], fields["revision"]) == ("String", "Number")
    (landuse,) = client.get("/vtiles/landuse.json").json()["vector_layers"]
    assert {"project_1", "Revision_1"} <= set(landuse["fields"])


def test_the_drafts_revision_never_appears(client, plans, planner):
    for xy in (A1_XY, D1_XY):
        for source in ("plans", "landuse", "landuse.inforce"):
            features = _features(client, source, xy)
            assert DRAFT_LOT not in {f["code"] for f in features}
            assert {f["revision"] for f in features if f["project"] == "inforce"} <= {1}
    dated = _features(client, "landuse.inforce", A1_XY, query="?datetime=2100-01-01T00:00:00Z")
    assert {f["revision"] for f in dated} == {1}
    # Its planners see the draft's copies, each with its own revision's number.
    private = _features(client, "landuse.inforce", D1_XY, **token_header(planner))
    assert (DRAFT_LOT, "inforce", DRAFT_REVISION) in _pairs(private)
    response, _ = get_tile(client, "landuse", *A1_XY, query=f"?revision={plans['draft'].pk}")
    assert response.status_code == 404, "the draft is no source for anonymous callers"


def test_a_tile_cached_without_them_is_not_served(client, plans, monkeypatch):
    """What the release before these properties stored under its variant is never read."""
    with monkeypatch.context() as patch:
        patch.setattr(vector_tile_views, "TILE_VARIANT", "mvt3")
        assert client.get(_url(A1_XY)).status_code == 200
    stored = sorted(vtile_cache.cache_root().rglob("*.pbf"))
    assert stored
    assert all("/mvt3/" in str(path) for path in stored)
    for path in stored:  # as the older encoding stored it: no project, no revision
        path.write_bytes(b"")
    fresh = client.get(_url(A1_XY))
    features = decode(fresh.content)["landuse"]["features"]
    assert _pairs([f["properties"] for f in features]) == {
        (code, *pair) for code, pair in IN_FORCE.items()
    }  # A1's tile holds P1 too
    assert fresh["ETag"].endswith(f'-{vector_tile_views.TILE_VARIANT}"')
    assert vector_tile_views.TILE_VARIANT != "mvt3"


def _url(xy: tuple[float, float]) -> str:
    col, row, _ = tile_of(*xy, 16)
    return f"/vtiles/plans/16/{col}/{row}.pbf"
