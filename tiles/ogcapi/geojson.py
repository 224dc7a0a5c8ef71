"""GeoJSON output, streamed: PostGIS writes each geometry (reprojected there), Python only
joins the pieces, so memory stays flat however many features a page holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib.gis.db.models.functions import AsGeoJSON, GeoFunc, Transform
from django.db.models import QuerySet

from planning.models import Feature, PublicId
from tiles.feature_types import VALUE_COLUMNS, Property
from tiles.params import GEOGRAPHIC_SRIDS, Crs

CHUNK_BYTES = 64 * 1024
ITERATOR_CHUNK = 2000


class FlipCoordinates(GeoFunc):
    """ST_FlipCoordinates: latitude-first output for EPSG:4326/4756 given as URIs."""

    arity = 1


def geometry_json(crs: Crs) -> AsGeoJSON:
    """The geometry as GeoJSON text in `crs`, computed by PostGIS (VN-2000 shift included)."""
    expression: Any = "geom"
    if crs.srid != settings.PLANNING_STORAGE_SRID:
        expression = Transform("geom", crs.srid)
    if not crs.lon_lat_order:
        expression = FlipCoordinates(expression)
    precision = 8 if crs.srid in GEOGRAPHIC_SRIDS else 3
    return AsGeoJSON(expression, precision=precision)


def rows(selection: QuerySet[Feature], crs: Crs) -> QuerySet[Any, Any]:
    """Each feature's public id (planning.models.PublicId), properties and geometry; its
    project code and revision number come from its own revision, joined in the query."""
    columns = ("fid", *VALUE_COLUMNS, "geojson")
    return selection.annotate(geojson=geometry_json(crs), fid=PublicId()).values(*columns)


def public_properties(row: dict[str, Any], properties: list[Property]) -> dict[str, Any]:
    """The feature's published properties (tiles.feature_types.properties_of) under their
    published names: the same names as the queryables and WFS. What it has no value for is
    left out, as the collection's feature schema says."""
    row_values = [row[column] for column in VALUE_COLUMNS]
    values = (p.value(*row_values) for p in properties)
    return {p.name: value for p, value in zip(properties, values, strict=True) if value is not None}


def feature_bytes(row: dict[str, Any], properties: list[Property]) -> bytes:
    values = json.dumps(public_properties(row, properties), ensure_ascii=False)
    geometry = row["geojson"] or "null"
    return (
        f'{{"type":"Feature","id":{int(row["fid"])},"geometry":{geometry},"properties":{values}}}'
    ).encode()


def feature_document(
    row: dict[str, Any], properties: list[Property], links: list[dict[str, str]]
) -> bytes:
    document = json.loads(feature_bytes(row, properties))
    document["links"] = links
    return json.dumps(document, ensure_ascii=False).encode()


def time_stamp() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def stream_collection(
    head: dict[str, Any], features: Iterable[dict[str, Any]], properties: list[Property]
) -> Iterator[bytes]:
    """{"type": "FeatureCollection", <head>, "features": [...], "numberReturned": n}."""
    opening = json.dumps({"type": "FeatureCollection", **head}, ensure_ascii=False)
    buffer = bytearray(opening[:-1].encode() + b',"features":[')
    returned = 0
    for row in features:
        if returned:
            buffer += b","
        buffer += feature_bytes(row, properties)
        returned += 1
        if len(buffer) >= CHUNK_BYTES:
            yield bytes(buffer)
            buffer.clear()
    buffer += f'],"numberReturned":{returned}}}'.encode()
    yield bytes(buffer)


def page(rows_: QuerySet[Any, Any], offset: int, limit: int) -> Iterator[dict]:
    """One page of rows from a server-side cursor."""
    return rows_[offset : offset + limit].iterator(chunk_size=ITERATOR_CHUNK)
