"""Readers of 3D model files into plain meshes: CityJSON 1.1/2.0, glTF/GLB, OBJ.

Every reader counts triangles before it builds anything and refuses a model above
PLANNING_3D_MAX_TRIANGLES; references (vertex indices, parent/child objects) are checked
and a broken one refuses the whole file with the place it occurs.
"""

from __future__ import annotations

import json
import re
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


def _too_many(count: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        _("The model has %(count)d triangles; at most %(limit)d are accepted.")
        % {"count": count, "limit": settings.PLANNING_3D_MAX_TRIANGLES}
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


# --- CityJSON -----------------------------------------------------------------------------

_EPSG = re.compile(r"EPSG(?:/0/|::|:)(\d{4,6})", re.IGNORECASE)


def read_cityjson(path: Path) -> Model:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
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
    used = sorted({i for rings in _surfaces(geometry) for ring in rings for i in ring})
    if used and (
        not all(isinstance(i, int) for i in used) or used[0] < 0 or used[-1] >= len(vertices)
    ):
        bad = next(i for i in used if not isinstance(i, int) or i < 0 or i >= len(vertices))
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
                    raise _too_many(triangles)
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


def read_gltf(path: Path) -> Model:
    """glTF 2.0 (GLB, or .gltf with embedded data: URIs); triangles only; Y up, metres."""
    gltf = _load_gltf(path)
    try:
        return _gltf_model(gltf)
    except (TypeError, ValueError, AttributeError, IndexError, KeyError) as exc:  # bad member
        raise InvalidInput(_("Not a glTF 2.0 file: %(error)s") % {"error": exc}) from exc


def _gltf_model(gltf: pygltflib.GLTF2) -> Model:
    primitives = [
        (mesh_index, primitive)
        for mesh_index, mesh in enumerate(gltf.meshes)
        for primitive in mesh.primitives
    ]
    _check_triangles(sum(_primitive_triangles(gltf, p) for _, p in primitives))
    meshes = []
    for node in gltf.nodes:
        if node.mesh is None:
            continue
        matrix = _node_matrix(node)
        for primitive in gltf.meshes[node.mesh].primitives:
            meshes.append(_gltf_object(gltf, node, primitive, matrix))
    triangles = sum(len(m.faces) for m in meshes)
    return Model([m for m in meshes if m.faces], None, triangles, "glTF")


def _load_gltf(path: Path) -> pygltflib.GLTF2:
    try:
        if path.read_bytes()[:4] == b"glTF":
            gltf = pygltflib.GLTF2.load_binary(str(path))
        else:
            gltf = pygltflib.GLTF2.from_json(path.read_text(encoding="utf-8"))
    except Exception as exc:
        raise InvalidInput(_("Not a glTF 2.0 file: %(error)s") % {"error": exc}) from exc
    for buffer in gltf.buffers:
        if buffer.uri and not buffer.uri.startswith("data:"):
            raise InvalidInput(
                _("glTF buffers must be embedded (GLB or data: URIs), not %(uri)s.")
                % {"uri": buffer.uri[:80]}
            )
    if any(b.uri for b in gltf.buffers):
        try:
            gltf.convert_buffers(pygltflib.BufferFormat.BINARYBLOB)
        except Exception as exc:  # a malformed data: URI
            raise InvalidInput(_("Not a glTF 2.0 file: %(error)s") % {"error": exc}) from exc
    return gltf


def _primitive_triangles(gltf: pygltflib.GLTF2, primitive) -> int:
    if primitive.mode not in (None, pygltflib.TRIANGLES):
        raise UnsupportedFormat(_("Only triangle meshes are supported in glTF models."))
    accessor = primitive.indices if primitive.indices is not None else primitive.attributes.POSITION
    return gltf.accessors[accessor].count // 3


_COMPONENTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}
_DTYPES = {
    pygltflib.BYTE: np.int8,
    pygltflib.UNSIGNED_BYTE: np.uint8,
    pygltflib.SHORT: np.int16,
    pygltflib.UNSIGNED_SHORT: np.uint16,
    pygltflib.UNSIGNED_INT: np.uint32,
    pygltflib.FLOAT: np.float32,
}


def _accessor(gltf: pygltflib.GLTF2, index: int) -> np.ndarray:
    """An accessor's values (count, components), every offset checked against the buffer."""
    try:
        accessor = gltf.accessors[index]
        view = gltf.bufferViews[accessor.bufferView]
        dtype = np.dtype(_DTYPES[accessor.componentType]).newbyteorder("<")
        width = _COMPONENTS[accessor.type]
    except (IndexError, KeyError, TypeError) as exc:
        raise InvalidInput(_("Broken glTF accessor %(index)s.") % {"index": index}) from exc
    blob = gltf.binary_blob() or b""
    element = dtype.itemsize * width
    stride = view.byteStride or element
    start = (view.byteOffset or 0) + (accessor.byteOffset or 0)
    end = start + stride * (accessor.count - 1) + element if accessor.count else start
    if start < 0 or end > len(blob) or end > (view.byteOffset or 0) + view.byteLength:
        raise InvalidInput(_("glTF accessor %(index)s reads past its buffer.") % {"index": index})
    raw = np.frombuffer(blob, dtype=np.uint8, count=end - start, offset=start)
    rows = np.lib.stride_tricks.as_strided(raw, (accessor.count, element), (stride, 1))
    return np.ascontiguousarray(rows).view(dtype).reshape(accessor.count, width)


def _gltf_object(gltf, node, primitive, matrix: np.ndarray) -> MeshObject:
    points = _accessor(gltf, primitive.attributes.POSITION).astype(np.float64).reshape(-1, 3)
    if primitive.indices is not None:
        indices = _accessor(gltf, primitive.indices).astype(np.int64).reshape(-1)
    else:
        indices = np.arange(len(points))
    if indices.size and (indices.min() < 0 or indices.max() >= len(points)):
        raise InvalidInput(_("glTF indices refer to vertices that do not exist."))
    homogeneous = np.column_stack([points, np.ones(len(points))]) @ matrix.T
    faces = [[tri] for tri in indices[: len(indices) // 3 * 3].reshape(-1, 3).tolist()]
    name = str(node.name or f"mesh-{node.mesh}")[:100]
    return MeshObject(name, _y_up_to_z_up(homogeneous[:, :3]), faces, {"code": name})


def _node_matrix(node) -> np.ndarray:
    """The node's local transform (glTF: column-major matrix, or T * R * S)."""
    if node.matrix:
        return np.asarray(node.matrix, dtype=np.float64).reshape(4, 4).T
    x, y, z, w = node.rotation or (0.0, 0.0, 0.0, 1.0)
    rotation = np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )
    matrix = np.eye(4)
    matrix[:3, :3] = rotation * np.asarray(node.scale or (1.0, 1.0, 1.0))
    matrix[:3, 3] = node.translation or (0.0, 0.0, 0.0)
    return matrix
