"""Import of 3D models (CityJSON; glTF/GLB and OBJ placed by an origin point and rotation)
into a buildings layer of a draft revision: faces as MultiPolygonZ in geom_3d, the 2D
footprint (union of the faces seen from above) in geom.

Checks, all before anything is written (one transaction): the triangle limit (in the
readers), vertex and object references (readers), a model farther than
PLANNING_3D_MAX_DISTANCE_KM from the project boundary or outside Viet Nam is refused;
degenerate objects (no area or no volume) are left out and reported; solids that are not
closed (edges not shared by exactly two faces) are kept and reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import shapely
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.db import DataError, InternalError, connection, transaction
from django.utils.translation import gettext as _

from importers.service import _check_permission
from importers.uploads import uploaded_file
from planning import extent as plan_extent
from planning.audit import audit
from planning.errors import InvalidInput
from planning.models import Feature, Layer, Revision
from planning.outline import outline_sql
from threed.readers import MeshObject, Model, read_model

WELD_M = 0.001  # vertices closer than this are one vertex for the closedness check
MAX_COORDINATE = 1e8  # metres (or degrees): beyond it a file or an origin is broken


# What a placement may say, on the page and in the API alike: a turn within one revolution
# either way, an origin between below the sea floor and above Fansipan (metres).
ROTATION_RANGE = (-360.0, 360.0)
HEIGHT_RANGE = (-200.0, 9000.0)


@dataclass(frozen=True)
class Placement:
    """Where a local model's (0, 0, 0) goes: x, y in `crs` (default the storage CRS), z in
    metres above the height datum, rotation in degrees counter-clockwise seen from above."""

    x: float
    y: float
    z: float = 0.0
    rotation: float = 0.0


def import_model_upload(*, user, revision: Revision, upload, name: str, crs, placement) -> dict:
    with uploaded_file(upload) as (path, filename):
        model = read_model(path, filename)
        return import_model(
            user=user,
            revision=revision,
            model=model,
            filename=filename,
            name=name,
            crs=crs,
            placement=placement,
        )


def import_model(
    *, user, revision: Revision, model: Model, filename: str, name: str, crs, placement
) -> dict:
    _check_permission(user, revision)  # a model becomes a layer: the GIS uploads' check
    source_srid = _srid(crs) or (_srid(str(model.srid)) if model.srid else None)
    _check_coordinates(model.objects, placement)
    objects = _placed(model, placement, source_srid)
    _check_coordinates(objects)
    kept, warnings = _checked(objects)
    if not kept:
        raise InvalidInput(
            _("The model has no usable 3D geometry."), details={"warnings": warnings}
        )
    faces = [_faces(obj) for obj in kept]
    _check_location(revision, faces)
    with transaction.atomic():
        # Again under a lock: the revision may have been submitted since it was read.
        _check_permission(user, Revision.objects.select_for_update().get(pk=revision.pk))
        layer = _write(user, revision, kept, faces, filename, name, model.source_format)
        audit(
            user,
            "layer.import_3d",
            project=revision.project,
            revision=revision,
            layer=layer.pk,
            features=len(kept),
            triangles=model.triangles,
        )
    from threed.tasks import schedule_build
    from threed.tileset import Scope

    transaction.on_commit(lambda: schedule_build(Scope.of_revision(revision), user))
    return {
        "layer": {"id": layer.pk, "name": layer.name, "kind": layer.kind},
        "features": len(kept),
        "triangles": model.triangles,
        "warnings": warnings,
    }


def _check_coordinates(objects: list[MeshObject], placement: Placement | None = None) -> None:
    """Refuse NaN, infinite or absurdly large coordinates before PostGIS transforms them."""
    arrays = [obj.vertices for obj in objects]
    if placement is not None:
        arrays.append(np.array([placement.x, placement.y, placement.z], dtype=np.float64))
    for values in arrays:
        if not (np.isfinite(values).all() and (np.abs(values) < MAX_COORDINATE).all()):
            raise InvalidInput(
                _(
                    "The model has coordinates that are not numbers or far too large: "
                    "check the file, the origin point and its CRS."
                )
            )


@contextmanager
def _placeable() -> Iterator[None]:
    """A transformation PROJ refuses (metres read as degrees: "transform: Invalid
    coordinate") is the caller's CRS, not a server error (QA walk: a 500). In a savepoint,
    so the import's transaction goes on to refuse cleanly."""
    try:
        with transaction.atomic():
            yield
    except (DataError, InternalError) as exc:
        raise InvalidInput(
            _(
                "The model's coordinates cannot be placed in the CRS given: check the "
                "file, the origin point and its CRS."
            )
        ) from exc


def _srid(crs: str | None) -> int | None:
    if not crs:
        return None
    text = crs.strip().upper().removeprefix("EPSG:")
    if not text.isdigit():
        raise InvalidInput(_("Give the CRS as an EPSG code, e.g. EPSG:9214."))
    srid = int(text)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM spatial_ref_sys WHERE srid = %s", [srid])
        if cursor.fetchone() is None:
            raise InvalidInput(_("Unknown CRS EPSG:%(srid)d.") % {"srid": srid})
    return srid


def _placed(model: Model, placement: Placement | None, source_srid: int | None) -> list:
    """Objects in the storage CRS: georeferenced ones transformed, local ones placed."""
    storage = settings.PLANNING_STORAGE_SRID
    if model.srid is None:
        if placement is None:
            raise InvalidInput(
                _("A glTF or OBJ model needs an origin point (origin_x, origin_y) to be placed.")
            )
        x, y = _transform_point(placement.x, placement.y, source_srid or storage, storage)
        angle = np.radians(placement.rotation)
        rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        offset = np.array([x, y, placement.z])
        return [_moved(obj, rotation, offset) for obj in model.objects]
    if (source_srid or storage) != storage:
        return [_reprojected(obj, source_srid or storage, storage) for obj in model.objects]
    return model.objects


def _moved(obj: MeshObject, rotation: np.ndarray, offset: np.ndarray) -> MeshObject:
    vertices = obj.vertices.copy()
    vertices[:, :2] = vertices[:, :2] @ rotation.T
    return MeshObject(obj.name, vertices + offset, obj.faces, obj.attributes)


def _transform_point(x: float, y: float, source: int, target: int) -> tuple[float, float]:
    if source == target:
        return x, y
    with _placeable(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(p), ST_Y(p) FROM ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), %s), %s) p",
            [x, y, source, target],
        )
        return cursor.fetchone()


def _reprojected(obj: MeshObject, source: int, target: int) -> MeshObject:
    """Vertices through PostGIS (the VN-2000 definitions live in spatial_ref_sys)."""
    points = shapely.multipoints(obj.vertices)
    with _placeable(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_AsBinary(ST_Transform(ST_SetSRID(ST_GeomFromWKB(%s), %s), %s))",
            [shapely.to_wkb(points, include_srid=False), source, target],
        )
        moved = shapely.from_wkb(bytes(cursor.fetchone()[0]))
    return MeshObject(
        obj.name, shapely.get_coordinates(moved, include_z=True), obj.faces, obj.attributes
    )


def _checked(objects: list[MeshObject]) -> tuple[list[MeshObject], list[dict]]:
    kept, warnings = [], []
    for obj in objects:
        problem = _degenerate(obj)
        if problem:
            warnings.append({"object": obj.name, "problem": problem})
            continue
        open_edges = _open_edges(obj)
        if open_edges:
            warnings.append(
                {
                    "object": obj.name,
                    "problem": _("not a closed solid: %(count)d edges belong to one face only")
                    % {"count": open_edges},
                }
            )
        kept.append(obj)
    return kept, warnings


def _degenerate(obj: MeshObject) -> str | None:
    used = sorted({i for face in obj.faces for ring in face for i in ring})
    if not used:
        return _("degenerate: no faces")
    extent = np.ptp(obj.vertices[used], axis=0)
    if (extent < WELD_M).sum() >= 1:
        return _("degenerate: flat or empty, it encloses no volume")
    return None


def _open_edges(obj: MeshObject) -> int:
    """Edges (after welding vertices closer than 1 mm) used by other than two faces."""
    welded = np.unique(
        np.round(obj.vertices / WELD_M).astype(np.int64), axis=0, return_inverse=True
    )[1]
    welded = welded.reshape(-1)
    edges: list[tuple[int, int]] = []
    for face in obj.faces:
        for ring in face:
            ids = welded[ring]
            edges.extend(zip(ids, np.roll(ids, -1), strict=True))
    if not edges:
        return 0
    pairs = np.sort(np.asarray(edges), axis=1)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    _unique, counts = np.unique(pairs, axis=0, return_counts=True)
    return int((counts != 2).sum())


def _faces(obj: MeshObject) -> shapely.MultiPolygon:
    polygons = []
    for face in obj.faces:
        rings = [obj.vertices[ring] for ring in face if len(ring) >= 3]
        if rings:
            polygons.append(shapely.Polygon(rings[0], rings[1:]))
    return shapely.MultiPolygon(polygons)


def _footprint(faces: shapely.MultiPolygon) -> shapely.Geometry:
    flat = shapely.force_2d(shapely.get_parts(faces))
    flat = flat[shapely.area(flat) > 1e-6]
    if len(flat):
        union = shapely.union_all(shapely.make_valid(flat))
        polygonal = shapely.get_parts(union)
        polygonal = polygonal[shapely.get_type_id(polygonal) == 3]
        if len(polygonal):
            return shapely.MultiPolygon(list(polygonal))
    return shapely.convex_hull(shapely.force_2d(faces))


def _check_location(revision: Revision, faces: list[shapely.MultiPolygon]) -> None:
    """Refuse a model far from its project (or outside Viet Nam): wrong origin or CRS.
    Viet Nam's envelope is compared in the storage CRS: a model placed far off could not
    even be transformed to lon/lat."""
    bounds = np.array([f.bounds for f in faces])
    box = (*bounds[:, :2].min(axis=0), *bounds[:, 2:].max(axis=0))
    west, south, east, north = plan_extent.storage_envelope()
    in_vietnam = west <= box[0] and box[2] <= east and south <= box[1] and box[3] <= north
    with connection.cursor() as cursor:
        # the project's outline: its boundary, else the revision's boundary layer (the
        # uploader edits this revision, so may see it), else the plan in force's
        outline = outline_sql("%(project)s", "%(revision)s")
        cursor.execute(
            f"SELECT ST_Distance(ST_SetSRID(ST_GeomFromWKB(%(extent)s), %(srid)s), {outline})",
            {
                "extent": shapely.to_wkb(shapely.box(*box)),
                "srid": settings.PLANNING_STORAGE_SRID,
                "project": revision.project_id,
                "revision": revision.pk,
            },
        )
        (distance,) = cursor.fetchone()
    limit = settings.PLANNING_3D_MAX_DISTANCE_KM
    if not in_vietnam or (distance is not None and distance > limit * 1000):
        raise InvalidInput(
            _(
                "The model lies %(distance).0f km from the project boundary (at most %(limit)g "
                "km, inside Viet Nam): check the origin point and its CRS."
            )
            % {"distance": (distance or 0) / 1000, "limit": limit}
        )


def _write(user, revision, objects, faces, filename: str, name: str, source_format: str) -> Layer:
    srid = settings.PLANNING_STORAGE_SRID
    layer = Layer.objects.create(
        revision=revision,
        kind="buildings",
        name=name.strip()[:200] or filename[:200],
        source_name=filename[:300],
        source_format=source_format,
        source_crs=f"EPSG:{srid}",
        feature_count=len(objects),
        created_by=user,
        attribute_schema=_schema(objects),
    )
    Feature.objects.bulk_create(
        Feature(
            layer=layer,
            geom=GEOSGeometry(memoryview(shapely.to_wkb(_footprint(solid))), srid=srid),
            geom_3d=GEOSGeometry(memoryview(shapely.to_wkb(solid, output_dimension=3)), srid=srid),
            attributes={**obj.attributes, "height": _height(obj, solid)},
            source_ref=f"{filename}#{obj.name}"[:500],
        )
        for obj, solid in zip(objects, faces, strict=True)
    )
    return layer


def _height(obj: MeshObject, solid: shapely.MultiPolygon) -> float:
    given = obj.attributes.get("height")
    if isinstance(given, (int, float)) and given > 0:
        return float(given)
    z = shapely.get_coordinates(solid, include_z=True)[:, 2]
    return round(float(z.max() - z.min()), 2)


def _schema(objects: list[MeshObject]) -> list[dict]:
    names: dict[str, str] = {}
    for obj in objects:
        for key, value in obj.attributes.items():
            kind = "number" if isinstance(value, (int, float)) else "string"
            names.setdefault(key, kind)
    names.setdefault("height", "number")
    return [{"name": key, "type": kind} for key, kind in names.items()]
