"""Bulk load of prepared features into PostGIS with COPY, inside the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from django.db import connection

COPY_SQL = (
    "COPY planning_feature (layer_id, geom, geom_3d, attributes, category, source_ref) "
    "FROM STDIN"
)


def copy_features(layer_id: int, rows: Iterable[tuple[str, str | None, dict, str, str]]) -> int:
    """Write (ewkb_2d, ewkb_3d, attributes, category, source_ref) rows; returns the count."""
    count = 0
    dumps = json.JSONEncoder(ensure_ascii=False, default=str).encode
    with connection.cursor() as cursor, cursor.cursor.copy(COPY_SQL) as copy:
        for ewkb, ewkb_3d, attributes, category, source_ref in rows:
            copy.write_row((layer_id, ewkb, ewkb_3d, dumps(attributes), category, source_ref))
            count += 1
    return count


def attribute_rows(names: Sequence[str], columns: Sequence[list], keep: Sequence[int]):
    """Per-feature attribute dicts for the kept source indexes."""
    for index in keep:
        yield {name: column[index] for name, column in zip(names, columns, strict=True)}
