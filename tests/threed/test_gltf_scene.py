"""glTF scene graph: world transforms down the node hierarchy (parent world * local), one
object per node instance, only the displayed scene, and hostile hierarchies refused.

Expected coordinates are computed here with explicit matrices (Rodrigues' rotation, T * R * S,
glTF's Y up turned to Z up), independently of the reader."""

from __future__ import annotations

import math

import numpy as np
import pygltflib
import pytest
from django.db import connection

from planning.models import Feature, Layer
from tests.conftest import HUE_X, HUE_Y
from tests.threed.test_models3d import CUBE, QUADS, upload
from threed.readers import MAX_GLTF_DEPTH, read_model
from threed.testing import make_3d_plan

pytestmark = pytest.mark.django_db

TRIANGLES = np.array(
    [[q[0], q[1], q[2]] for q in QUADS] + [[q[0], q[2], q[3]] for q in QUADS], dtype=np.uint16
)
Z_UP = np.array(
    [[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]]
)  # glTF (x, y, z) -> (x, -z, y)


@pytest.fixture
def draft(planner, reviewer):
    return make_3d_plan(planner, reviewer, columns=1, rows=1, approve=False)


def box(size=(1.0, 1.0, 1.0)) -> np.ndarray:
    """A box in glTF axes, one corner at the origin."""
    return np.array(CUBE, dtype=np.float32) * np.asarray(size, dtype=np.float32)


def gltf_document(nodes: list[dict], meshes=None, scenes=None, scene=None) -> pygltflib.GLTF2:
    """A GLB document; `meshes` lists meshes as lists of (points, triangles) primitives
    (default: one 1 m box of 12 triangles)."""
    meshes = meshes if meshes is not None else [[(box(), TRIANGLES)]]
    blob, accessors, views, gltf_meshes = b"", [], [], []
    for number, primitives in enumerate(meshes):
        gltf_primitives = []
        for points, triangles in primitives:
            for array, kind in ((triangles, pygltflib.SCALAR), (points, pygltflib.VEC3)):
                views.append(
                    pygltflib.BufferView(buffer=0, byteOffset=len(blob), byteLength=array.nbytes)
                )
                accessors.append(
                    pygltflib.Accessor(
                        bufferView=len(views) - 1,
                        componentType=pygltflib.UNSIGNED_SHORT
                        if kind == pygltflib.SCALAR
                        else pygltflib.FLOAT,
                        count=array.size if kind == pygltflib.SCALAR else len(array),
                        type=kind,
                    )
                )
                blob += array.tobytes()
            attributes = pygltflib.Attributes(POSITION=len(accessors) - 1)
            gltf_primitives.append(
                pygltflib.Primitive(attributes=attributes, indices=len(accessors) - 2)
            )
        gltf_meshes.append(pygltflib.Mesh(name=f"mesh{number}", primitives=gltf_primitives))
    gltf = pygltflib.GLTF2(
        scene=scene,
        scenes=[pygltflib.Scene(nodes=roots) for roots in scenes or []],
        nodes=[pygltflib.Node(**node) for node in nodes],
        meshes=gltf_meshes,
        accessors=accessors,
        bufferViews=views,
        buffers=[pygltflib.Buffer(byteLength=len(blob))],
    )
    gltf.set_binary_blob(blob)
    return gltf


def glb(nodes: list[dict], **document) -> bytes:
    return b"".join(gltf_document(nodes, **document).save_to_bytes())


def read(tmp_path, data: bytes):
    path = tmp_path / "model.glb"
    path.write_bytes(data)
    return read_model(path, "model.glb")


def trs(translation=(0.0, 0.0, 0.0), axis=(0.0, 1.0, 0.0), degrees=0.0, scale=(1.0, 1.0, 1.0)):
    """A node's TRS members and, independently, its matrix T * R * S (Rodrigues' rotation)."""
    unit = np.asarray(axis, dtype=np.float64) / np.linalg.norm(axis)
    angle = math.radians(degrees)
    half = angle / 2
    members = {
        "translation": list(translation),
        "rotation": [*(unit * math.sin(half)).tolist(), math.cos(half)],
        "scale": list(scale),
    }
    cross = np.array([[0, -unit[2], unit[1]], [unit[2], 0, -unit[0]], [-unit[1], unit[0], 0]])
    rotation = np.eye(3) + math.sin(angle) * cross + (1 - math.cos(angle)) * cross @ cross
    translate, rotate, stretch = np.eye(4), np.eye(4), np.diag([*scale, 1.0])
    translate[:3, 3] = translation
    rotate[:3, :3] = rotation
    return members, translate @ rotate @ stretch


def z_up(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Points moved by a glTF world matrix, then in the importer's Z-up axes."""
    moved = np.column_stack([points, np.ones(len(points))]) @ matrix.T
    return moved[:, :3] @ Z_UP.T


def same_points(actual: np.ndarray, expected: np.ndarray) -> None:
    def ordered(points):
        rounded = np.round(np.asarray(points, dtype=np.float64), 6) + 0.0  # no -0.0
        return rounded[np.lexsort(rounded.T[::-1])]

    np.testing.assert_allclose(ordered(actual), ordered(expected), atol=1e-5)


# --- world transforms --------------------------------------------------------------------------


def test_parent_trs_moves_scales_and_turns_its_child(tmp_path):
    parent, parent_matrix = trs((100.0, 5.0, -20.0), (0.0, 1.0, 0.0), 90.0, (2.0, 3.0, 0.5))
    child, child_matrix = trs((1.0, 0.0, 0.0), (1.0, 0.0, 0.0), 30.0)
    nodes = [{"name": "site", "children": [1], **parent}, {"name": "tower", "mesh": 0, **child}]
    model = read(tmp_path, glb(nodes, scenes=[[0]], scene=0))
    assert [obj.name for obj in model.objects] == ["tower"]
    same_points(model.objects[0].vertices, z_up(parent_matrix @ child_matrix, box()))
    # The non-uniform scale is the parent's own (T * R * S), applied after the child's turn.
    assert model.triangles == 12


def test_matrix_parents_accumulate_down_three_levels(tmp_path):
    turn = math.radians(90)
    parent_matrix = np.array(  # a quarter turn about x, then 10 m along x and 7 m up (y)
        [
            [1.0, 0.0, 0.0, 10.0],
            [0.0, math.cos(turn), -math.sin(turn), 7.0],
            [0.0, math.sin(turn), math.cos(turn), 0.0],
            [0.0, 0.0, 0.0, 1.0],
        ]
    )
    middle, middle_matrix = trs(scale=(4.0, 4.0, 4.0))
    leaf, leaf_matrix = trs((0.0, 0.0, 2.0), (0.0, 0.0, 1.0), 45.0)
    nodes = [
        {"children": [1], "matrix": parent_matrix.T.reshape(-1).tolist()},  # column-major
        {"children": [2], **middle},
        {"name": "leaf", "mesh": 0, **leaf},
    ]
    model = read(tmp_path, glb(nodes, scenes=[[0]]))
    expected = z_up(parent_matrix @ middle_matrix @ leaf_matrix, box())
    same_points(model.objects[0].vertices, expected)


def test_nesting_as_deep_as_allowed_accumulates_every_level(tmp_path):
    nodes = [{"translation": [1.0, 0.0, 0.0], "children": [i + 1]} for i in range(MAX_GLTF_DEPTH)]
    nodes[-1] = {"translation": [1.0, 0.0, 0.0], "mesh": 0, "name": "deep"}
    model = read(tmp_path, glb(nodes, scenes=[[0]]))
    shifted = np.eye(4)
    shifted[0, 3] = MAX_GLTF_DEPTH
    same_points(model.objects[0].vertices, z_up(shifted, box()))


def test_a_mesh_shown_by_two_nodes_gives_two_objects(tmp_path):
    first, first_matrix = trs((0.0, 0.0, 0.0))
    second, second_matrix = trs((20.0, 0.0, -5.0), (0.0, 1.0, 0.0), 180.0)
    nodes = [
        {"name": "row", "children": [1, 2]},
        {"name": "house", "mesh": 0, **first},
        {"name": "house", "mesh": 0, **second},
        {"mesh": 0, "translation": [50.0, 0.0, 0.0]},  # unnamed: the mesh's name
    ]
    model = read(tmp_path, glb(nodes, scenes=[[0, 3]]))
    assert [obj.name for obj in model.objects] == ["house", "house-2", "mesh0"]
    assert [obj.attributes["code"] for obj in model.objects] == ["house", "house-2", "mesh0"]
    same_points(model.objects[0].vertices, z_up(first_matrix, box()))
    same_points(model.objects[1].vertices, z_up(second_matrix, box()))
    assert model.objects[2].vertices[:, 0].min() == pytest.approx(50.0)
    assert model.triangles == 36


def test_only_the_displayed_scene_is_imported(tmp_path):
    nodes = [
        {"name": "shown", "mesh": 0},
        {"name": "hidden", "mesh": 0, "translation": [9.0, 0.0, 0.0]},
        {"name": "other-scene", "mesh": 0},
    ]
    model = read(tmp_path, glb(nodes, scenes=[[2], [0]], scene=1))
    assert [obj.name for obj in model.objects] == ["shown"]
    assert model.triangles == 12
    first_scene = read(tmp_path, glb(nodes, scenes=[[2], [0]]))  # no `scene`: the first one
    assert [obj.name for obj in first_scene.objects] == ["other-scene"]


def test_without_scenes_the_parentless_nodes_are_the_roots(tmp_path):
    parent, parent_matrix = trs((3.0, 0.0, 0.0), (0.0, 1.0, 0.0), 90.0)
    nodes = [{"name": "child", "mesh": 0}, {"name": "parent", "children": [0], **parent}]
    model = read(tmp_path, glb(nodes))
    assert [obj.name for obj in model.objects] == ["child"]  # once, under its parent
    same_points(model.objects[0].vertices, z_up(parent_matrix, box()))


def test_a_mesh_outside_the_scene_is_not_read(tmp_path):
    """An unused mesh with lines (not triangles) or a broken accessor does not matter."""
    gltf = gltf_document(
        [{"mesh": 0, "name": "a"}, {"mesh": 1, "name": "unused"}],
        meshes=[[(box(), TRIANGLES)], [(box(), TRIANGLES)]],
        scenes=[[0]],
    )
    gltf.meshes[1].primitives[0].mode = pygltflib.LINES
    model = read(tmp_path, b"".join(gltf.save_to_bytes()))
    assert [obj.name for obj in model.objects] == ["a"]


# --- through the import endpoint ---------------------------------------------------------------


def stored_points(layer_id: int) -> np.ndarray:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT ST_X(p.geom), ST_Y(p.geom), ST_Z(p.geom) "
            f"FROM {Feature._meta.db_table} f, ST_DumpPoints(f.geom_3d) p "
            "WHERE f.layer_id = %s",
            [layer_id],
        )
        return np.array(cursor.fetchall(), dtype=np.float64)


def test_hierarchy_and_instances_are_stored_in_place(client, draft, planner):
    parent, parent_matrix = trs((30.0, 2.0, -10.0), (0.0, 1.0, 0.0), 90.0, (2.0, 2.0, 2.0))
    nodes = [
        {"name": "block", "children": [1, 2], **parent},
        {"name": "unit", "mesh": 0},
        {"name": "unit", "mesh": 0, "translation": [0.0, 0.0, -5.0]},
        {"name": "not-shown", "mesh": 0},
    ]
    data = glb(nodes, meshes=[[(box((4.0, 6.0, 3.0)), TRIANGLES)]], scenes=[[0]], scene=0)
    response = upload(
        client, draft, planner, "block.glb", data,
        origin_x=HUE_X, origin_y=HUE_Y, origin_z=1.5, rotation=30,
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["features"], body["triangles"], body["warnings"]) == (2, 24, [])
    features = Feature.objects.filter(layer_id=body["layer"]["id"]).order_by("source_ref")
    assert [f.source_ref for f in features] == ["block.glb#unit", "block.glb#unit-2"]

    second = np.eye(4)
    second[2, 3] = -5.0
    local = np.vstack(
        [z_up(parent_matrix, box((4, 6, 3))), z_up(parent_matrix @ second, box((4, 6, 3)))]
    )
    angle = math.radians(30)  # the placement: turned about the origin, then moved to it
    turn = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    expected = np.column_stack([local[:, :2] @ turn.T + (HUE_X, HUE_Y), local[:, 2] + 1.5])
    same_points(stored_points(body["layer"]["id"]), expected)
    # Each footprint is the box's scaled (2x) 4 x 3 m side seen from above: 8 x 6 m.
    assert [f.geom.area for f in features] == pytest.approx([48.0, 48.0])
    assert [f.attributes["height"] for f in features] == pytest.approx([12.0, 12.0])


def test_a_mesh_of_several_primitives_is_one_closed_object(client, draft, planner):
    halves = [(box((5, 5, 5)), TRIANGLES[:6]), (box((5, 5, 5)), TRIANGLES[6:])]  # two materials
    data = glb([{"name": "house", "mesh": 0}], meshes=[halves], scenes=[[0]])
    response = upload(client, draft, planner, "h.glb", data, origin_x=HUE_X, origin_y=HUE_Y)
    assert response.status_code == 201, response.content
    assert (response.json()["features"], response.json()["warnings"]) == (1, [])


# --- hostile files -------------------------------------------------------------------------------


def _layers(revision) -> int:
    return Layer.objects.filter(revision=revision).count()


@pytest.mark.parametrize(
    ("nodes", "scenes", "message"),
    [
        (
            [{"mesh": 0}, {"children": [2]}, {"children": [1], "mesh": 0}],
            [[0]],
            "glTF nodes form a cycle (through node 1)",
        ),
        ([{"mesh": 0, "children": [0]}], None, "glTF nodes form a cycle (through node 0)"),
        (
            [{"children": [2]}, {"children": [2]}, {"mesh": 0}],
            [[0, 1]],
            "glTF node 2 is a child of node 0 and of node 1",
        ),
        ([{"children": [1, 1]}, {"mesh": 0}], [[0]], "glTF node 1 is a child of node 0 and"),
        ([{"children": [7]}, {"mesh": 0}], [[0]], "glTF node 0 has child 7, which the file"),
        ([{"children": [-1]}, {"mesh": 0}], [[0]], "glTF node 0 has child -1, which the file"),
        ([{"children": [1]}, {"mesh": 0}], [[1]], "lists node 1 as a root, but it is a child"),
        ([{"mesh": 0}], [[0, 0]], "glTF scene 0 lists a node twice"),
        ([{"mesh": 0}], [[3]], "glTF scene 0 refers to node 3, which the file does not"),
        (
            [{"children": [i + 1]} for i in range(MAX_GLTF_DEPTH)] + [{"mesh": 0}],
            [[0]],
            f"glTF nodes are nested more than {MAX_GLTF_DEPTH} deep",
        ),
        (
            [{"children": [1], "scale": [1.0, 0.0, 1.0]}, {"mesh": 0}],
            [[0]],
            "glTF node 1 flattens its mesh",
        ),
        (
            [{"children": [1], "scale": [1e-6, 1e6, 1.0]}, {"mesh": 0}],
            [[0]],
            "glTF node 1 flattens its mesh",
        ),
        (
            [{"children": [1], "scale": [1e200] * 3}, {"mesh": 0, "scale": [1e200] * 3}],
            [[0]],
            "glTF node 1 has a transform that is not finite numbers",  # overflows
        ),
        (
            [{"mesh": 0, "matrix": [1.0, 0, 0, 0.5, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]}],
            [[0]],
            "glTF node 0 has a matrix whose last row is not 0 0 0 1",
        ),
        ([{"mesh": 0, "rotation": [0.0, 0.0, 0.0, 0.0]}], [[0]], "glTF node 0 has a zero rot"),
        ([{"mesh": -1}], [[0]], "Not a glTF 2.0 file: node 0 refers to mesh -1"),
    ],
)
def test_hostile_hierarchies_are_refused(client, draft, planner, nodes, scenes, message):
    before = _layers(draft)
    data = glb(nodes, scenes=scenes)
    response = upload(client, draft, planner, "bad.glb", data, origin_x=HUE_X, origin_y=HUE_Y)
    assert response.status_code == 400, response.content
    assert message in response.json()["detail"]
    assert _layers(draft) == before


SENTINEL = 424242.5  # pygltflib writes no NaN or Infinity: put in the JSON text afterwards


@pytest.mark.parametrize(
    ("node", "literal"),
    [
        ({"matrix": [1.0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, SENTINEL, 1]}, "NaN"),
        ({"translation": [SENTINEL, 0.0, 0.0]}, "1e400"),  # read as infinity
        ({"rotation": [0.0, SENTINEL, 0.0, 1.0]}, "-Infinity"),
    ],
)
def test_non_finite_transforms_are_refused(client, draft, planner, node, literal):
    gltf = gltf_document([{"mesh": 0, **node}], scenes=[[0]])
    gltf.convert_buffers(pygltflib.BufferFormat.DATAURI)
    text = gltf.to_json()
    assert str(SENTINEL) in text
    data = text.replace(str(SENTINEL), literal).encode()
    response = upload(client, draft, planner, "n.gltf", data, origin_x=HUE_X, origin_y=HUE_Y)
    assert response.status_code == 400, response.content
    assert "glTF node 0 has a transform that is not finite numbers" in response.json()["detail"]


def test_a_missing_scene_is_refused(client, draft, planner):
    data = glb([{"mesh": 0}], scenes=[[0]], scene=2)
    response = upload(client, draft, planner, "s.glb", data, origin_x=HUE_X, origin_y=HUE_Y)
    assert response.status_code == 400
    assert "glTF scene 2 does not exist" in response.json()["detail"]


def test_an_instancing_bomb_is_refused_before_anything_is_built(client, draft, planner, settings):
    """2000 nodes showing one 12-triangle mesh: 24000 triangles, counted per instance from
    the headers. The mesh's points lie past the buffer, so building any geometry first would
    answer "reads past its buffer" (400) instead of the triangle limit (413)."""
    settings.PLANNING_3D_MAX_TRIANGLES = 10_000
    before = _layers(draft)
    copies = 2000
    nodes = [{"children": list(range(1, copies + 1))}] + [
        {"mesh": 0, "translation": [float(i), 0.0, 0.0]} for i in range(copies)
    ]
    gltf = gltf_document(nodes, scenes=[[0]])
    gltf.accessors[1].byteOffset = 1_000_000  # the points: never read
    data = b"".join(gltf.save_to_bytes())
    assert len(data) < 200_000  # a small file
    response = upload(client, draft, planner, "bomb.glb", data, origin_x=HUE_X, origin_y=HUE_Y)
    assert response.status_code == 413, response.content
    assert "The model has 24000 triangles; at most 10000" in response.json()["detail"]
    assert _layers(draft) == before
    gltf.scenes[0].nodes = []  # the same file showing nothing is not refused for its size
    empty = b"".join(gltf.save_to_bytes())
    response = upload(client, draft, planner, "empty.glb", empty, origin_x=HUE_X, origin_y=HUE_Y)
    assert response.status_code == 400
    assert "no usable 3D geometry" in response.json()["detail"]
