"""Hostile 3D model files refused with a 400 before the parser trusts them: glTF byte
ranges outside the glTF 2.0 rules (strides, offsets, counts, views past their buffer) and
JSON (CityJSON, glTF) nested far deeper than a real file. The files are built byte by byte
here and go through the real upload API; nothing of a refused file may be stored."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest
from django.conf import settings as django_settings

from planning.models import Feature, Layer
from tests.conftest import HUE_X, HUE_Y
from tests.threed.test_models3d import CUBE, QUADS, cityjson, upload
from threed.readers import MAX_JSON_DEPTH
from threed.testing import make_3d_plan

pytestmark = pytest.mark.django_db

HOSTILE_DEPTH = 200_000
TOO_DEEP = f"more than {MAX_JSON_DEPTH} levels deep"
# A 10 m cube, glTF axes (y up): 36 uint16 indices (72 bytes), then 8 float32 points (96).
INDICES = np.array(
    [[q[0], q[1], q[2]] for q in QUADS] + [[q[0], q[2], q[3]] for q in QUADS], dtype="<u2"
).reshape(-1)
POINTS = np.array([[x * 10, z * 10, -y * 10] for x, y, z in CUBE], dtype="<f4")


@pytest.fixture
def draft(planner, reviewer):
    return make_3d_plan(planner, reviewer, columns=1, rows=1, approve=False)


def cube_document(points: bytes = POINTS.tobytes(), stride: int | None = None) -> dict:
    """The glTF JSON of the cube; its binary data is `cube_blob(points)`."""
    views = [
        {"buffer": 0, "byteOffset": 0, "byteLength": INDICES.nbytes},
        {"buffer": 0, "byteOffset": INDICES.nbytes, "byteLength": len(points)},
    ]
    if stride is not None:
        views[1]["byteStride"] = stride
    return {
        "asset": {"version": "2.0"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0, "name": "tower"}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 1}, "indices": 0}]}],
        "buffers": [{"byteLength": INDICES.nbytes + len(points)}],
        "bufferViews": views,
        "accessors": [
            {"bufferView": 0, "componentType": 5123, "count": INDICES.size, "type": "SCALAR"},
            {"bufferView": 1, "componentType": 5126, "count": len(POINTS), "type": "VEC3"},
        ],
    }


def cube_blob(points: bytes = POINTS.tobytes()) -> bytes:
    return INDICES.tobytes() + points


def glb(document: dict | bytes, blob: bytes) -> bytes:
    """A GLB container: 12-byte header, the JSON chunk, the BIN chunk (both padded to 4)."""
    text = document if isinstance(document, bytes) else json.dumps(document).encode()
    text += b" " * (-len(text) % 4)
    blob += b"\0" * (-len(blob) % 4)
    body = struct.pack("<I4s", len(text), b"JSON") + text
    body += struct.pack("<I4s", len(blob), b"BIN\0") + blob
    return struct.pack("<4sII", b"glTF", 2, 12 + len(body)) + body


def stored(draft) -> tuple[int, int, list]:
    var = django_settings.PLANNING_VAR_DIR
    files = sorted(str(p) for p in var.rglob("*")) if var.exists() else []
    return Layer.objects.filter(revision=draft).count(), Feature.objects.count(), files


def assert_refused(client, draft, planner, name: str, data: bytes, message: str) -> None:
    before = stored(draft)
    response = upload(client, draft, planner, name, data, origin_x=HUE_X, origin_y=HUE_Y)
    assert response.status_code == 400, response.content
    assert message in response.json()["detail"], response.json()["detail"]
    assert stored(draft) == before


def test_the_cube_the_hostile_files_start_from_imports(client, draft, planner):
    data = glb(cube_document(), cube_blob())
    response = upload(client, draft, planner, "c.glb", data, origin_x=HUE_X, origin_y=HUE_Y)
    assert response.status_code == 201, response.content
    feature = Feature.objects.get(layer_id=response.json()["layer"]["id"])
    assert feature.geom.extent == pytest.approx((HUE_X, HUE_Y, HUE_X + 10, HUE_Y + 10))


def test_interleaved_points_with_a_valid_stride_are_read(client, draft, planner):
    """byteStride 16: each 12-byte point is followed by 4 bytes of something else."""
    padded = np.hstack([POINTS, np.full((len(POINTS), 1), 7e30, dtype="<f4")]).tobytes()
    data = glb(cube_document(padded, stride=16), cube_blob(padded))
    response = upload(client, draft, planner, "s.glb", data, origin_x=HUE_X, origin_y=HUE_Y)
    assert response.status_code == 201, response.content
    feature = Feature.objects.get(layer_id=response.json()["layer"]["id"])
    assert feature.geom.extent == pytest.approx((HUE_X, HUE_Y, HUE_X + 10, HUE_Y + 10))
    assert feature.geom_3d.extent == pytest.approx((HUE_X, HUE_Y, HUE_X + 10, HUE_Y + 10))


def _view(number: int, **values):
    def change(document: dict) -> None:
        document["bufferViews"][number].update(values)

    return change


def _accessor(number: int, **values):
    def change(document: dict) -> None:
        document["accessors"][number].update(values)

    return change


def _buffer(**values):
    def change(document: dict) -> None:
        document["buffers"][0].update(values)

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        # The probe of the review: a negative stride read the bytes before the buffer.
        (_view(1, byteStride=-12), "bufferView 1 has byteStride -12; glTF requires"),
        (_view(1, byteStride=-1), "bufferView 1 has byteStride -1"),
        (_view(1, byteStride=3), "bufferView 1 has byteStride 3"),
        (_view(1, byteStride=14), "bufferView 1 has byteStride 14"),
        (_view(1, byteStride=256), "bufferView 1 has byteStride 256"),
        (_view(1, byteStride=8), "accessor 1 has elements of 12 bytes, longer than the byteStride"),
        (_view(1, byteStride=252), "glTF accessor 1 reads past its buffer"),
        (_view(1, byteOffset=-12), "bufferView 1 (byteOffset -12, byteLength 96) does not lie"),
        (_view(1, byteOffset=80), "bufferView 1 (byteOffset 80, byteLength 96) does not lie"),
        (_view(1, byteLength=200), "bufferView 1 (byteOffset 72, byteLength 200) does not lie"),
        (_view(0, byteLength=0), "bufferView 0 (byteOffset 0, byteLength 0) does not lie"),
        (_view(0, buffer=1), "bufferView 0 refers to buffer 1, which the file does not contain"),
        (_accessor(1, count=9), "glTF accessor 1 reads past its buffer"),
        (_accessor(1, byteOffset=12), "glTF accessor 1 reads past its buffer"),
        (_accessor(1, byteOffset=-12), "accessor 1 has byteOffset -12; it must be a non-negative"),
        (
            _accessor(1, byteOffset=2),
            "accessor 1 has byteOffset 2; it must be a non-negative multiple of 4",
        ),
        (_accessor(0, byteOffset=1), "accessor 0 has byteOffset 1"),
        (_accessor(1, count=0), "accessor 1 has count 0; it must be a positive integer"),
        (_accessor(1, count=-3), "accessor 1 has count -3"),  # the indices are counted
        (_accessor(0, count=-3), "Broken glTF accessor 0"),
        (_accessor(1, componentType=5124), "Broken glTF accessor 1"),
        (_accessor(1, type="VEC5"), "Broken glTF accessor 1"),
        (_accessor(1, bufferView=-1), "Broken glTF accessor 1"),
        (_buffer(byteLength=10_000), "buffer 0 declares 10000 bytes but holds 168"),
        (_buffer(byteLength=-1), "buffer 0 declares -1 bytes"),
    ],
)
def test_byte_ranges_outside_the_gltf_rules_are_refused(client, draft, planner, change, message):
    document = cube_document()
    change(document)
    assert_refused(client, draft, planner, "bad.glb", glb(document, cube_blob()), message)


def test_a_negative_count_of_points_is_refused(client, draft, planner):
    document = cube_document()
    document["accessors"][1]["count"] = -3
    del document["meshes"][0]["primitives"][0]["indices"]  # the points are counted
    data = glb(document, cube_blob())
    assert_refused(client, draft, planner, "bad.glb", data, "Broken glTF accessor 1")


def test_a_glb_chunk_past_the_end_of_the_file_is_refused(client, draft, planner):
    data = glb(cube_document(), cube_blob())
    json_length = struct.unpack_from("<I", data, 12)[0]
    broken = bytearray(data)
    struct.pack_into("<I", broken, 20 + json_length, 10_000)  # the BIN chunk's length
    message = "a GLB chunk runs past the end of the file"
    assert_refused(client, draft, planner, "bad.glb", bytes(broken), message)


def deep_array(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def gltf_text(depth: int) -> bytes:
    """The cube's glTF JSON, nested `depth` levels deep by arrays in its extras."""
    text = json.dumps({**cube_document(), "extras": {"deep": "DEEP"}}).encode()
    return text.replace(b'"DEEP"', deep_array(depth - 2))  # the document and its extras


@pytest.mark.parametrize("depth", [HOSTILE_DEPTH, MAX_JSON_DEPTH + 1])
def test_gltf_json_nested_deep_is_refused(client, draft, planner, depth):
    """Both past the parser's recursion limit and just past the bound (which the parser
    itself would accept)."""
    text = gltf_text(depth)
    assert_refused(client, draft, planner, "deep.glb", glb(text, cube_blob()), TOO_DEEP)
    assert_refused(client, draft, planner, "deep.gltf", text, TOO_DEEP)


def test_gltf_json_at_the_depth_bound_is_accepted(client, draft, planner):
    data = glb(gltf_text(MAX_JSON_DEPTH), cube_blob())
    response = upload(client, draft, planner, "d.glb", data, origin_x=HUE_X, origin_y=HUE_Y)
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("depth", [HOSTILE_DEPTH, MAX_JSON_DEPTH + 1])
def test_cityjson_nested_deep_is_refused(client, draft, planner, depth):
    """The review's file: vertices nested 200 000 deep (a RecursionError, 500, before)."""
    text = b'{"type":"CityJSON","version":"2.0","vertices":' + deep_array(depth - 1) + b"}"
    assert_refused(client, draft, planner, "deep.json", text, TOO_DEEP)
    attributes = (
        json.dumps(cityjson())
        .encode()
        .replace(b'"measuredHeight"', b'"deep": ' + deep_array(depth - 4) + b', "measuredHeight"')
    )  # document, CityObjects, house-1, attributes: 4 levels above
    assert_refused(client, draft, planner, "deep.json", attributes, TOO_DEEP)


def test_cityjson_boundaries_nested_deeper_than_their_type_are_refused(client, draft, planner):
    document = cityjson()
    geometry = document["CityObjects"]["house-1"]["geometry"][0]
    geometry["boundaries"][0][0][0][0] = [[0, 1, 2]]  # a ring holding a ring
    message = "a ring of CityObject house-1 holds something else than vertex indices"
    assert_refused(client, draft, planner, "b.json", json.dumps(document).encode(), message)
    geometry["boundaries"][0][0][0] = 5  # a ring that is a number
    data = json.dumps(document).encode()
    assert_refused(client, draft, planner, "b.json", data, "Malformed CityJSON boundaries")
    geometry["boundaries"][0][0] = [[0, 1, 2, 3], 5]  # an inner ring that is a number
    assert_refused(client, draft, planner, "b.json", json.dumps(document).encode(), message)


def test_a_long_chain_of_parents_is_not_walked_recursively(client, draft, planner):
    """5000 CityObjects, each the parent of the next: the hierarchy is checked by look-ups,
    never followed, so its length does not matter."""
    document = cityjson()
    chain = [f"part-{i}" for i in range(5000)]
    objects = document["CityObjects"]
    for number, oid in enumerate(chain):
        objects[oid] = {"type": "BuildingPart"}
        if number:
            objects[oid]["parents"] = [chain[number - 1]]
        if number + 1 < len(chain):
            objects[oid]["children"] = [chain[number + 1]]
    objects["house-1"]["children"] = [chain[0]]
    response = upload(client, draft, planner, "c.json", json.dumps(document).encode())
    assert response.status_code == 201, response.content
    assert response.json()["features"] == 1


def test_a_null_buffer_view_is_refused(client, draft, planner):
    """Once a 500 (an AttributeError after loading)."""
    document = cube_document()
    document["bufferViews"][1] = None
    data = glb(document, cube_blob())
    assert_refused(client, draft, planner, "bad.glb", data, "Not a glTF 2.0 file")
