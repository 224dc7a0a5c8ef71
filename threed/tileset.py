"""3D Tiles (1.0, b3dm) of the 3D features of a scope: the plans in force (now or at a
moment), or one revision.

A build is keyed by a content hash of what it shows (features, their 3D geometry and
attributes, the build settings): `var/3dtiles/<scope>/<key>/` holds `tileset.json` and
one b3dm per chunk of PLANNING_3D_TILE_FEATURES features, sorted by position so a chunk is
compact. Nothing is rebuilt while the key stays the same; a build writes into a temporary
directory and renames it into place, so readers never see half a tileset.

Geometry leaves PostGIS as faces transformed to EPSG:4978 (earth-centred), is
triangulated by threed.mesh and written with py3dtiles' B3dm class: positions relative to
the chunk's centre (RTC_CENTER), glTF y-up, one _BATCHID per feature and a batch table
with the attributes the viewer shows (BATCH_PROPERTIES).

The plans in force at a moment are named after the last approval or supersession at or
before it (`in-force-at-<UTC stamp>`, `in-force-at-origin` before any): every moment
between two changes shows the same plans, so they share one scope and one build.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pygltflib
import shapely
from django.conf import settings
from django.db import connection
from django.db.models import Max
from py3dtiles.tileset.content import B3dm
from py3dtiles.tileset.content.b3dm_feature_table import B3dmFeatureTable
from py3dtiles.tileset.content.batch_table import BatchTable
from py3dtiles.tileset.content.gltf_utils import GltfAttribute, GltfMesh, GltfPrimitive
from pyproj import Transformer

from planning import extent as plan_extent
from planning import visibility
from planning.models import Revision, RevisionState, public_id_sql
from planning.models.revisions import PUBLISHED_STATES
from threed.extrude import extrude_missing, height_sql, storeys_sql
from threed.mesh import triangulate

# Bump when the output changes in a way that must invalidate every built tileset.
# 3: tileset properties carry their ranges; 4: public ids; 5: no empty `children` array.
BUILD_VERSION = "5"
# Batch table properties of every b3dm, one value per feature (JSON null when unknown).
BATCH_PROPERTIES = (
    "id", "revision", "layer", "kind", "code", "lot", "name", "use", "function", "height",
    "storeys",
)  # fmt: skip
# A parent without content must always refine into its children, whatever the distance.
ROOT_GEOMETRIC_ERROR = 100_000.0
_ECEF_TO_GEODETIC = Transformer.from_crs("EPSG:4978", "EPSG:4979")
KEY = re.compile(r"^[0-9a-f]{20}$")  # the name of a build directory
IN_FORCE = "in-force"
PUBLISHED_SUFFIX = "-published"  # a revision's scope once approved (Scope.of_revision)
REVIEW_SUFFIX = "-review"  # once submitted: its reviewers see it, not the public yet


def _audience(revision: Revision) -> str:
    """Who sees a revision, as its scope's name says: drafts carry no suffix."""
    if revision.state in PUBLISHED_STATES:
        return PUBLISHED_SUFFIX
    return "" if revision.state == RevisionState.DRAFT else REVIEW_SUFFIX


_AT = IN_FORCE + "-at-"
_ORIGIN = "origin"  # the name of the moments before any approval
_BEFORE_ANY = datetime.min.replace(tzinfo=UTC)  # the moment `origin` stands for
_STAMP = "%Y%m%dT%H%M%S%fZ"
# The scopes of the plans in force at a moment (directory names, job parameters).
HISTORY = re.compile(r"^in-force-at-(origin|[0-9]{8}T[0-9]{12}Z)(-envelopes)?$")


@dataclass(frozen=True)
class Scope:
    """What one tileset shows: `in-force`, `in-force-at-<stamp>` or `revision-<id>` (each
    with `-envelopes` for the zoning envelopes)."""

    name: str
    revision_ids: tuple[int, ...]
    in_force: bool
    envelopes: bool = False  # the lots' zoning envelopes instead of the 3D features
    at: datetime | None = None  # plans in force at this moment; None: now

    @staticmethod
    def plans_in_force(envelopes: bool = False, at: datetime | None = None) -> Scope:
        """The plans in force now, or at the moment `at` (named after the last change)."""
        suffix = "-envelopes" if envelopes else ""
        if at is None:
            ids = visibility.in_force_revisions().order_by("id").values_list("id", flat=True)
            return Scope(IN_FORCE + suffix, tuple(ids), True, envelopes)
        changed = last_change(at)
        if changed is None:  # before any approval: nothing was in force
            return Scope(_AT + _ORIGIN + suffix, (), True, envelopes, _BEFORE_ANY)
        if changed == last_change(datetime.now(UTC)):  # nothing changed since: today's plans
            return Scope.plans_in_force(envelopes)
        ids = visibility.in_force_revisions(changed).order_by("id").values_list("id", flat=True)
        return Scope(_AT + _stamp(changed) + suffix, tuple(ids), True, envelopes, changed)

    @staticmethod
    def of_revision(revision: Revision, envelopes: bool = False) -> Scope:
        """A revision's own tileset. Its builds for each audience live apart (the
        planners' draft, `-review` once the board sees it, `-published`): the view may
        serve a scope's last build while the next is made, and a build made for a
        narrower audience must never reach a wider one."""
        name = f"revision-{revision.pk}{_audience(revision)}" + ("-envelopes" if envelopes else "")
        return Scope(name, (revision.pk,), False, envelopes)

    def sql(self) -> dict[str, str]:
        return _ENVELOPE_SQL if self.envelopes else _FEATURE_SQL


def last_change(at: datetime) -> datetime | None:
    """The last approval or supersession at or before `at`, None before any: what was in
    force at `at` is what was in force from then on until the next change."""
    published = Revision.objects.filter(
        state__in=[RevisionState.APPROVED, RevisionState.SUPERSEDED]
    )
    times = (
        published.filter(approved_at__lte=at).aggregate(t=Max("approved_at"))["t"],
        published.filter(superseded_at__lte=at).aggregate(t=Max("superseded_at"))["t"],
        visibility.superseded_features(at).aggregate(t=Max("superseded_at"))["t"],
    )
    return max((t for t in times if t is not None), default=None)


def _stamp(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    return f"{utc.year:04d}{utc.strftime(_STAMP.removeprefix('%Y'))}"  # %Y may not pad


def history_moment(name: str) -> datetime:
    """The moment an `in-force-at-…` scope name stands for (its last change)."""
    match = HISTORY.match(name)
    if match is None:
        raise ValueError(f"not a scope of the plans in force at a moment: {name!r}")
    if match.group(1) == _ORIGIN:
        return _BEFORE_ANY
    return datetime.strptime(match.group(1), _STAMP).replace(tzinfo=UTC)


@dataclass(frozen=True)
class Built:
    scope: Scope
    key: str
    directory: Path
    feature_count: int

    @property
    def tileset_path(self) -> Path:
        return self.directory / "tileset.json"


def tiles_root() -> Path:
    return Path(settings.PLANNING_VAR_DIR) / "3dtiles"


# Lots another project's approval replaced (by the scope's moment, or by now).
_SUPERSEDED = """
    SELECT feature_id FROM planning_supersededfeature
     WHERE %(at)s::timestamptz IS NULL OR superseded_at <= %(at)s
"""
# A feature's public id (planning.models.PublicId): the batch table's `id`, the id WFS,
# OGC API and the vector tiles publish, so a clicked building joins its feature there.
_PUBLIC_ID = public_id_sql("f", "r.state")
_REVISION_JOIN = "JOIN planning_revision r ON r.id = l.revision_id"
# The features of a scope: revisions' features with 3D geometry; in force without the
# lots another project's approval replaced. Rows: the row id (which the faces are read
# by), the public id, then the batch table's columns. Height and storeys are read as the
# extrusion reads them (threed.extrude), so the batch table shows what was extruded.
_FEATURES_SQL = f"""
    SELECT f.id, {_PUBLIC_ID}, l.revision_id, l.name, l.kind, f.attributes,
           ST_ZMax(f.geom_3d) - ST_ZMin(f.geom_3d), {height_sql()}, {storeys_sql()}
      FROM planning_feature f JOIN planning_layer l ON l.id = f.layer_id {_REVISION_JOIN}
     WHERE l.revision_id = ANY(%(revisions)s) AND f.geom_3d IS NOT NULL
       AND NOT (%(in_force)s AND f.id IN ({_SUPERSEDED}))
     ORDER BY ST_GeoHash(ST_Transform(ST_Centroid(ST_Envelope(f.geom)), 4326), 12), f.id
"""  # noqa: S608 - constant SQL, values bound
# The public id is hashed too: it changes when a revision is published (lineage).
_FINGERPRINT_SQL = f"""
    SELECT count(*), coalesce(md5(string_agg(
             f.id::text || '=' || {_PUBLIC_ID}::text || ':' || md5(ST_AsEWKB(f.geom_3d))
             || md5(f.attributes::text),
             ',' ORDER BY f.id)), '')
      FROM planning_feature f JOIN planning_layer l ON l.id = f.layer_id {_REVISION_JOIN}
     WHERE l.revision_id = ANY(%(revisions)s) AND f.geom_3d IS NOT NULL
       AND NOT (%(in_force)s AND f.id IN ({_SUPERSEDED}))
"""  # noqa: S608 - constant SQL, values bound
# Faces of the chunk's features in EPSG:4978; TIN triangles become polygons.
_FACES_SQL = """
    SELECT f.id, ST_AsBinary(ST_Transform(
             CASE WHEN GeometryType(d.geom) = 'TRIANGLE'
                  THEN ST_MakePolygon(ST_ExteriorRing(d.geom)) ELSE d.geom END, 4978))
      FROM planning_feature f, LATERAL ST_Dump(f.geom_3d) d
     WHERE f.id = ANY(%(ids)s) AND GeometryType(d.geom) IN ('POLYGON', 'TRIANGLE')
"""
# The same for zoning envelopes (threed.Envelope): batch table rows shaped like features,
# published under the envelope's id; in force without the envelopes of superseded lots.
_ENVELOPES_SQL = f"""
    SELECT e.id, e.id, e.revision_id, 'envelopes', 'envelope',
           json_build_object('code', e.code, 'lot', e.code)::text,
           e.height_max, e.height_max, NULL
      FROM threed_envelope e
     WHERE e.revision_id = ANY(%(revisions)s)
       AND NOT (%(in_force)s AND e.lot_id IN ({_SUPERSEDED}))
     ORDER BY ST_GeoHash(ST_Transform(ST_Centroid(ST_Envelope(e.footprint)), 4326), 12), e.id
"""  # noqa: S608 - constant SQL, values bound
_ENVELOPE_FINGERPRINT_SQL = f"""
    SELECT count(*), coalesce(md5(string_agg(
             e.id::text || ':' || md5(ST_AsEWKB(e.geom_3d)) || e.code || e.height_max::text,
             ',' ORDER BY e.id)), '')
      FROM threed_envelope e
     WHERE e.revision_id = ANY(%(revisions)s)
       AND NOT (%(in_force)s AND e.lot_id IN ({_SUPERSEDED}))
"""  # noqa: S608 - constant SQL, values bound
_ENVELOPE_FACES_SQL = """
    SELECT e.id, ST_AsBinary(ST_Transform(d.geom, 4978))
      FROM threed_envelope e, LATERAL ST_Dump(e.geom_3d) d
     WHERE e.id = ANY(%(ids)s) AND GeometryType(d.geom) = 'POLYGON'
"""
# The 2D extent of the scope in the storage CRS (an empty tileset still needs a bounding
# volume); planning.extent turns it into lon/lat.
_EXTENT_SQL = """
    SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
      FROM (SELECT ST_Extent(f.geom) e
              FROM planning_feature f JOIN planning_layer l ON l.id = f.layer_id
             WHERE l.revision_id = ANY(%(revisions)s)) s
"""
_FEATURE_SQL = {"rows": _FEATURES_SQL, "fingerprint": _FINGERPRINT_SQL, "faces": _FACES_SQL}
_ENVELOPE_SQL = {
    "rows": _ENVELOPES_SQL,
    "fingerprint": _ENVELOPE_FINGERPRINT_SQL,
    "faces": _ENVELOPE_FACES_SQL,
}


def _query(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _params(scope: Scope) -> dict:
    return {"revisions": list(scope.revision_ids), "in_force": scope.in_force, "at": scope.at}


def prepare(scope: Scope) -> tuple[str, int]:
    """Extrude buildings still without 3D geometry; return the scope's key and size."""
    if scope.revision_ids and scope.envelopes:
        _envelopes_missing(scope.revision_ids)
    elif scope.revision_ids:
        extrude_missing(list(scope.revision_ids))
    count, digest = _query(scope.sql()["fingerprint"], _params(scope))[0]
    parts = (
        BUILD_VERSION,
        str(connection.settings_dict["NAME"]),
        scope.name,
        ",".join(map(str, scope.revision_ids)),
        digest,
        str(settings.PLANNING_3D_TILE_FEATURES),
    )
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20], count


def _envelopes_missing(revision_ids: tuple[int, ...]) -> None:
    """Build the envelopes of revisions that have none yet (drafts are rebuilt on request:
    POST /api/revisions/{id}/envelopes/)."""
    from threed.envelopes import build_envelopes
    from threed.models import Envelope

    done = set(
        Envelope.objects.filter(revision_id__in=revision_ids).values_list("revision_id", flat=True)
    )
    for revision in Revision.objects.filter(pk__in=set(revision_ids) - done):
        build_envelopes(revision)


def existing(scope: Scope, key: str) -> Built | None:
    directory = tiles_root() / scope.name / key
    if not (directory / "tileset.json").is_file():
        return None
    return Built(scope, key, directory, -1)


def in_force_build(key: str, envelopes: bool = False) -> Path | None:
    """The directory of build `key` of the plans in force, now or at any moment: content
    URIs name the build, so they resolve without the moment (public scopes only)."""
    if not KEY.match(key):
        return None
    root = tiles_root()
    current = root / (IN_FORCE + ("-envelopes" if envelopes else "")) / key
    if current.is_dir():
        return current
    if not root.is_dir():
        return None
    for parent in root.iterdir():
        match = HISTORY.match(parent.name)
        if match and bool(match.group(2)) == envelopes and (parent / key).is_dir():
            return parent / key
    return None


def latest(scope: Scope) -> Built | None:
    """The scope's most recent finished build, whatever its key."""
    parent = tiles_root() / scope.name
    if not parent.is_dir():
        return None
    builds = [p for p in parent.iterdir() if KEY.match(p.name) and (p / "tileset.json").is_file()]
    if not builds:
        return None
    newest = max(builds, key=lambda p: p.stat().st_mtime)
    return Built(scope, newest.name, newest, -1)


def build_tileset(scope: Scope) -> Built:
    """Build the scope's tileset unless the current one is already there."""
    key, count = prepare(scope)
    found = existing(scope, key)
    if found is not None:
        return found
    parent = tiles_root() / scope.name
    parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".build-", dir=parent))
    work.chmod(0o755)
    try:
        _write(scope, key, work)
        target = parent / key
        try:
            os.rename(work, target)
        except OSError:  # a concurrent build of the same key won: theirs is identical
            shutil.rmtree(work, ignore_errors=True)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    _prune(parent, keep=key)
    return Built(scope, key, target, count)


def _prune(parent: Path, keep: str, spare: int = 2) -> None:
    """Drop old builds of a scope, keeping the newest few for clients still loading them."""
    builds = sorted(
        (p for p in parent.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in [b for b in builds if b.name != keep][spare:]:
        shutil.rmtree(old, ignore_errors=True)


def _write(scope: Scope, key: str, work: Path) -> None:
    rows = _query(scope.sql()["rows"], _params(scope))
    size = settings.PLANNING_3D_TILE_FEATURES
    children: list[dict] = []
    regions: list[list[float]] = []
    for number, start in enumerate(range(0, len(rows), size)):
        region = _write_chunk(
            rows[start : start + size], work / f"{number}.b3dm", scope.sql()["faces"]
        )
        if region is not None:
            regions.append(region)
            children.append(
                {
                    "boundingVolume": {"region": region},
                    "geometricError": 0.0,
                    "content": {"uri": f"k-{key}/{number}.b3dm"},
                }
            )
    root_region = _union(regions) or _empty_region(scope)
    root: dict = {
        "boundingVolume": {"region": root_region},
        "geometricError": ROOT_GEOMETRIC_ERROR,
        "refine": "ADD",
    }
    if children:  # 3D Tiles: `children`, when present, holds at least one tile
        root["children"] = children
    tileset = {
        "asset": {"version": "1.0", "generator": "planning threed " + BUILD_VERSION},
        **_property_ranges(rows),
        "geometricError": ROOT_GEOMETRIC_ERROR,
        "root": root,
    }
    (work / "tileset.json").write_text(json.dumps(tileset), encoding="utf-8")


def _property_ranges(rows: list[tuple]) -> dict:
    """The tileset's `properties`: 3D Tiles 1.0 requires each one's minimum and maximum
    (the values _batch_table writes); left out when no feature has one."""
    columns: dict[str, list[float | None]] = {
        "height": [h if h is not None else _rounded(e) for *_, e, h, _s in rows],
        "storeys": [_storeys(n) for *_, n in rows if n is not None],
    }
    ranges = {}
    for name, values in columns.items():
        numbers = [float(v) for v in values if v is not None and math.isfinite(float(v))]
        if numbers:
            ranges[name] = {"minimum": min(numbers), "maximum": max(numbers)}
    return {"properties": ranges} if ranges else {}


def _union(regions: list[list[float]]) -> list[float] | None:
    if not regions:
        return None
    stacked = np.array(regions)
    return [
        *stacked[:, :2].min(axis=0).tolist(),
        *stacked[:, 2:4].max(axis=0).tolist(),
        float(stacked[:, 4].min()),
        float(stacked[:, 5].max()),
    ]


def _empty_region(scope: Scope) -> list[float]:
    extent = None
    if scope.revision_ids:
        box = _query(_EXTENT_SQL, _params(scope))[0]
        # Clamped to Viet Nam: a draft stored far off must not break its tileset.
        extent = plan_extent.lonlat_box(None if box[0] is None else box)
    if extent is None:  # nothing at all: the volume of Viet Nam
        extent = plan_extent.VIETNAM_LONLAT
    west, south, east, north = np.radians(np.array(extent, dtype=float)).tolist()
    return [west, south, east, north, 0.0, 0.0]


def _write_chunk(rows: list[tuple], path: Path, faces_sql: str) -> list[float] | None:
    """One b3dm of these features; returns its bounding region, None when it has nothing."""
    batch_of = {row[0]: number for number, row in enumerate(rows)}
    faces_rows = _query(faces_sql, {"ids": list(batch_of)})
    if not faces_rows:
        return None
    faces = shapely.from_wkb([bytes(wkb) for _, wkb in faces_rows])
    face_batch = np.array([batch_of[feature_id] for feature_id, _ in faces_rows], dtype=np.uint32)
    coords = shapely.get_coordinates(faces, include_z=True)
    centre = (coords.min(axis=0) + coords.max(axis=0)) / 2
    faces = shapely.transform(faces, lambda c: c - centre, include_z=True)
    triangles = triangulate(faces)
    normals = _unit_normals(triangles.vertices)
    solid = np.linalg.norm(normals, axis=1) > 0  # slivers have no normal: left out
    if not solid.any():
        return None
    positions = triangles.vertices[solid].reshape(-1, 3)
    batch_ids = np.repeat(face_batch[triangles.face[solid]], 3)
    mesh = GltfMesh(
        _y_up(positions).astype(np.float32),
        normals=_y_up(np.repeat(normals[solid], 3, axis=0)).astype(np.float32),
        primitives=[
            GltfPrimitive(
                triangles=np.arange(len(positions), dtype=np.uint32).reshape(-1, 3),
                material=pygltflib.Material(doubleSided=True),
            )
        ],
        # glTF allows UNSIGNED_INT for indices only: feature ids go as floats (exact < 2^24).
        additional_attributes=[
            GltfAttribute(
                "_BATCHID", pygltflib.SCALAR, pygltflib.FLOAT, batch_ids.astype(np.float32)
            )
        ],
    )
    b3dm = B3dm.from_meshes([mesh], _batch_table(rows), _feature_table(len(rows), centre))
    path.write_bytes(b3dm.to_array().tobytes())
    return _region(positions + centre)


def _y_up(points: np.ndarray) -> np.ndarray:
    """glTF is y-up; 3D Tiles turn it z-up again (x, y, z) -> (x, z, -y)."""
    return np.column_stack([points[:, 0], points[:, 2], -points[:, 1]])


def _unit_normals(vertices: np.ndarray) -> np.ndarray:
    normals = np.cross(vertices[:, 1] - vertices[:, 0], vertices[:, 2] - vertices[:, 0])
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    return np.divide(normals, length, out=np.zeros_like(normals), where=length > 0)


def _region(ecef: np.ndarray) -> list[float]:
    """The bounding region (radians, metres above the ellipsoid) of ECEF points."""
    lat, lon, height = _ECEF_TO_GEODETIC.transform(ecef[:, 0], ecef[:, 1], ecef[:, 2])
    lon_r, lat_r = np.radians(lon), np.radians(lat)
    margin = 1e-9  # float32 positions: a hair of slack keeps every vertex inside
    return [
        float(lon_r.min() - margin),
        float(lat_r.min() - margin),
        float(lon_r.max() + margin),
        float(lat_r.max() + margin),
        float(height.min() - 0.05),
        float(height.max() + 0.05),
    ]


def _feature_table(batch_length: int, centre: np.ndarray) -> B3dmFeatureTable:
    table = B3dmFeatureTable()
    header: dict = {"BATCH_LENGTH": batch_length, "RTC_CENTER": centre.tolist()}
    table.header.data = header
    return table


def _batch_table(rows: list[tuple]) -> BatchTable:
    values: dict[str, list] = {name: [] for name in BATCH_PROPERTIES}
    for row in rows:  # the row id (row[0]) stays internal: it only keys the faces
        public_id, revision_id, layer_name, kind, attributes = row[1:6]
        extent, height, storeys = row[6:]
        if isinstance(attributes, str):  # Django's cursors leave jsonb undecoded
            attributes = json.loads(attributes)
        lowered = {str(k).lower(): v for k, v in (attributes or {}).items()}
        values["id"].append(public_id)
        values["revision"].append(revision_id)
        values["layer"].append(layer_name)
        values["kind"].append(kind)
        for name in ("code", "lot", "name", "use", "function"):
            value = lowered.get(name)
            values[name].append(None if value in (None, "") else str(value))
        # The attribute the extrusion used, else the solid's own (storeys x storey height
        # for an extruded footprint, the model's extent for 3D geometry from a source).
        values["height"].append(height if height is not None else _rounded(extent))
        values["storeys"].append(_storeys(storeys))
    table = BatchTable()
    for name, column in values.items():
        table.add_property_as_json(name, column)
    return table


def _storeys(value) -> int | float | None:
    """A storey count as the attribute gave it: 3 as 3, a mezzanine's 2.5 as 2.5."""
    if value is None:
        return None
    number = float(value)
    return int(number) if number.is_integer() else number


def _rounded(value) -> float | None:
    return round(float(value), 2) if value is not None else None
