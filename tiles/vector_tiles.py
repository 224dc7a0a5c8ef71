"""Mapbox vector tiles (MVT) of the planning features, encoded by PostGIS in one query.

A vector-tile source is a feature type of tiles.feature_types (`landuse`, `roads`,
`landuse.<project>`) or `plans`, every kind of every visible plan, each kind its own MVT
layer. Visibility is planning.visibility's rule, embedded as a revision subquery, so a
tile shows exactly what the WFS shows the same caller. The MVT feature id is the feature's
public id (planning.models.public_id_sql, the id WFS and OGC API publish); properties are
the category code of a land-use lot that has one (clients colour it from the catalogue),
the code of the feature's project and the number of its revision (joined: the revision the
visibility rule let through), and the allow-listed attributes, picked out of the JSONB
column with bound key names.

The geometry filter is `geom && <tile envelope in the storage CRS>` so the GIST index on
the storage column is used; transforming each row first would scan the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet

from planning.layer_kinds import KINDS
from planning.models import (
    PUBLISHED_STATES,
    Feature,
    Layer,
    Project,
    Revision,
    SupersededFeature,
    public_id_sql,
)
from planning.visibility import service_revisions, superseded_features
from tiles import datasource
from tiles.feature_types import (
    CATEGORY,
    PROJECT,
    PUBLICATION_ORDER,
    REVISION,
    SAFE_NAME,
    Property,
    extent_wgs84,
    properties_from_schemas,
    published_kinds,
)

MAX_ZOOM = 22
EXTENT = 4096  # tile coordinate units per side
BUFFER = 64  # units of geometry kept beyond the tile edge, so strokes join across tiles
# Below this zoom a tile is too large to transform into a local transverse Mercator
# storage CRS (its far corners fold onto each other), so the index filter is skipped and
# ST_AsMVTGeom alone drops what lies outside.
INDEX_MIN_ZOOM = 5
PLANS = "plans"
_TILEJSON_TYPES = {"integer": "Number", "number": "Number", "boolean": "Boolean"}
# The SQL (over `feats`) of each property without an attribute key: constant expressions.
_SERVICE_VALUES = {
    CATEGORY: "to_jsonb(nullif(category, ''))",
    PROJECT: "to_jsonb(project_code)",
    REVISION: "to_jsonb(revision_number)",
}


@dataclass(frozen=True)
class TileLayer:
    """One MVT layer inside a tile: features of one layer kind."""

    name: str
    kind: str
    properties: tuple[Property, ...]


@dataclass(frozen=True)
class VectorSource:
    """What one /vtiles/{name} URL serves to one caller."""

    name: str
    layers: tuple[TileLayer, ...]
    revisions: QuerySet[Revision]  # lazy: embedded into the tile query as a subquery
    superseded: QuerySet[SupersededFeature]  # lots other approvals replaced: left out


def tile_in_range(z: int, x: int, y: int) -> tuple[bool, bool]:
    """(zoom valid, column and row inside that zoom's matrix)."""
    zoom_ok = 0 <= z <= MAX_ZOOM
    return zoom_ok, zoom_ok and 0 <= x < (1 << z) and 0 <= y < (1 << z)


def _kinds_of(name: str) -> tuple[list[str], str | None]:
    """The layer kinds a source name covers and its project code; ([], None) if invalid."""
    if name == PLANS:
        return published_kinds(), None
    kind, dot, code = name.partition(".")
    if kind not in KINDS or (dot and not SAFE_NAME.match(code)):
        return [], None
    return [kind], code or None


def _selected(
    revisions: QuerySet[Revision], code: str | None, revision_id: int | None
) -> QuerySet[Revision]:
    """The revisions of one project (by code) or the one revision a source name and query ask."""
    if code:
        revisions = revisions.filter(project__code=code)
    if revision_id is not None:
        revisions = revisions.filter(id=revision_id)
    return revisions


def _known(kinds: list[str], user, code: str | None, revision_id: int | None) -> bool:
    """Whether the caller sees the source at some instant: now (their own unpublished
    revisions included) or at any moment a published plan was in force. Only revisions the
    caller may see count: a draft makes its name known to its planners alone."""
    revisions = Revision.objects.filter(
        Q(state__in=PUBLISHED_STATES) | Q(id__in=service_revisions(user).values("id"))
    )
    selected = _selected(revisions, code, revision_id)
    return Layer.objects.filter(revision__in=selected, kind__in=kinds).exists()


def vector_source(
    name: str, user, at: datetime | None = None, revision_id: int | None = None
) -> VectorSource | None:
    """The source `name` as `user` sees it (at `at`, or of one revision), None if the caller
    sees nothing of it: unknown and invisible give the same answer. At an instant when
    nothing of a known source was in force it is empty (empty tiles), not unknown."""
    kinds, code = _kinds_of(name)
    if not kinds:
        return None
    revisions = _selected(service_revisions(user, at), code, revision_id)
    schemas: dict[str, tuple[list[Any], list[Any]]] = {}  # kind -> (approved, drafts)
    rows = Layer.objects.filter(revision__in=revisions, kind__in=kinds).order_by(*PUBLICATION_ORDER)
    for kind, schema, approved_at in rows.values_list(
        "kind", "attribute_schema", "revision__approved_at"
    ):
        schemas.setdefault(kind, ([], []))[approved_at is None].append(schema)
    # The kinds are one catalogue with WMS, WFS and OGC API (feature_types.published_kinds):
    # `plans` lists every kind and a kind's own source exists, empty or not (their standard
    # properties then). A project's source and a revision's exist where the caller sees
    # layers of them; at an instant, also where the caller sees them at another instant (no
    # layers: what drafts hold never shows in the layer list).
    catalogue = code is None and revision_id is None
    layers = tuple(
        TileLayer(kind if name == PLANS else name, kind, tuple(properties_from_schemas(kind, *s)))
        for kind in kinds
        if (s := schemas.get(kind, ([], []) if catalogue else None)) is not None
    )
    always = catalogue
    if not (layers or always or (at is not None and _known(kinds, user, code, revision_id))):
        return None
    return VectorSource(name, layers, revisions, superseded_features(at))


@lru_cache(maxsize=256)
def public_source(name: str, generation: str) -> VectorSource | None:
    """vector_source for an anonymous caller now, remembered per in-force generation:
    revisions in force are frozen, so what it finds changes only with the generation."""
    return vector_source(name, None)


def _layer_sql(layer: TileLayer) -> tuple[str, list[Any]]:
    """ST_AsMVT of one layer over the selected features; '' when none is in the tile. The
    published properties go under their published names, null ones left out: `category`
    only in kinds that have it (tiles.feature_types.standard_properties) and only for a lot
    that has one, as WFS and OGC API publish it, never as an empty string; `project` and
    `revision` from the feature's own revision (columns of `feats`)."""
    values = [
        _SERVICE_VALUES[p.name] if not p.key else "attributes -> %s" for p in layer.properties
    ]
    pairs = ", ".join(f"%s, {value}" for value in values)
    params: list[Any] = [layer.name, EXTENT]
    for prop in layer.properties:
        params += [prop.name, prop.key] if prop.key else [prop.name]
    params.append(layer.kind)
    sql = f"""coalesce((SELECT ST_AsMVT(t, %s, %s, 'geom', 'id') FROM (
        SELECT id, jsonb_strip_nulls(jsonb_build_object({pairs})) AS properties, geom
        FROM feats WHERE kind = %s AND geom IS NOT NULL) AS t), ''::bytea)"""  # noqa: S608 - only placeholders and constant expressions
    return sql, params


def tile_query(source: VectorSource, z: int, x: int, y: int) -> tuple[str, list[Any]]:
    """The one statement that builds the tile, with every value bound."""
    feature, layer = Feature._meta.db_table, Layer._meta.db_table
    revision, project = Revision._meta.db_table, Project._meta.db_table
    revisions_sql, revisions_params = source.revisions.values("id").query.sql_with_params()
    superseded_sql, superseded_params = source.superseded.values(
        "feature_id"
    ).query.sql_with_params()
    params: list[Any] = [z, x, y, EXTENT, BUFFER, [lay.kind for lay in source.layers]]
    params += [*revisions_params, *superseded_params]
    index_filter = ""
    if z >= INDEX_MIN_ZOOM:
        index_filter = """AND f.geom && (SELECT ST_Transform(ST_Segmentize(e,
            (ST_XMax(e) - ST_XMin(e)) / 8), %s::integer)
            FROM ST_TileEnvelope(%s, %s, %s, margin => %s) AS e)"""
        params += [settings.PLANNING_STORAGE_SRID, z, x, y, BUFFER / EXTENT]
    parts = [_layer_sql(lay) for lay in source.layers]
    for _, part_params in parts:
        params += part_params
    sql = f"""WITH feats AS MATERIALIZED (
        SELECT l.kind, {public_id_sql("f", "r.state")} AS id, f.category, f.attributes,
               p.code AS project_code, r.number AS revision_number,
               ST_AsMVTGeom(ST_Transform(f.geom, 3857), ST_TileEnvelope(%s, %s, %s),
                            %s, %s, true) AS geom
        FROM {feature} f JOIN {layer} l ON l.id = f.layer_id
        JOIN {revision} r ON r.id = l.revision_id JOIN {project} p ON p.id = r.project_id
        WHERE l.kind = ANY(%s) AND l.revision_id IN ({revisions_sql})
          AND f.id NOT IN ({superseded_sql}) {index_filter}
    )
    SELECT {" || ".join(sql for sql, _ in parts)}"""  # noqa: S608 - tables from models, values bound
    return sql, params


def render_tile(source: VectorSource, z: int, x: int, y: int) -> bytes:
    """The MVT bytes of one tile (empty when no feature touches it)."""
    if not source.layers:
        return b""
    sql, params = tile_query(source, z, x, y)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        (data,) = cursor.fetchone()
    return bytes(data or b"")


def _fields(layer: TileLayer) -> dict[str, str]:
    """The layer's published properties: `category` only in kinds that have it."""
    return {p.name: _TILEJSON_TYPES.get(p.type, "String") for p in layer.properties}


def _bounds(source: VectorSource) -> list[float]:
    """The extent of the source's features. A source whose layers hold none (an empty
    annotation layer) advertises that of everything in its plans, and only one whose plans
    hold nothing Viet Nam: the extents WMS and WMTS advertise (tiles.mapproxy_config)."""
    features = Feature.objects.filter(layer__revision__in=source.revisions).exclude(
        id__in=source.superseded.values("feature_id")
    )
    kinds = [lay.kind for lay in source.layers]
    box = extent_wgs84(features.filter(layer__kind__in=kinds)) or extent_wgs84(features)
    return list(box or datasource.VIETNAM_WGS84)


def tilejson(source: VectorSource, tiles_url: str) -> dict[str, Any]:
    """The TileJSON 3.0.0 document of a source; `tiles_url` is the absolute URL template."""
    bounds = _bounds(source)
    return {
        "tilejson": "3.0.0",
        "name": source.name,
        "scheme": "xyz",
        "tiles": [tiles_url],
        "minzoom": 0,
        "maxzoom": MAX_ZOOM,
        "bounds": bounds,
        "center": [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, 15],
        "vector_layers": [
            {
                "id": lay.name,
                "description": str(KINDS[lay.kind].label),
                "minzoom": 0,
                "maxzoom": MAX_ZOOM,
                "fields": _fields(lay),
            }
            for lay in source.layers
        ],
    }
