"""Bulk load of prepared features into PostGIS with COPY, inside the caller's transaction.

Rows are serialised to COPY text format in large chunks rather than row by row: at
200,000 features the per-row protocol calls cost more than PostgreSQL's own work.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import orjson
from django.db import connection
from psycopg.copy import QueuedLibpqWriter

COPY_SQL = (
    "COPY planning_feature (layer_id, geom, geom_3d, attributes, category, source_ref) FROM STDIN"
)
CHUNK_ROWS = 5000
NULL = "\\N"
_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]")
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


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
    return len(wkb)


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
