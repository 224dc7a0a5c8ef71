"""Readers of 3D model files into plain meshes: CityJSON 1.1/2.0, glTF/GLB, OBJ.

Every reader counts triangles before it builds anything and refuses a model above
PLANNING_3D_MAX_TRIANGLES; references (vertex indices, parent/child objects) are checked
and a broken one refuses the whole file with the place it occurs. JSON (CityJSON, glTF) is
refused when nested deeper than MAX_JSON_DEPTH, and every glTF byte range (buffer, buffer
view, accessor) is checked against the glTF 2.0 rules before numpy looks at the bytes.
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pygltflib
from django.conf import settings
from django.utils.translation import gettext as _

from planning.errors import InvalidInput, PayloadTooLarge, UnsupportedFormat


@dataclass
class MeshObject:
    """One object of a model: vertices (n, 3) and faces as rings of vertex indices."""

    name: str
    vertices: np.ndarray
    faces: list[list[list[int]]]  # face -> rings (outer first) -> vertex indices
    attributes: dict = field(default_factory=dict)


@dataclass
class Model:
    objects: list[MeshObject]
    srid: int | None  # georeferenced (CityJSON) or None: local, needs a placement
    triangles: int
    source_format: str


def _too_many(count: int | None) -> PayloadTooLarge:
    """`count` None: reading stopped at the limit, so the model's total is not known."""
    limit = settings.PLANNING_3D_MAX_TRIANGLES
    if count is None:
        return PayloadTooLarge(
            _("The model has more than %(limit)d triangles, the most accepted.") % {"limit": limit}
        )
    return PayloadTooLarge(
        _("The model has %(count)d triangles; at most %(limit)d are accepted.")
        % {"count": count, "limit": limit}
    )


def _check_triangles(count: int) -> None:
    if count > settings.PLANNING_3D_MAX_TRIANGLES:
        raise _too_many(count)


# Bytes a model may take per accepted triangle (a CityJSON or OBJ text triangle takes
# 30-60): bounds the memory of parsing a file before its triangles can be counted.
BYTES_PER_TRIANGLE = 200


def read_model(path: Path, filename: str) -> Model:
    suffix = Path(filename).suffix.lower()
    limit = settings.PLANNING_3D_MAX_TRIANGLES * BYTES_PER_TRIANGLE
    if path.stat().st_size > limit:
        raise PayloadTooLarge(
            _("The 3D model file is larger than %(limit)d MB (PLANNING_3D_MAX_TRIANGLES).")
            % {"limit": max(limit // 1_000_000, 1)}
        )
    if suffix in (".json", ".cityjson"):
        return read_cityjson(path)
    if suffix in (".glb", ".gltf"):
        return read_gltf(path)
    if suffix == ".obj":
        return read_obj(path)
    raise UnsupportedFormat(
        _("Unsupported 3D model %(name)s: expected CityJSON (.json), glTF (.glb, .gltf) or OBJ.")
        % {"name": filename}
    )


# --- JSON ----------------------------------------------------------------------------------

# Real files nest about a dozen levels (CityJSON: document, CityObjects, object, geometry,
# then at most 5 levels of MultiSolid boundaries; glTF less). Deeper is broken or hostile:
# refused before anything (numpy, repr, pygltflib) walks the parsed document recursively.
MAX_JSON_DEPTH = 64


def _too_deep() -> InvalidInput:
    return InvalidInput(
        _("The file nests JSON arrays and objects more than %(limit)d levels deep.")
        % {"limit": MAX_JSON_DEPTH}
    )


def _check_json_depth(document) -> None:
    """Level by level, without recursion: each pass keeps the containers one level down."""
    level = [document] if isinstance(document, (dict, list)) else []
    depth = 0
    while level:
        depth += 1
        if depth > MAX_JSON_DEPTH:
            raise _too_deep()
        level = [
            child
            for value in level
            for child in (value.values() if isinstance(value, dict) else value)
            if isinstance(child, (dict, list))
        ]


class _BoundedJSONDecoder(json.JSONDecoder):
    """json's decoder, refusing documents nested deeper than MAX_JSON_DEPTH. The C parser
    recurses per level and raises RecursionError far below a hostile file's depth."""

    def decode(self, s, *args, **kwargs):
        try:
            document = super().decode(s, *args, **kwargs)
        except RecursionError:
            raise _too_deep() from None
        _check_json_depth(document)
        return document


# --- CityJSON -----------------------------------------------------------------------------

_EPSG = re.compile(r"EPSG(?:/0/|::|:)(\d{4,6})", re.IGNORECASE)


def read_cityjson(path: Path) -> Model:
    try:
        document = json.loads(path.read_text(encoding="utf-8"), cls=_BoundedJSONDecoder)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(_("Not a CityJSON file: %(error)s") % {"error": exc}) from exc
    if not isinstance(document, dict) or document.get("type") != "CityJSON":
        raise InvalidInput(_("Not a CityJSON file: its type is not CityJSON."))
    try:
        return _cityjson_model(document)
    except (TypeError, ValueError, AttributeError) as exc:  # a member of the wrong type
        raise InvalidInput(_("Not a CityJSON file: %(error)s") % {"error": exc}) from exc


def _cityjson_model(document: dict) -> Model:
    version = str(document.get("version", ""))
    if version not in ("1.1", "2.0"):
        raise UnsupportedFormat(
            _("CityJSON version %(version)s is not supported (1.1 or 2.0).") % {"version": version}
        )
    vertices = _cityjson_vertices(document)
    objects = document.get("CityObjects")
    if not isinstance(objects, dict) or not objects:
        raise InvalidInput(_("The CityJSON file has no CityObjects."))
    _check_object_references(objects)
    geometries = {oid: _best_geometry(obj) for oid, obj in objects.items()}
    _check_triangles(sum(_count_triangles(g) for g in geometries.values() if g))
    meshes = [
        _cityjson_object(oid, objects[oid], geometry, vertices)
        for oid, geometry in geometries.items()
        if geometry
    ]
    triangles = sum(_count_triangles(g) for g in geometries.values() if g)
    return Model(meshes, _cityjson_srid(document), triangles, "CityJSON " + version)


def _cityjson_vertices(document: dict) -> np.ndarray:
    try:
        raw = np.asarray(document.get("vertices", []), dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(_("CityJSON vertices must be [x, y, z] numbers.")) from exc
    if raw.size == 0:
        raise InvalidInput(_("The CityJSON file has no vertices."))
    if raw.ndim != 2 or raw.shape[1] != 3:
        raise InvalidInput(_("CityJSON vertices must be [x, y, z] numbers."))
    transform = document.get("transform") or {}
    scale = np.asarray(transform.get("scale", [1, 1, 1]), dtype=np.float64)
    translate = np.asarray(transform.get("translate", [0, 0, 0]), dtype=np.float64)
    if scale.shape != (3,) or translate.shape != (3,):
        raise InvalidInput(_("CityJSON transform needs scale and translate of 3 numbers."))
    return raw * scale + translate


def _cityjson_srid(document: dict) -> int | None:
    reference = str((document.get("metadata") or {}).get("referenceSystem") or "")
    match = _EPSG.search(reference)
    return int(match.group(1)) if match else None


def _check_object_references(objects: dict) -> None:
    for oid, obj in objects.items():
        if not isinstance(obj, dict):
            raise InvalidInput(_("CityObject %(id)s is not an object.") % {"id": oid})
        for link in ("parents", "children"):
            for other in obj.get(link) or []:
                if other not in objects:
                    raise InvalidInput(
                        _("CityObject %(id)s refers to %(other)s, which the file does not contain.")
                        % {"id": oid, "other": other}
                    )


def _best_geometry(obj: dict) -> dict | None:
    """The geometry of the highest level of detail (templates are not supported)."""
    geometries = [g for g in obj.get("geometry") or [] if isinstance(g, dict) and "boundaries" in g]
    if not geometries:
        return None
    return max(geometries, key=lambda g: float(str(g.get("lod", 0)) or 0))


def _surfaces(geometry: dict) -> list:
    """The surfaces (lists of rings) of a geometry, whatever its nesting."""
    kind, boundaries = geometry.get("type"), geometry.get("boundaries") or []
    if kind in ("MultiSurface", "CompositeSurface"):
        return list(boundaries)
    if kind == "Solid":
        return [surface for shell in boundaries for surface in shell]
    if kind in ("MultiSolid", "CompositeSolid"):
        return [surface for solid in boundaries for shell in solid for surface in shell]
    return []


def _count_triangles(geometry: dict) -> int:
    try:
        return sum(max(len(rings[0]) - 2, 0) for rings in _surfaces(geometry) if rings)
    except TypeError as exc:
        raise InvalidInput(_("Malformed CityJSON boundaries.")) from exc


def _cityjson_object(oid: str, obj: dict, geometry: dict, vertices: np.ndarray) -> MeshObject:
    used = sorted(_vertex_indices(oid, geometry))
    if used and (used[0] < 0 or used[-1] >= len(vertices)):
        bad = next(i for i in used if i < 0 or i >= len(vertices))
        raise InvalidInput(
            _("CityObject %(id)s uses vertex %(index)s, but the file has %(count)d vertices.")
            % {"id": oid, "index": bad, "count": len(vertices)}
        )
    faces = [[list(ring) for ring in rings] for rings in _surfaces(geometry) if rings]
    attributes = {k: v for k, v in (obj.get("attributes") or {}).items() if _scalar(v)}
    attributes.setdefault("code", oid)
    attributes["type"] = str(obj.get("type", ""))
    if "storeysAboveGround" in attributes:
        attributes.setdefault("storeys", attributes["storeysAboveGround"])
    if "measuredHeight" in attributes:
        attributes.setdefault("height", attributes["measuredHeight"])
    return MeshObject(oid, vertices, faces, attributes)


def _vertex_indices(oid: str, geometry: dict) -> set[int]:
    """The vertex indices of a geometry's rings; a ring holding anything but integers (a
    boundaries array nested deeper than its type says, or a number in quotes) is refused."""
    used: set[int] = set()
    for rings in _surfaces(geometry):
        for ring in rings:
            if not isinstance(ring, list) or not all(type(i) is int for i in ring):
                detail = _("a ring of CityObject %(id)s holds something else than vertex indices.")
                raise InvalidInput(
                    _("Not a CityJSON file: %(error)s") % {"error": detail % {"id": oid}}
                )
            used.update(ring)
    return used


def _scalar(value) -> bool:
    return isinstance(value, (str, int, float, bool)) or value is None


# --- OBJ -------------------------------------------------------------------------------------


def read_obj(path: Path) -> Model:
    """Wavefront OBJ: v and f records, o/g start a new object; metres, Y up."""
    vertices: list[list[float]] = []
    objects: list[tuple[str, list[list[list[int]]]]] = [("model", [])]
    triangles = 0
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, 1):
            record, _sep, rest = line.strip().partition(" ")
            if record == "v":
                vertices.append(_obj_vertex(rest, number))
            elif record == "f":
                face = _obj_face(rest, len(vertices), number)
                triangles += len(face) - 2
                if triangles > settings.PLANNING_3D_MAX_TRIANGLES:
                    raise _too_many(None)  # read no further: the total stays unknown
                objects[-1][1].append([face])
            elif record in ("o", "g") and rest.strip():
                objects.append((rest.strip()[:100], []))
    points = np.asarray(vertices, dtype=np.float64).reshape(-1, 3)
    meshes = [MeshObject(name, _y_up_to_z_up(points), faces) for name, faces in objects if faces]
    return Model(meshes, None, triangles, "OBJ")


def _obj_vertex(rest: str, number: int) -> list[float]:
    try:
        x, y, z = (float(v) for v in rest.split()[:3])
    except ValueError as exc:
        raise InvalidInput(
            _("OBJ line %(line)d: a vertex needs x y z.") % {"line": number}
        ) from exc
    return [x, y, z]


def _obj_face(rest: str, count: int, number: int) -> list[int]:
    face = []
    for item in rest.split():
        text = item.split("/")[0]
        try:
            index = int(text)
        except ValueError as exc:
            raise InvalidInput(_("OBJ line %(line)d: bad face.") % {"line": number}) from exc
        index = index - 1 if index > 0 else count + index
        if not 0 <= index < count:
            raise InvalidInput(
                _("OBJ line %(line)d: vertex %(index)s does not exist.")
                % {"line": number, "index": text}
            )
        face.append(index)
    if len(face) < 3:
        raise InvalidInput(_("OBJ line %(line)d: a face needs 3 vertices.") % {"line": number})
    return face


def _y_up_to_z_up(points: np.ndarray) -> np.ndarray:
    return np.column_stack([points[:, 0], -points[:, 2], points[:, 1]]) if len(points) else points


# --- glTF ------------------------------------------------------------------------------------

# Deeper node nesting is a broken or hostile file (real exports nest a few dozen deep at most).
MAX_GLTF_DEPTH = 100
# A transform that squashes one direction below this fraction of another flattens the mesh.
SINGULAR_RATIO = 1e-9


@dataclass(frozen=True)
class _Instance:
    """A node of the displayed scene that shows a mesh, with its world transform (glTF axes)."""

    node: int
    mesh: int
    matrix: np.ndarray


def read_gltf(path: Path) -> Model:
    """glTF 2.0 (GLB, or .gltf with embedded data: URIs); triangles only; Y up, metres.

    The scene graph is followed as glTF specifies: from the root nodes of the displayed scene
    (`scene`, else the first one; a file without scenes: every node that is nobody's child),
    a node's world transform is its parent's times its own, and each node showing a mesh
    gives one object (a mesh shown by two nodes gives two)."""
    try:
        return _gltf_model(_load_gltf(path))
    except (TypeError, ValueError, AttributeError, IndexError, KeyError) as exc:  # bad member
        raise InvalidInput(_("Not a glTF 2.0 file: %(error)s") % {"error": exc}) from exc


def _gltf_model(gltf: pygltflib.GLTF2) -> Model:
    parents = _gltf_parents(gltf)
    _check_gltf_trees(gltf, parents)
    roots = _scene_roots(gltf, parents)
    # Counted per node showing a mesh, before any transform or geometry is built: a small
    # file may show a big mesh thousands of times.
    per_mesh: dict[int, int] = {}
    total = 0
    for index in _scene_nodes(gltf, roots):
        mesh = _node_mesh(gltf, index)
        if mesh is not None:
            if mesh not in per_mesh:
                per_mesh[mesh] = _mesh_triangles(gltf, mesh)
            total += per_mesh[mesh]
    _check_triangles(total)
    shown = {mesh for mesh, count in per_mesh.items() if count}
    objects = _gltf_objects(gltf, _gltf_instances(gltf, roots, shown))
    triangles = sum(len(o.faces) for o in objects)
    return Model([o for o in objects if o.faces], None, triangles, "glTF")


def _load_gltf(path: Path) -> pygltflib.GLTF2:
    data = path.read_bytes()
    binary = data[:4] == b"glTF"
    try:
        text, blob = _glb_chunks(data) if binary else (data.decode("utf-8"), None)
        # Parsed once with the depth bound, as pygltflib's parser has none and takes no
        # decoder class: glTF JSON is small (the data is binary or one base64 string).
        _BoundedJSONDecoder().decode(text)
        gltf = pygltflib.GLTF2.from_json(text, infer_missing=binary)
    except InvalidInput:
        raise
    except Exception as exc:
        raise InvalidInput(_("Not a glTF 2.0 file: %(error)s") % {"error": exc}) from exc
    if blob is not None:
        gltf.set_binary_blob(blob)
    for buffer in gltf.buffers:
        if buffer.uri and not str(buffer.uri).startswith("data:"):
            raise InvalidInput(
                _("glTF buffers must be embedded (GLB or data: URIs), not %(uri)s.")
                % {"uri": str(buffer.uri)[:80]}
            )
    if len(gltf.buffers) > 1:  # GLB carries one; pygltflib decodes one data: URI at most
        raise UnsupportedFormat(_("glTF models with more than one buffer are not supported."))
    if any(b.uri for b in gltf.buffers):
        try:
            gltf.convert_buffers(pygltflib.BufferFormat.BINARYBLOB)
        except Exception as exc:  # a malformed data: URI
            raise InvalidInput(_("Not a glTF 2.0 file: %(error)s") % {"error": exc}) from exc
    _check_buffer_views(gltf)
    return gltf


def _glb_chunks(data: bytes) -> tuple[str, memoryview | None]:
    """A GLB container's JSON text and its BIN chunk, each chunk checked to lie in the file."""
    if len(data) < 20:
        raise _not_gltf(_("the GLB file is truncated."))
    _magic, version, length = struct.unpack_from("<4sII", data)
    if version != 2 or length > len(data):
        raise _not_gltf(_("the GLB header is not a version 2 header of this file's length."))
    chunks: list[tuple[bytes, memoryview]] = []
    index = 12
    while index + 8 <= length:
        size, kind = struct.unpack_from("<I4s", data, index)
        index += 8
        if size > length - index:
            raise _not_gltf(_("a GLB chunk runs past the end of the file."))
        chunks.append((kind, memoryview(data)[index : index + size]))
        index += size
    if not chunks or chunks[0][0] != b"JSON":
        raise _not_gltf(_("a GLB file starts with its JSON chunk."))
    blob = next((chunk for kind, chunk in chunks[1:] if kind == b"BIN\0"), None)
    return bytes(chunks[0][1]).decode("utf-8"), blob


def _not_gltf(detail: str) -> InvalidInput:
    return InvalidInput(_("Not a glTF 2.0 file: %(error)s") % {"error": detail})


def _is_index(value, count: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < count


# glTF's node hierarchy is a set of disjoint strict trees: a node has at most one parent,
# there are no cycles, and a scene lists root nodes only. Files breaking this are refused.


def _gltf_parents(gltf: pygltflib.GLTF2) -> dict[int, int]:
    """Each child node's parent; a child out of range or with two parents refuses the file."""
    parents: dict[int, int] = {}
    for index, node in enumerate(gltf.nodes):
        for child in node.children or []:
            if not _is_index(child, len(gltf.nodes)):
                raise InvalidInput(
                    _("glTF node %(node)d has child %(child)s, which the file does not contain.")
                    % {"node": index, "child": child}
                )
            if child in parents:
                raise InvalidInput(
                    _(
                        "glTF node %(child)d is a child of node %(first)d and of node "
                        "%(second)d: glTF nodes must form trees."
                    )
                    % {"child": child, "first": parents[child], "second": index}
                )
            parents[child] = index
    return parents


def _check_gltf_trees(gltf: pygltflib.GLTF2, parents: dict[int, int]) -> None:
    """No nesting deeper than MAX_GLTF_DEPTH, no cycles: walking down from the parentless
    nodes reaches every node (once, as no node has two parents) unless it is on a cycle."""
    reached = [False] * len(gltf.nodes)
    stack = [(index, 1) for index in range(len(gltf.nodes)) if index not in parents]
    while stack:
        index, depth = stack.pop()
        if depth > MAX_GLTF_DEPTH:
            raise InvalidInput(
                _("glTF nodes are nested more than %(limit)d deep.") % {"limit": MAX_GLTF_DEPTH}
            )
        reached[index] = True
        stack.extend((child, depth + 1) for child in gltf.nodes[index].children or [])
    if not all(reached):
        node = reached.index(False)
        seen = set()
        while node not in seen:  # up the parents of an unreached node: into the cycle
            seen.add(node)
            node = parents[node]
        raise InvalidInput(
            _("glTF nodes form a cycle (through node %(node)d): glTF nodes must form trees.")
            % {"node": node}
        )


def _scene_roots(gltf: pygltflib.GLTF2, parents: dict[int, int]) -> list[int]:
    """The root nodes of the scene to display: `scene`, else the first scene. A file without
    scenes (a library of nodes, which glTF allows) shows every node that is nobody's child."""
    if not gltf.scenes and gltf.scene is None:
        return [index for index in range(len(gltf.nodes)) if index not in parents]
    scene = 0 if gltf.scene is None else gltf.scene
    if not _is_index(scene, len(gltf.scenes)):
        raise InvalidInput(_("glTF scene %(scene)s does not exist.") % {"scene": scene})
    roots = list(gltf.scenes[scene].nodes or [])
    for root in roots:
        if not _is_index(root, len(gltf.nodes)):
            raise InvalidInput(
                _("glTF scene %(scene)d refers to node %(node)s, which the file does not contain.")
                % {"scene": scene, "node": root}
            )
        if root in parents:
            raise InvalidInput(
                _(
                    "glTF scene %(scene)d lists node %(node)d as a root, but it is a child of "
                    "node %(parent)d."
                )
                % {"scene": scene, "node": root, "parent": parents[root]}
            )
    if len(set(roots)) < len(roots):
        raise InvalidInput(_("glTF scene %(scene)d lists a node twice.") % {"scene": scene})
    return roots


def _scene_nodes(gltf: pygltflib.GLTF2, roots: list[int]) -> Iterator[int]:
    """The scene's nodes, depth first (the hierarchy is checked: each comes once)."""
    stack = list(reversed(roots))
    while stack:
        index = stack.pop()
        yield index
        stack.extend(reversed(gltf.nodes[index].children or []))


def _node_mesh(gltf: pygltflib.GLTF2, index: int) -> int | None:
    mesh = gltf.nodes[index].mesh
    if mesh is not None and not _is_index(mesh, len(gltf.meshes)):
        raise _not_gltf(
            _("node %(node)d refers to mesh %(mesh)s, which the file does not contain.")
            % {"node": index, "mesh": mesh}
        )
    return mesh


def _gltf_instances(gltf: pygltflib.GLTF2, roots: list[int], shown: set[int]) -> list[_Instance]:
    """The scene's nodes showing one of the `shown` meshes, depth first, with their world
    transforms: the parent's world transform times the node's own."""
    instances = []
    stack = [(root, np.eye(4)) for root in reversed(roots)]
    while stack:
        index, parent = stack.pop()
        node = gltf.nodes[index]
        with np.errstate(all="ignore"):  # an overflow is refused just below
            world = parent @ _node_matrix(node, index)
        _check_finite(world, index)
        if node.mesh in shown:
            _check_not_flat(world, index)
            instances.append(_Instance(index, node.mesh, world))
        stack.extend((child, world) for child in reversed(node.children or []))
    return instances


def _node_matrix(node, index: int) -> np.ndarray:
    """The node's local transform: a column-major matrix, or T * R * S."""
    if node.matrix:
        values = np.asarray(node.matrix, dtype=np.float64)
        if values.shape != (16,):
            raise _not_gltf(_("node %(node)d: a matrix has 16 numbers.") % {"node": index})
        matrix = values.reshape(4, 4).T
        _check_finite(matrix, index)
        if not np.allclose(matrix[3], (0.0, 0.0, 0.0, 1.0), rtol=0.0, atol=1e-9):
            raise InvalidInput(
                _("glTF node %(node)d has a matrix whose last row is not 0 0 0 1.")
                % {"node": index}
            )
        return matrix
    return _trs_matrix(node, index)


def _trs_matrix(node, index: int) -> np.ndarray:
    translation = np.asarray(node.translation or (0.0, 0.0, 0.0), dtype=np.float64)
    quaternion = np.asarray(node.rotation or (0.0, 0.0, 0.0, 1.0), dtype=np.float64)
    scale = np.asarray(node.scale or (1.0, 1.0, 1.0), dtype=np.float64)
    if translation.shape != (3,) or quaternion.shape != (4,) or scale.shape != (3,):
        raise _not_gltf(
            _("node %(node)d: translation and scale have 3 numbers, rotation 4.") % {"node": index}
        )
    for values in (translation, quaternion, scale):
        _check_finite(values, index)
    norm = np.linalg.norm(quaternion)
    if norm == 0:
        raise InvalidInput(_("glTF node %(node)d has a zero rotation.") % {"node": index})
    x, y, z, w = quaternion / norm  # glTF requires unit quaternions; exporters round
    rotation = np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )
    matrix = np.eye(4)
    matrix[:3, :3] = rotation * scale  # R * S: column j scaled by s_j
    matrix[:3, 3] = translation
    return matrix


def _check_finite(values: np.ndarray, index: int) -> None:
    if not np.isfinite(values).all():
        raise InvalidInput(
            _("glTF node %(node)d has a transform that is not finite numbers.") % {"node": index}
        )


def _check_not_flat(matrix: np.ndarray, index: int) -> None:
    """Refuse a world transform that squashes its mesh onto a plane, a line or a point."""
    stretch = np.linalg.svd(matrix[:3, :3], compute_uv=False)
    if not stretch[0] > 0 or stretch[-1] < stretch[0] * SINGULAR_RATIO:
        raise InvalidInput(
            _(
                "glTF node %(node)d flattens its mesh: its transform, with its parents', "
                "is singular."
            )
            % {"node": index}
        )


# --- glTF meshes -----------------------------------------------------------------------------


def _mesh_triangles(gltf: pygltflib.GLTF2, mesh: int) -> int:
    return sum(_primitive_triangles(gltf, p) for p in gltf.meshes[mesh].primitives)


def _primitive_triangles(gltf: pygltflib.GLTF2, primitive) -> int:
    if primitive.mode not in (None, pygltflib.TRIANGLES):
        raise UnsupportedFormat(_("Only triangle meshes are supported in glTF models."))
    accessor = primitive.indices if primitive.indices is not None else primitive.attributes.POSITION
    count = gltf.accessors[accessor].count if _is_index(accessor, len(gltf.accessors)) else -1
    if not _is_int(count) or count < 0:  # a negative count would hide other triangles
        raise InvalidInput(_("Broken glTF accessor %(index)s.") % {"index": accessor})
    return count // 3


_COMPONENTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}
_DTYPES = {
    pygltflib.BYTE: np.int8,
    pygltflib.UNSIGNED_BYTE: np.uint8,
    pygltflib.SHORT: np.int16,
    pygltflib.UNSIGNED_SHORT: np.uint16,
    pygltflib.UNSIGNED_INT: np.uint32,
    pygltflib.FLOAT: np.float32,
}
# glTF 2.0 (3.6.2.4): a vertex stride is a multiple of 4 from 4 to 252 bytes.
MIN_STRIDE, MAX_STRIDE = 4, 252


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_buffer_views(gltf: pygltflib.GLTF2) -> None:
    """Every buffer holds the bytes it declares and every buffer view lies inside its buffer
    with a glTF stride, before any accessor is read."""
    blob = gltf.binary_blob() or b""
    for number, buffer in enumerate(gltf.buffers):
        if not _is_int(buffer.byteLength) or not 0 < buffer.byteLength <= len(blob):
            raise _not_gltf(
                _("buffer %(buffer)d declares %(declared)s bytes but holds %(held)d.")
                % {"buffer": number, "declared": buffer.byteLength, "held": len(blob)}
            )
    for number, view in enumerate(gltf.bufferViews):
        _check_buffer_view(gltf, number, view)


def _check_buffer_view(gltf: pygltflib.GLTF2, number: int, view) -> None:
    if not _is_index(view.buffer, len(gltf.buffers)):
        raise _not_gltf(
            _("bufferView %(view)d refers to buffer %(buffer)s, which the file does not contain.")
            % {"view": number, "buffer": view.buffer}
        )
    stride = view.byteStride
    if stride is not None and not (
        _is_int(stride) and MIN_STRIDE <= stride <= MAX_STRIDE and stride % 4 == 0
    ):
        raise _not_gltf(
            _(
                "bufferView %(view)d has byteStride %(stride)s; glTF requires a multiple of 4 "
                "from 4 to 252."
            )
            % {"view": number, "stride": stride}
        )
    offset, length = view.byteOffset or 0, view.byteLength
    size = gltf.buffers[view.buffer].byteLength
    if not (_is_int(offset) and _is_int(length) and offset >= 0 and 0 < length <= size - offset):
        raise _not_gltf(
            _(
                "bufferView %(view)d (byteOffset %(offset)s, byteLength %(length)s) does not lie "
                "inside its buffer of %(size)d bytes."
            )
            % {"view": number, "offset": offset, "length": length, "size": size}
        )


@dataclass(frozen=True)
class _Layout:
    """Where an accessor's elements lie in its (checked) buffer view."""

    view: int
    offset: int  # of the first element in the view
    count: int
    stride: int
    dtype: np.dtype
    width: int  # components per element


def _accessor_layout(gltf: pygltflib.GLTF2, index: int) -> _Layout:
    """The accessor's layout, checked against glTF 2.0: a known component type and element
    type, count > 0, a byteOffset aligned to the component size, a stride (the view's, else
    the element size) not shorter than the element, and the last element inside the view."""
    if not _is_index(index, len(gltf.accessors)):  # a negative index would wrap around
        raise InvalidInput(_("Broken glTF accessor %(index)s.") % {"index": index})
    accessor = gltf.accessors[index]
    if (
        not _is_index(accessor.bufferView, len(gltf.bufferViews))
        or accessor.componentType not in _DTYPES
        or accessor.type not in _COMPONENTS
    ):
        raise InvalidInput(_("Broken glTF accessor %(index)s.") % {"index": index})
    if accessor.sparse is not None:
        raise UnsupportedFormat(_("Sparse glTF accessors are not supported."))
    dtype = np.dtype(_DTYPES[accessor.componentType]).newbyteorder("<")
    offset, count = accessor.byteOffset or 0, accessor.count
    if not (_is_int(offset) and offset >= 0 and offset % dtype.itemsize == 0):
        raise _not_gltf(
            _(
                "accessor %(index)d has byteOffset %(offset)s; it must be a non-negative "
                "multiple of %(size)d."
            )
            % {"index": index, "offset": offset, "size": dtype.itemsize}
        )
    if not (_is_int(count) and count > 0):
        raise _not_gltf(
            _("accessor %(index)d has count %(count)s; it must be a positive integer.")
            % {"index": index, "count": count}
        )
    view = gltf.bufferViews[accessor.bufferView]  # checked at load by _check_buffer_view
    element = dtype.itemsize * _COMPONENTS[accessor.type]
    stride = view.byteStride or element
    if stride < element:
        raise _not_gltf(
            _(
                "accessor %(index)d has elements of %(element)d bytes, longer than the byteStride "
                "%(stride)d of its bufferView."
            )
            % {"index": index, "element": element, "stride": stride}
        )
    if offset + stride * (count - 1) + element > view.byteLength:
        raise InvalidInput(_("glTF accessor %(index)s reads past its buffer.") % {"index": index})
    return _Layout(accessor.bufferView, offset, count, stride, dtype, _COMPONENTS[accessor.type])


def _accessor(gltf: pygltflib.GLTF2, index: int) -> np.ndarray:
    """An accessor's values (count, components), copied out of the buffer. numpy gets the
    view's bytes only and checks the strided shape against them as well."""
    layout = _accessor_layout(gltf, index)
    view = gltf.bufferViews[layout.view]
    start = view.byteOffset or 0
    data = memoryview(gltf.binary_blob() or b"")[start : start + view.byteLength]
    element = layout.dtype.itemsize * layout.width
    rows = np.ndarray(
        (layout.count, element),
        dtype=np.uint8,
        buffer=data,
        offset=layout.offset,
        strides=(layout.stride, 1),
    )
    return np.ascontiguousarray(rows).view(layout.dtype).reshape(layout.count, layout.width)


def _gltf_objects(gltf: pygltflib.GLTF2, instances: list[_Instance]) -> list[MeshObject]:
    """One object per instance; each mesh is decoded once and moved by each instance's world
    transform (the instances share its face lists, which nothing changes)."""
    decoded: dict[int, tuple[np.ndarray, list[list[list[int]]]]] = {}
    objects = []
    for instance, name in zip(instances, _instance_names(gltf, instances), strict=True):
        if instance.mesh not in decoded:
            decoded[instance.mesh] = _mesh_geometry(gltf, instance.mesh)
        points, faces = decoded[instance.mesh]
        moved = points @ instance.matrix[:3, :3].T + instance.matrix[:3, 3]
        objects.append(MeshObject(name, _y_up_to_z_up(moved), faces, {"code": name}))
    return objects


def _mesh_geometry(gltf: pygltflib.GLTF2, mesh: int) -> tuple[np.ndarray, list[list[list[int]]]]:
    """A mesh's primitives (one per material) as one object: vertices and triangles."""
    parts: list[np.ndarray] = []
    faces: list[list[list[int]]] = []
    offset = 0
    for primitive in gltf.meshes[mesh].primitives:
        points, triangles = _primitive_geometry(gltf, primitive)
        parts.append(points)
        faces.extend([tri] for tri in (triangles + offset).tolist())
        offset += len(points)
    return (np.concatenate(parts) if parts else np.empty((0, 3))), faces


def _primitive_geometry(gltf: pygltflib.GLTF2, primitive) -> tuple[np.ndarray, np.ndarray]:
    """The vertices the triangles use (not the whole accessor, which every instance would
    copy) and the triangles (n, 3) as indices into them."""
    points = _accessor(gltf, primitive.attributes.POSITION).astype(np.float64).reshape(-1, 3)
    if primitive.indices is not None:
        indices = _accessor(gltf, primitive.indices).astype(np.int64).reshape(-1)
    else:
        indices = np.arange(len(points))
    if indices.size and (indices.min() < 0 or indices.max() >= len(points)):
        raise InvalidInput(_("glTF indices refer to vertices that do not exist."))
    used, triangles = np.unique(indices[: len(indices) // 3 * 3], return_inverse=True)
    return points[used], triangles.reshape(-1, 3)


def _instance_names(gltf: pygltflib.GLTF2, instances: list[_Instance]) -> list[str]:
    """The node's name, else its mesh's, else node-<index>; a repeated one gets -2, -3…"""
    names: list[str] = []
    taken: set[str] = set()
    repeats: dict[str, int] = {}
    for instance in instances:
        node, mesh = gltf.nodes[instance.node], gltf.meshes[instance.mesh]
        base = str(node.name or mesh.name or f"node-{instance.node}")[:90]
        name = base
        while name in taken:  # each base counts on from its last number: linear overall
            repeats[base] = repeats.get(base, 1) + 1
            name = f"{base}-{repeats[base]}"
        taken.add(name)
        names.append(name)
    return names
