"""The change layer after a re-export: millimetre shifts from a lon/lat round trip are not
geometry changes, and an attribute change shows even when the geometry changed too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely
import shapely.affinity
from django.contrib.gis.geos import GEOSGeometry, Polygon
from django.test import Client
from rest_framework.test import APIClient

from importers.service import import_upload
from planning import compare
from planning.actions import CreateRevision
from planning.models import Feature, Layer, Revision
from tests.conftest import HUE_X, HUE_Y, make_plan

pytestmark = pytest.mark.django_db

# Irregular lots (fractional vertices), so a lon/lat round trip cannot land exactly on them.
LOTS = [
    (
        Polygon(
            (
                (HUE_X + i * 60 + 0.123, HUE_Y + 0.456),
                (HUE_X + i * 60 + 50.789, HUE_Y + 3.21),
                (HUE_X + i * 60 + 47.5, HUE_Y + 41.987),
                (HUE_X + i * 60 + 1.3, HUE_Y + 39.9),
                (HUE_X + i * 60 + 0.123, HUE_Y + 0.456),
            ),
            srid=9214,
        ),
        {"code": f"B2-0{i + 1}", "function": "CX" if i == 0 else "DO"},
    )
    for i in range(4)
]


@pytest.fixture
def r1(planner, reviewer):
    return make_plan(planner, reviewer, "reexport", LOTS, approve=True)


def changes_of(user, revision) -> dict:
    client = APIClient()
    client.force_authenticate(user)
    response = client.get(f"/api/revisions/{revision.pk}/changes/")
    assert response.status_code == 200
    return {f["properties"]["code"]: f["properties"]["change"] for f in response.json()["features"]}


def exported_geojson(tmp_path, edit) -> str:
    """r1's lots as the public OGC API hands them out (lon/lat, 7 decimals), edited."""
    body = Client().get("/ogcapi/collections/landuse/items?f=json&limit=100")
    assert body.status_code == 200
    collection = json.loads(b"".join(body.streaming_content) if body.streaming else body.content)
    assert len(collection["features"]) == len(LOTS)
    for feature in collection["features"]:
        edit(feature)
    path = tmp_path / "landuse.geojson"
    path.write_text(json.dumps(collection))
    return str(path)


def upload_into_new_revision(planner, project, path) -> Revision:
    revision = CreateRevision(user=planner, project=project).execute()
    import_upload(
        user=planner,
        revision=revision,
        path=Path(path),
        filename="landuse.geojson",
        kind="landuse",
        name="Lots",
    )
    return revision


def test_reexport_with_one_attribute_change_reports_only_that_change(planner, r1, tmp_path):
    def edit(feature):
        if feature["properties"]["code"] == "B2-01":
            feature["properties"]["function"] = "GD"

    r2 = upload_into_new_revision(planner, r1.project, exported_geojson(tmp_path, edit))
    assert Feature.objects.filter(layer__revision=r2).count() == len(LOTS)
    found = changes_of(planner, r2)
    assert found == {"B2-01": "attributes"}


def test_the_published_category_is_not_stored_again_unless_edited(planner, r1, tmp_path):
    """OGC API publishes each lot's catalogue code as `category`: imported again it only
    repeats Feature.category and is not stored, unless the planner changed it."""

    def edit(feature):
        assert feature["properties"]["category"] == feature["properties"]["function"]
        if feature["properties"]["code"] == "B2-02":
            feature["properties"]["category"] = "GD"

    r2 = upload_into_new_revision(planner, r1.project, exported_geojson(tmp_path, edit))
    stored = {
        f.attributes["code"]: f.attributes for f in Feature.objects.filter(layer__revision=r2)
    }
    assert stored["B2-01"] == {"code": "B2-01", "function": "CX"}
    assert stored["B2-02"] == {"code": "B2-02", "function": "DO", "category": "GD"}
    schema = Layer.objects.get(revision=r2).attribute_schema
    assert "category" in [field["name"] for field in schema]
    assert changes_of(planner, r2) == {"B2-02": "attributes"}


def answer_with(planner, r1, edit_feature) -> Revision:
    """A revision answering the plan in force (a copy of its layers), one lot edited."""
    r2 = CreateRevision(user=planner, project=r1.project, based_on=r1).execute()
    layer = Layer.objects.get(revision=r2)
    edit_feature(Feature.objects.get(layer=layer, attributes__code="B2-02"))
    return r2


def shifted(geom, dx: float) -> GEOSGeometry:
    moved = shapely.affinity.translate(shapely.from_wkb(bytes(geom.wkb)), xoff=dx)
    return GEOSGeometry(memoryview(shapely.to_wkb(moved)), srid=geom.srid)


@pytest.mark.parametrize(
    ("dx", "new_function", "expected"),
    [
        (0.005, "DO", {}),  # 5 mm: within the tolerance, nothing changed
        (0.005, "GD", {"B2-02": "attributes"}),
        (0.05, "DO", {"B2-02": "geometry"}),  # 5 cm: a real move
        (0.05, "GD", {"B2-02": "geometry_attributes"}),  # both are reported
    ],
)
def test_geometry_changes_beyond_the_tolerance_only(planner, r1, dx, new_function, expected):
    def edit(lot):
        lot.geom = shifted(lot.geom, dx)
        lot.attributes = {**lot.attributes, "function": new_function}
        lot.save()

    assert changes_of(planner, answer_with(planner, r1, edit)) == expected


def test_features_without_code_match_within_the_tolerance(planner, r1):
    r2 = CreateRevision(user=planner, project=r1.project, based_on=r1).execute()
    old_layer = Layer.objects.get(revision=r1)
    new_layer = Layer.objects.get(revision=r2)
    geom = LOTS[0][0]
    Feature.objects.create(layer=old_layer, geom=geom, attributes={"note": "well"})
    Feature.objects.create(layer=new_layer, geom=shifted(geom, 0.004), attributes={"note": "well"})
    far = Feature.objects.create(
        layer=new_layer, geom=shifted(geom, 0.5), attributes={"note": "pond"}
    )
    found = compare.changes(r1, r2)
    assert [(c.change, c.new_id) for c in found] == [("added", far.pk)]


def test_the_review_page_labels_every_change_type():
    from webmap.reviewconfig import labels

    assert set(labels()["changes"]) == set(compare.CHANGE_TYPES)


def _notched(x: float, y: float, side: str) -> Polygon:
    """A 10 m lot with a notch in its top or right side: the same five vertices either way."""
    notch = (x + 5, y + 5)
    ring = {
        "top": [(x, y), (x + 10, y), (x + 10, y + 10), notch, (x, y + 10), (x, y)],
        "right": [(x, y), (x + 10, y), notch, (x + 10, y + 10), (x, y + 10), (x, y)],
    }[side]
    return Polygon(ring, srid=9214)


@pytest.mark.parametrize("code", ["N1", ""])
def test_a_lot_reshaped_over_the_same_vertices_is_a_geometry_change(planner, reviewer, code):
    """The vertex-only Hausdorff distance of these shapes is 0 although 50 m2 moved."""
    attributes = {"code": code, "function": "DO"} if code else {"function": "DO"}
    old = _notched(HUE_X + 500, HUE_Y, "top")
    # a lot without a code fails the submission's checks: compare two drafts then
    r1 = make_plan(planner, reviewer, "notch", [(old, attributes)], approve=bool(code))
    r2 = CreateRevision(user=planner, project=r1.project, based_on=r1).execute()
    lot = Feature.objects.get(layer__revision=r2)
    lot.geom = _notched(HUE_X + 500, HUE_Y, "right")
    lot.save()
    found = sorted(change.change for change in compare.changes(r1, r2))
    # with a code the pair is matched and its geometry changed; without one, the shapes do
    # not pair, so the old is removed and the new added
    assert found == (["geometry"] if code else ["added", "removed"])
