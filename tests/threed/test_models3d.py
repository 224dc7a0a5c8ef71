"""3D model imports: CityJSON, glTF (GLB) and OBJ placed by origin and rotation; bad input."""

from __future__ import annotations

import json
import math

import numpy as np
import pygltflib
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from planning.models import Feature, Layer
from tests.conftest import HUE_X, HUE_Y
from tests.threed.conftest import token_header
from threed.testing import make_3d_plan

pytestmark = pytest.mark.django_db

CUBE = [  # unit cube vertices and its 6 outward quads
    [0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1],
]  # fmt: skip
QUADS = [[0, 3, 2, 1], [4, 5, 6, 7], [0, 1, 5, 4], [1, 2, 6, 5], [2, 3, 7, 6], [3, 0, 4, 7]]


@pytest.fixture
def draft(planner, reviewer):
    return make_3d_plan(planner, reviewer, columns=1, rows=1, approve=False)


def cityjson(**changes) -> dict:
    """A 10 x 10 x 12 m building at the test plan, vertices scaled by 0.01 (cm)."""
    document = {
        "type": "CityJSON",
        "version": "2.0",
        "metadata": {"referenceSystem": "https://www.opengis.net/def/crs/EPSG/0/9214"},
        "transform": {"scale": [0.01, 0.01, 0.01], "translate": [HUE_X + 5, HUE_Y + 5, 0.0]},
        "vertices": [[x * 1000, y * 1000, z * 1200] for x, y, z in CUBE],
        "CityObjects": {
            "house-1": {
                "type": "Building",
                "attributes": {"storeysAboveGround": 3, "measuredHeight": 12.0},
                "geometry": [
                    {"type": "Solid", "lod": "2", "boundaries": [[[list(q)] for q in QUADS]]}
                ],
            }
        },
    }
    document.update(changes)
    return document


def upload(client, revision, user, name: str, data: bytes, **fields):
    return client.post(
        f"/api/revisions/{revision.pk}/models/",
        {"file": SimpleUploadedFile(name, data), "name": "Massing", **fields},
        **token_header(user),
    )


def obj_text(objects: dict[str, tuple[list, list]]) -> bytes:
    lines, offset = [], 0
    for name, (vertices, faces) in objects.items():
        lines.append(f"o {name}")
        lines += [f"v {x} {y} {z}" for x, y, z in vertices]
        lines += ["f " + " ".join(str(i + 1 + offset) for i in face) for face in faces]
        offset += len(vertices)
    return "\n".join(lines).encode()


def glb_cube(size: float = 10.0) -> bytes:
    """A size-metre cube as GLB, y up, corner at the origin, as 12 triangles."""
    points = np.array(CUBE, dtype=np.float32) * size
    points = np.column_stack([points[:, 0], points[:, 2], -points[:, 1]])  # z-up -> y-up
    triangles = np.array(
        [[q[0], q[1], q[2]] for q in QUADS] + [[q[0], q[2], q[3]] for q in QUADS], dtype=np.uint16
    )
    blob = triangles.tobytes() + points.tobytes()
    gltf = pygltflib.GLTF2(
        scene=0,
        scenes=[pygltflib.Scene(nodes=[0])],
        nodes=[pygltflib.Node(mesh=0, name="tower")],
        meshes=[
            pygltflib.Mesh(
                primitives=[
                    pygltflib.Primitive(attributes=pygltflib.Attributes(POSITION=1), indices=0)
                ]
            )
        ],
        accessors=[
            pygltflib.Accessor(
                bufferView=0,
                componentType=pygltflib.UNSIGNED_SHORT,
                count=triangles.size,
                type=pygltflib.SCALAR,
            ),
            pygltflib.Accessor(
                bufferView=1,
                componentType=pygltflib.FLOAT,
                count=len(points),
                type=pygltflib.VEC3,
                min=points.min(0).tolist(),
                max=points.max(0).tolist(),
            ),
        ],
        bufferViews=[
            pygltflib.BufferView(buffer=0, byteOffset=0, byteLength=triangles.nbytes),
            pygltflib.BufferView(buffer=0, byteOffset=triangles.nbytes, byteLength=points.nbytes),
        ],
        buffers=[pygltflib.Buffer(byteLength=len(blob))],
    )
    gltf.set_binary_blob(blob)
    return b"".join(gltf.save_to_bytes())


def _layers(revision) -> int:
    return Layer.objects.filter(revision=revision).count()


def test_cityjson_building_is_imported(client, draft, planner):
    response = upload(client, draft, planner, "city.json", json.dumps(cityjson()).encode())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["features"] == 1
    assert body["warnings"] == []
    feature = Feature.objects.get(layer_id=body["layer"]["id"])
    assert feature.attributes["code"] == "house-1"
    assert feature.attributes["storeys"] == 3
    assert feature.geom.area == pytest.approx(100.0)
    assert feature.geom_3d.extent == pytest.approx((HUE_X + 5, HUE_Y + 5, HUE_X + 15, HUE_Y + 15))
    tileset = client.get(f"/3dtiles/revisions/{draft.pk}/tileset.json", **token_header(planner))
    assert tileset.status_code == 200


def test_cityjson_with_broken_references_is_refused(client, draft, planner):
    before = _layers(draft)
    broken = cityjson()
    broken["CityObjects"]["house-1"]["geometry"][0]["boundaries"][0][0][0][2] = 99
    response = upload(client, draft, planner, "city.json", json.dumps(broken).encode())
    assert response.status_code == 400
    assert "uses vertex 99, but the file has 8 vertices" in response.json()["detail"]
    orphan = cityjson()
    orphan["CityObjects"]["house-1"]["parents"] = ["missing-building"]
    response = upload(client, draft, planner, "city.json", json.dumps(orphan).encode())
    assert response.status_code == 400
    assert "missing-building" in response.json()["detail"]
    assert _layers(draft) == before


def test_glb_placed_by_origin_and_rotation(client, draft, planner):
    response = upload(
        client, draft, planner, "tower.glb", glb_cube(),
        origin_x=HUE_X + 20, origin_y=HUE_Y + 20, origin_z=2.0, rotation=90,
    )  # fmt: skip
    assert response.status_code == 201, response.content
    assert response.json()["warnings"] == []
    feature = Feature.objects.get(layer_id=response.json()["layer"]["id"])
    # Turned 90° counter-clockwise about the origin: x from -10 to 0, y from 0 to 10.
    assert feature.geom.extent == pytest.approx((HUE_X + 10, HUE_Y + 20, HUE_X + 20, HUE_Y + 30))
    assert feature.attributes["height"] == pytest.approx(10.0)


def test_huge_mesh_is_refused_before_it_is_built(client, draft, planner, settings):
    settings.PLANNING_3D_MAX_TRIANGLES = 100
    vertices = [[i, 0, 0] for i in range(300)]
    faces = [[i, i + 1, i + 2] for i in range(200)]
    response = upload(client, draft, planner, "big.obj", obj_text({"big": (vertices, faces)}),
                      origin_x=HUE_X, origin_y=HUE_Y)  # fmt: skip
    assert response.status_code == 413
    # QA walk: "the model has 101 triangles", where reading had stopped at the limit
    assert response.json()["detail"] == "The model has more than 100 triangles, the most accepted."
    big = glb_cube()
    settings.PLANNING_3D_MAX_TRIANGLES = 11
    response = upload(client, draft, planner, "t.glb", big, origin_x=HUE_X, origin_y=HUE_Y)
    assert response.status_code == 413
    assert _layers(draft) == 2


def test_model_placed_far_away_is_refused(client, draft, planner):
    response = upload(client, draft, planner, "tower.glb", glb_cube(),
                      origin_x=HUE_X + 1_000_000, origin_y=HUE_Y)  # fmt: skip
    assert response.status_code == 400
    assert "km from the project boundary" in response.json()["detail"]
    far = cityjson(transform={"scale": [0.01] * 3, "translate": [HUE_X, HUE_Y - 1_000_000, 0]})
    response = upload(client, draft, planner, "far.json", json.dumps(far).encode())
    assert response.status_code == 400
    assert _layers(draft) == 2


def test_metres_given_as_degrees_are_a_clear_refusal(client, draft, planner):
    """VN-2000 metres given with crs=4326 made PostGIS fail the transform: a 500 (QA walk)."""
    response = upload(client, draft, planner, "tower.glb", glb_cube(),
                      origin_x=HUE_X, origin_y=HUE_Y, crs="EPSG:4326")  # fmt: skip
    assert response.status_code == 400, response.content[:300]
    assert "check the file, the origin point and its CRS" in response.json()["detail"]
    degrees = cityjson(metadata={"referenceSystem": "https://www.opengis.net/def/crs/EPSG/0/4326"})
    response = upload(client, draft, planner, "deg.json", json.dumps(degrees).encode())
    assert response.status_code == 400, response.content[:300]
    assert _layers(draft) == 2


def test_degenerate_and_open_solids_are_reported(client, draft, planner):
    cube = [[x * 10, z * 10, -y * 10] for x, y, z in CUBE]  # OBJ is y up
    flat = [[0, 0, 0], [10, 0, 0], [10, 0, -10], [0, 0, -10]]
    model = obj_text({"open-box": (cube, QUADS[1:]), "flat": (flat, [[0, 1, 2, 3]])})
    response = upload(client, draft, planner, "m.obj", model, origin_x=HUE_X, origin_y=HUE_Y)
    assert response.status_code == 201, response.content
    warnings = {w["object"]: w["problem"] for w in response.json()["warnings"]}
    assert warnings["flat"].startswith("degenerate")
    assert warnings["open-box"].startswith("not a closed solid: 4 edges")
    assert response.json()["features"] == 1
    only_flat = obj_text({"flat": (flat, [[0, 1, 2, 3]])})
    response = upload(client, draft, planner, "f.obj", only_flat, origin_x=HUE_X, origin_y=HUE_Y)
    assert response.status_code == 400


def test_only_planners_of_a_draft_upload(client, draft, planner, reviewer, outsider):
    data = json.dumps(cityjson()).encode()
    assert upload(client, draft, outsider, "c.json", data).status_code == 404
    approved = make_3d_plan(planner, reviewer, "approved3d", columns=1, rows=1)
    assert upload(client, approved, planner, "c.json", data).status_code == 409


@pytest.mark.parametrize(
    "change",
    [
        {"metadata": "EPSG:9214"},
        {"transform": {"scale": "cm", "translate": [0, 0, 0]}},
        {"CityObjects": {"h": {"type": "Building", "geometry": [{"lod": "x", "boundaries": []}]}}},
        {
            "CityObjects": {
                "h": {
                    "type": "Building",
                    "geometry": [{"type": "MultiSurface", "boundaries": [[[0, 1, "2", 3]]]}],
                }
            }
        },
    ],
)
def test_cityjson_members_of_the_wrong_type_are_refused(client, draft, planner, change):
    data = json.dumps(cityjson(**change)).encode()
    response = upload(client, draft, planner, "c.json", data)
    assert response.status_code == 400, response.content
    assert response.json()["detail"].startswith("Not a CityJSON file")


@pytest.mark.parametrize(
    ("nodes", "mime"),
    [
        ([{"mesh": 5}], "application/octet-stream"),
        ([{"mesh": 0, "matrix": [1, 2, 3]}], "application/octet-stream"),
        ([{"mesh": 0, "rotation": [1]}], "application/octet-stream"),
        ([{"mesh": 0}], ""),  # "data:;base64,…": pygltflib cannot split it
    ],
)
def test_gltf_with_broken_members_is_refused(client, draft, planner, nodes, mime):
    import base64

    triangle = np.array([0, 0, 0, 1, 0, 0, 0, 1, 0], dtype="<f4").tobytes()
    uri = f"data:{mime};base64," + base64.b64encode(triangle).decode()
    document = {
        "asset": {"version": "2.0"},
        "buffers": [{"uri": uri, "byteLength": 36}],
        "bufferViews": [{"buffer": 0, "byteLength": 36}],
        "accessors": [{"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3"}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}}]}],
        "nodes": nodes,
    }
    data = json.dumps(document).encode()
    response = upload(client, draft, planner, "m.gltf", data, origin_x=HUE_X, origin_y=HUE_Y)
    assert response.status_code == 400, response.content
    assert response.json()["detail"].startswith("Not a glTF 2.0 file")


@pytest.mark.parametrize(
    ("bad", "origin_x"), [("inf", HUE_X), ("nan", HUE_X), ("1e300", HUE_X), ("1", 1e300)]
)
def test_non_finite_or_huge_coordinates_are_refused(client, draft, planner, bad, origin_x):
    vertices = [[x * 10, y * 10, z * 10] for x, y, z in CUBE]
    vertices[0][0] = bad
    data = obj_text({"box": (vertices, QUADS)})
    response = upload(client, draft, planner, "b.obj", data, origin_x=origin_x, origin_y=HUE_Y)
    assert response.status_code == 400, response.content
    assert "far too large" in response.json()["detail"]


def test_a_draft_submitted_meanwhile_takes_no_model(draft, planner, tmp_path):
    """The permission is checked again under a lock: a revision object read before the
    submission (still a draft in memory) writes nothing into the submitted revision."""
    from planning.errors import Conflict
    from planning.models import Revision, RevisionState
    from threed.models3d import import_model
    from threed.readers import read_cityjson

    path = tmp_path / "c.json"
    path.write_text(json.dumps(cityjson()), encoding="utf-8")
    model = read_cityjson(path)
    Revision.objects.filter(pk=draft.pk).update(state=RevisionState.SUBMITTED)
    with pytest.raises(Conflict, match="only drafts"):
        import_model(
            user=planner,
            revision=draft,
            model=model,
            filename="c.json",
            name="M",
            crs=None,
            placement=None,
        )
    assert not Layer.objects.filter(revision=draft, name="M").exists()


def test_cityjson_in_an_unknown_crs_is_refused(client, draft, planner):
    document = cityjson(
        metadata={"referenceSystem": "https://www.opengis.net/def/crs/EPSG/0/99999"}
    )
    response = upload(client, draft, planner, "c.json", json.dumps(document).encode())
    assert response.status_code == 400, response.content
    assert "EPSG:99999" in response.json()["detail"]


def test_cityjson_in_another_crs_is_reprojected(client, draft, planner):
    from django.db import connection

    with connection.cursor() as cursor:  # the test corner in VN-2000 / UTM 48N (EPSG:3405)
        cursor.execute(
            "SELECT ST_X(p), ST_Y(p) FROM ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 9214), "
            "3405) p",
            [HUE_X + 5, HUE_Y + 5],
        )
        x, y = cursor.fetchone()
    document = cityjson(
        metadata={"referenceSystem": "urn:ogc:def:crs:EPSG::3405"},
        transform={"scale": [0.01, 0.01, 0.01], "translate": [x, y, 0.0]},
    )
    response = upload(client, draft, planner, "utm.json", json.dumps(document).encode())
    assert response.status_code == 201, response.content
    feature = Feature.objects.get(layer_id=response.json()["layer"]["id"])
    corners = [pt for polygon in feature.geom for pt in polygon.exterior_ring]
    # The origin corner lands where it was; the grid convergence turns the rest slightly.
    assert min(math.dist(pt, (HUE_X + 5, HUE_Y + 5)) for pt in corners) < 0.01
    assert feature.geom.area == pytest.approx(100.0, rel=0.01)  # 10 m, a little turned
    z = [pt[2] for polygon in feature.geom_3d for pt in polygon.exterior_ring]
    assert (min(z), max(z)) == (0.0, 12.0)


@pytest.mark.parametrize(("field", "value"), [("rotation", 12500), ("origin_z", 1e308)])
def test_the_api_refuses_the_placements_the_page_refuses(client, draft, planner, field, value):
    """Review: the page refused a rotation of 12 500° or an origin 1e308 m up, the API took
    them (threed.models3d.ROTATION_RANGE, HEIGHT_RANGE)."""
    placed = {"origin_x": HUE_X + 20, "origin_y": HUE_Y + 20, field: value}
    response = upload(client, draft, planner, "tower.glb", glb_cube(), **placed)
    assert response.status_code == 400
    assert field in response.json()
    assert not Layer.objects.filter(revision=draft, name="Massing").exists()
