"""What the renderers read: the in-force view, per kind, and its extents.

Public map layers read only the view `planning_feature_in_force` (migration 0003), which
is the visibility rule for public services written in SQL: never planning_feature.
Connection parameters are read from Django's connection when a configuration is built,
not at import, so that tests (whose database is created later) render their own data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db import connection
from pyproj import Transformer

from planning.crs import proj4_for
from planning.layer_kinds import KINDS
from tiles.styles import DEFAULT_ANCHOR, ROTATION_FIELD, TEXT_ANCHORS

IN_FORCE_VIEW = "planning_feature_in_force"
MAPNIK_APPLICATION_NAME = "planning-mapnik"
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
Bbox = tuple[float, float, float, float]
# Mainland Viet Nam and its near-shore islands, lon/lat (EPSG:4326).
VIETNAM_WGS84: Bbox = (102.0, 8.0, 110.0, 23.5)
# Extra columns each kind's symbols need, as SQL over the view (no user input in them).
_ANCHORS = ", ".join(f"'{anchor}'" for anchor in TEXT_ANCHORS)  # constants, no user input
# A text's direction: a JSON number, reduced to a turn in numeric (which any JSON number
# casts to, unlike float8); anything else (a string, null, no value) leaves it level.
_ROTATION = (
    "CASE WHEN jsonb_typeof(attributes->'rotation') = 'number' "
    "THEN mod((attributes->>'rotation')::numeric, 360)::float8 "
    f"ELSE 0 END AS {ROTATION_FIELD}"
)
_EXTRA_COLUMNS = {
    "landuse": "category",
    # the text, where it stands on its point (a known value, else centred), its direction
    "annotation": "coalesce(attributes->>'text', attributes->>'label', '') AS label, "
    f"CASE WHEN attributes->>'anchor' IN ({_ANCHORS}) THEN attributes->>'anchor' "
    f"ELSE '{DEFAULT_ANCHOR}' END AS anchor, {_ROTATION}",
}


def srs_definition(srid: int) -> str:
    """How Mapnik (PROJ) is told a CRS: proj4 with the VN-2000 datum shift, else epsg:N."""
    return proj4_for(srid) or f"epsg:{srid}"


def connection_params() -> dict[str, str]:
    """Mapnik postgis parameters of Django's current database (a socket dir works as host)."""
    conf = connection.settings_dict
    params = {
        "host": str(conf.get("HOST") or ""),
        "port": str(conf.get("PORT") or ""),
        "dbname": _dbname_with_application_name(str(conf["NAME"])),
        "user": str(conf.get("USER") or ""),
        "password": str(conf.get("PASSWORD") or ""),
    }
    return {k: v for k, v in params.items() if v}


def _dbname_with_application_name(name: str) -> str:
    """The dbname parameter, labelled so Mapnik's pooled connections can be told apart.

    Mapnik appends `dbname=<value>` to its libpq conninfo unquoted, so a plain database
    name followed by application_name sets that too; names that would need quoting are
    passed through unlabelled.
    """
    if _PLAIN_NAME.match(name):
        return f"{name} application_name={MAPNIK_APPLICATION_NAME}"
    return name


def kind_table(kind: str) -> str:
    """The SQL subquery of one kind; `kind` comes from the allow-list of layer kinds."""
    if kind not in KINDS:
        raise ValueError(f"unknown layer kind {kind!r}")
    columns = ", ".join(c for c in ("id", "geom", _EXTRA_COLUMNS.get(kind)) if c)
    # Mapnik takes the subquery as text (no bind values); every part is a constant or
    # checked against the allow-list above.
    return (
        f"(SELECT {columns} FROM {IN_FORCE_VIEW} "  # noqa: S608
        f"WHERE kind = '{kind}' AND geom && !bbox!) AS features"
    )


def datasource_params(kind: str, extent: Bbox, db: dict[str, str]) -> dict[str, str]:
    """Mapnik datasource of one kind; a fixed extent spares Mapnik a full-table scan."""
    return {
        "type": "postgis",
        **db,
        "table": kind_table(kind),
        "geometry_field": "geom",
        "key_field": "id",
        "srid": str(settings.PLANNING_STORAGE_SRID),
        "extent": ",".join(f"{v:.3f}" for v in extent),
        "estimate_extent": "false",
        "max_size": "4",
    }


@dataclass(frozen=True)
class KindExtent:
    """Where a kind has in-force data: in the storage CRS and in WGS84."""

    storage: Bbox
    wgs84: Bbox


def data_extents() -> dict[str, KindExtent]:
    """Extent of the in-force data of each kind that has any (one query over the view)."""
    sql = f"""
        SELECT kind, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e),
               ST_XMin(w), ST_YMin(w), ST_XMax(w), ST_YMax(w)
        FROM (
            SELECT kind, ext::geometry AS e,
                   ST_Transform(ST_SetSRID(ext::geometry, %s), 4326) AS w
            FROM (SELECT kind, ST_Extent(geom) AS ext FROM {IN_FORCE_VIEW} GROUP BY kind) k
        ) t
    """  # noqa: S608 - only the constant view name is interpolated
    with connection.cursor() as cursor:
        cursor.execute(sql, [settings.PLANNING_STORAGE_SRID])
        rows = cursor.fetchall()
    return {
        row[0]: KindExtent(_pad(tuple(row[1:5]), 50.0), _pad(tuple(row[5:9]), 0.0005))
        for row in rows
        if row[0] in KINDS and row[1] is not None
    }


def _pad(bbox: tuple, margin: float) -> Bbox:
    """A bbox grown by `margin` so strokes and labels at the edge are not cut."""
    return (bbox[0] - margin, bbox[1] - margin, bbox[2] + margin, bbox[3] + margin)


def union(boxes: list[Bbox]) -> Bbox | None:
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


@cache
def vietnam_storage_extent(srid: int) -> Bbox:
    """Viet Nam's extent in the storage CRS, with the same datum shift Mapnik applies."""
    transformer = Transformer.from_crs(
        "+proj=longlat +datum=WGS84 +no_defs", srs_definition(srid), always_xy=True
    )
    return tuple(transformer.transform_bounds(*VIETNAM_WGS84, densify_pts=21))  # type: ignore[return-value]


def used_categories() -> set[str]:
    """Land-use category codes that occur in the plans in force (for short legends)."""
    sql = f"SELECT DISTINCT category FROM {IN_FORCE_VIEW} WHERE kind = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, ["landuse"])
        return {row[0] for row in cursor.fetchall()}
