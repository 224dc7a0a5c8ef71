"""Bulk load of prepared features into PostGIS with COPY, inside the caller's transaction.

Rows are serialised to COPY text format in large chunks rather than row by row: at
200,000 features the per-row protocol calls cost more than PostgreSQL's own work.
Every loaded layer then passes one set-based placement check (`check_placement`): a
feature outside Viet Nam or with a coordinate that is not a number refuses the whole
import (the caller's transaction rolls back), since no map could transform it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import orjson
from django.db import connection
from django.utils.translation import gettext as _
from psycopg.copy import QueuedLibpqWriter

from planning import extent
from planning.errors import InvalidInput

COPY_SQL = (
    "COPY planning_feature (layer_id, geom, geom_3d, attributes, category, source_ref) FROM STDIN"
)
CHUNK_ROWS = 5000
NULL = "\\N"
_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]")
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
# One pass over the layer's rows, reading each geometry once: its bounding box inside the
# envelope, and a length (a centroid for points) that is finite, because a NaN vertex
# escapes bounding boxes (PostGIS skips it) but not arithmetic over every vertex.
EXAMPLE_REFS = 20  # distinct refs fetched; the message names three
_OUTSIDE_SQL = """
SELECT count(*), (array_agg(DISTINCT source_ref))[1:%(examples)s]
  FROM planning_feature
 WHERE layer_id = %(layer)s
   AND NOT COALESCE(
       ST_IsEmpty(geom)
       OR (geom @ ST_MakeEnvelope(%(west)s, %(south)s, %(east)s, %(north)s, ST_SRID(geom))
           AND CASE WHEN ST_Dimension(geom) = 0
                    THEN ST_X(ST_Centroid(geom)) + ST_Y(ST_Centroid(geom))
                    ELSE ST_Length(geom) + ST_Perimeter(geom) END < 'Infinity'::float8),
       true)
"""


def _text(value: str) -> str:
    return value.translate(_ESCAPES) if _NEEDS_ESCAPE.search(value) else value


def _json(attributes: dict) -> str:
    # orjson escapes every control character, so only the backslash needs doubling.
    return orjson.dumps(attributes, default=str).decode().replace("\\", "\\\\")


def copy_features(
    layer_id: int,
    wkb: Sequence[str],
    wkb_3d: Sequence[str | None],
    attributes: Sequence[dict],
    categories: Sequence[str],
    source_refs: Sequence[str],
) -> int:
    """COPY the features of one layer; the sequences are aligned. Returns the row count."""
    prefix = f"{int(layer_id)}\t"
    with connection.cursor() as cursor:
        raw = cursor.cursor
        # The queued writer sends data from a thread, so PostgreSQL parses and indexes one
        # chunk while Python serialises the next.
        with raw.copy(COPY_SQL, writer=QueuedLibpqWriter(raw)) as copy:
            _write_chunks(copy, prefix, wkb, wkb_3d, attributes, categories, source_refs)
    check_placement(layer_id, len(wkb))
    return len(wkb)


class PlacementRefused(InvalidInput):
    """Features outside Viet Nam or with coordinates that are not numbers. The message names
    the CAD page's remedies (CRS, control points); pages without control points word their
    own from `count`, `loaded` and `examples` (webmap.views.revision_upload)."""

    def __init__(self, message: str, *, count: int, loaded: int, examples: list[str]) -> None:
        super().__init__(message)
        self.count, self.loaded, self.examples = count, loaded, examples


def check_placement(layer_id: int, loaded: int) -> None:
    """Refuse the layer when a feature lies outside Viet Nam (planning.extent) or has a
    coordinate that is not a finite number; the caller's transaction then writes nothing."""
    west, south, east, north = extent.storage_envelope()
    with connection.cursor() as cursor:
        cursor.execute(
            _OUTSIDE_SQL,
            {
                "layer": layer_id,
                "west": west,
                "south": south,
                "east": east,
                "north": north,
                "examples": EXAMPLE_REFS,
            },
        )
        count, refs = cursor.fetchone()
    # "file.dxf#" (an entity without a handle) says nothing about where: named ones first.
    named = [ref for ref in refs or [] if not ref.endswith("#")]
    examples = (named or refs or [])[:3]
    if count:
        raise PlacementRefused(
            _(
                "%(count)d of %(loaded)d features lie outside Viet Nam or have coordinates "
                "that are not numbers (%(examples)s): check the coordinate system, the control "
                "points or entities far from the plan. Nothing was imported."
            )
            % {"count": count, "loaded": loaded, "examples": ", ".join(examples)},
            count=count,
            loaded=loaded,
            examples=examples,
        )


def _write_chunks(copy, prefix, wkb, wkb_3d, attributes, categories, source_refs) -> None:
    for start in range(0, len(wkb), CHUNK_ROWS):
        stop = start + CHUNK_ROWS
        lines = [
            f"{prefix}{geom}\t{geom3 or NULL}\t{_json(attrs)}\t{_text(cat)}\t{_text(ref)}\n"
            for geom, geom3, attrs, cat, ref in zip(
                wkb[start:stop],
                wkb_3d[start:stop],
                attributes[start:stop],
                categories[start:stop],
                source_refs[start:stop],
                strict=True,
            )
        ]
        copy.write("".join(lines))


def attribute_rows(
    names: Sequence[str], columns: Sequence[list], keep: Sequence[int]
) -> list[dict]:
    """Per-feature attribute dicts for the kept source indexes."""
    picked = [[column[i] for i in keep] for column in columns]
    return (
        [dict(zip(names, values, strict=True)) for values in zip(*picked, strict=True)]
        if names
        else [{} for _ in keep]
    )
