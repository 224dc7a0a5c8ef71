"""Extrusion of building footprints with SFCGAL (ST_Extrude → PolyhedralSurfaceZ).

The solid is stored as a MultiPolygonZ of its faces (the same faces, in the same order):
GEOS, GDAL and Django cannot read PolyhedralSurface, and every service loads Feature rows
through them. threed.solids checks closedness of such face sets.

Heights are metres above the base elevation; the base elevation (attribute, default 0 =
ground level) is metres above the VN-2000 height datum (Hòn Dấu). See docs/3d.md.
A building's height is its `height` attribute, else `storeys` x PLANNING_STOREY_HEIGHT_M.
These SQL expressions are the one definition of a building's height and storeys: the
extrusion, the 3D Tiles batch table (threed.tileset), the envelope check and the QA rule
heights.unusable (planning/qa/rules/) all read them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection, transaction

from planning.models import Feature, Layer, Revision

# Attribute names read, in order of preference (the importer keeps source names).
HEIGHT_KEYS = ("height", "chieu_cao", "chieucao")
STOREY_KEYS = ("storeys", "floors", "so_tang", "sotang", "tang_cao")
BASE_KEYS = ("base_elevation", "elevation", "cao_do_nen", "caodonen")


# A number as attributes write it: an optional sign, digits and one decimal point or comma
# ("7,5": Vietnamese data use the decimal comma, like the CAD labels of importers.cad.labels).
# Thousands separators are refused: no height, storey count or elevation needs them, and
# "1.250" would be ambiguous. At most 15 integer digits: the float8 cast cannot overflow.
# Constant, so it can be written into the SQL.
NUMBER_PATTERN = r"^\s*[-+]?[0-9]{1,15}([.,][0-9]+)?\s*$"


def _value_sql(key: str, alias: str) -> str:
    return f"{alias}.attributes->>'{key}'"  # constant allow-listed names, never user input


def spellings(keys: tuple[str, ...]) -> tuple[str, ...]:
    """Each key as written here and in capitals: shapefile (DBF) field names usually come
    in capitals (SO_TANG, HEIGHT), and imports keep the source's names."""
    return tuple(spelling for key in keys for spelling in dict.fromkeys((key, key.upper())))


def number_sql(keys: tuple[str, ...], alias: str = "f", *, positive: bool = False) -> str:
    """SQL: the first attribute among `keys` that parses as a number (NUMBER_PATTERN), else
    NULL; with `positive`, numbers <= 0 are skipped like text (a height or storey count of
    zero or less means none)."""
    parts = []
    for key in spellings(keys):
        text = _value_sql(key, alias)
        number = f"replace({text}, ',', '.')::float8"
        # CASE branches are evaluated in order: the cast only ever sees a matching text.
        usable = f"WHEN {number} > 0 THEN {number}" if positive else f"ELSE {number}"
        parts.append(f"CASE WHEN NOT {text} ~ '{NUMBER_PATTERN}' THEN NULL {usable} END")
    return f"coalesce({', '.join(parts)})"


def height_sql(alias: str = "f") -> str:
    """SQL: the building's height attribute (HEIGHT_KEYS, m > 0), else NULL."""
    return number_sql(HEIGHT_KEYS, alias, positive=True)


def storeys_sql(alias: str = "f") -> str:
    """SQL: the building's storey count attribute (STOREY_KEYS, > 0), else NULL."""
    return number_sql(STOREY_KEYS, alias, positive=True)


def unusable_sql(alias: str = "f") -> str:
    """SQL: the height and storey attributes (key, text) given but not usable by the sums
    above (not a number, zero or negative), as a jsonb object; '{}' when none."""
    parts = [
        f"CASE WHEN nullif(trim({_value_sql(key, alias)}), '') IS NOT NULL "
        f"AND {number_sql((key,), alias, positive=True)} IS NULL "
        f"THEN jsonb_build_object('{key}', {_value_sql(key, alias)}) ELSE '{{}}'::jsonb END"
        for key in spellings(HEIGHT_KEYS + STOREY_KEYS)
    ]
    return " || ".join(parts)


HEIGHT_SQL = f"coalesce({height_sql()}, {storeys_sql()} * %(storey_height)s)"
BASE_SQL = f"coalesce({number_sql(BASE_KEYS)}, 0)"

_EXTRUDE_SQL = f"""
    UPDATE planning_feature AS f
       SET geom_3d = ST_Collect(ARRAY(SELECT (ST_Dump(ST_Extrude(
             ST_Translate(ST_Force3D(ST_CollectionExtract(f.geom, 3)), 0, 0, {BASE_SQL}),
             0, 0, {HEIGHT_SQL}))).geom))
      FROM planning_layer AS l
     WHERE f.layer_id = l.id AND l.id = ANY(%(layers)s)
       AND ST_Dimension(f.geom) = 2 AND ST_IsValid(f.geom) AND NOT ST_IsEmpty(f.geom)
       AND {HEIGHT_SQL} > 0
       AND (%(force)s OR f.geom_3d IS NULL)
"""  # noqa: S608 - only constant SQL; every value is bound


def extrude_layers(layer_ids: list[int], *, force: bool = False) -> int:
    """Fill geom_3d of the buildings of these layers; returns how many were extruded.

    Features that already carry 3D geometry (DXF 3D entities, models) are kept unless
    `force`. Footprints without a usable height or storey count stay 2D."""
    if not layer_ids:
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            _EXTRUDE_SQL,
            {
                "layers": list(layer_ids),
                "force": force,
                "storey_height": settings.PLANNING_STOREY_HEIGHT_M,
            },
        )
        return cursor.rowcount


def extrude_revision(revision: Revision, *, force: bool = False) -> int:
    """Extrude every buildings layer of a revision (after import, or on demand)."""
    layers = Layer.objects.filter(revision=revision, kind="buildings").values_list("id", flat=True)
    return extrude_layers(list(layers), force=force)


def extrude_missing(revision_ids: list[int]) -> int:
    """Extrude the buildings of these revisions that have a height but no 3D geometry yet."""
    layers = (
        Feature.objects.filter(
            layer__revision_id__in=revision_ids, layer__kind="buildings", geom_3d__isnull=True
        )
        .values_list("layer_id", flat=True)
        .distinct()
    )
    return extrude_layers(list(layers))
