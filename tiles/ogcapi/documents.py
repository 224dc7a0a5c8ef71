"""The metadata documents of the OGC API: landing page, conformance, collections.

Pure functions of the base URL and the caller: no HTTP here. The collections are the
feature types of `tiles.feature_types` (one registry for WFS, OGC API and vector tiles):
every published kind, empty or not, and a project's collections only for those who may
see a feature of it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Min

from planning.crs import offered_srids
from planning.errors import NotFound
from planning.models import Layer, RevisionState
from tiles.datasource import Bbox
from tiles.feature_types import (
    FeatureType,
    Property,
    extent_fallback,
    feature_type,
    feature_types,
    properties_of,
    type_extent_wgs84,
)
from tiles.params import CRS84, Crs

TITLE = "Planning data: OGC API Features"
_CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
_CQL2 = "http://www.opengis.net/spec/cql2/1.0/conf/"
CONFORMANCE = [
    _CORE + "core",
    _CORE + "geojson",
    _CORE + "html",
    _CORE + "oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    _CQL2 + "cql2-text",
    _CQL2 + "cql2-json",
    _CQL2 + "basic-cql2",
    _CQL2 + "basic-spatial-functions",
    _CQL2 + "basic-spatial-functions-plus",
    _CQL2 + "spatial-functions",
]
COLLECTION_NOT_FOUND = "Collection not found."


def link(href: str, rel: str, media_type: str, title: str = "") -> dict[str, str]:
    result = {"href": href, "rel": rel, "type": media_type}
    if title:
        result["title"] = title
    return result


def self_links(url: str, fmt: str, media_type: str = "application/json") -> list[dict[str, str]]:
    """`self` in the format served, `alternate` in the other one."""
    as_json = link(f"{url}?f=json", "self" if fmt == "json" else "alternate", media_type)
    as_html = link(f"{url}?f=html", "self" if fmt == "html" else "alternate", "text/html")
    return [as_json, as_html] if fmt == "json" else [as_html, as_json]


def landing(base: str, fmt: str) -> dict[str, Any]:
    return {
        "title": TITLE,
        "description": "Land-use plans in force, and drafts for signed-in members.",
        "links": [
            *self_links(base, fmt),
            link(f"{base}api", "service-desc", "application/vnd.oai.openapi+json;version=3.0"),
            link(f"{base}api?f=html", "service-doc", "text/html"),
            link(f"{base}conformance", "conformance", "application/json"),
            link(f"{base}collections", "data", "application/json"),
        ],
    }


def conformance() -> dict[str, Any]:
    return {"conformsTo": CONFORMANCE}


def crs_list() -> list[str]:
    """CRS84 first (the default), then every offered CRS as an OGC URI."""
    uris = [CRS84, *(Crs(srid, lon_lat_order=False).uri() for srid in offered_srids())]
    return list(dict.fromkeys(uris))


def storage_crs() -> str:
    return Crs(settings.PLANNING_STORAGE_SRID, lon_lat_order=False).uri()


def collections(base: str, user: Any, fmt: str) -> dict[str, Any]:
    fallback = extent_fallback(user)  # empty collections share it: one query, not one each
    return {
        "links": self_links(f"{base}collections", fmt),
        "collections": [
            collection(base, ftype, user, fallback=fallback) for ftype in feature_types(user)
        ],
        "crs": crs_list(),
    }


def find_collection(name: str, user: Any) -> FeatureType:
    """The visible collection, or 404 whether it does not exist or is private."""
    ftype = feature_type(name, user)
    if ftype is None:
        raise NotFound(COLLECTION_NOT_FOUND)
    return ftype


def history_start(ftype: FeatureType) -> datetime | None:
    """The first moment a plan with features of this collection was in force: `datetime`
    queries reach back to it, superseded plans included (history is public, as WMS TIME)."""
    layers = Layer.objects.filter(
        kind=ftype.kind,
        revision__state__in=[RevisionState.APPROVED, RevisionState.SUPERSEDED],
        revision__approved_at__isnull=False,
    )
    if ftype.project_code:
        layers = layers.filter(revision__project__code=ftype.project_code)
    return layers.aggregate(start=Min("revision__approved_at"))["start"]


def collection(
    base: str,
    ftype: FeatureType,
    user: Any,
    fmt: str = "json",
    fallback: Callable[[], Bbox] | None = None,
) -> dict[str, Any]:
    url = f"{base}collections/{ftype.name}"
    box = type_extent_wgs84(ftype, user, fallback)
    first = history_start(ftype)
    start = first.isoformat().replace("+00:00", "Z") if first else None
    return {
        "id": ftype.name,
        "title": ftype.title,
        "itemType": "feature",
        "extent": {
            "spatial": {"bbox": [list(box)], "crs": CRS84},
            "temporal": {
                "interval": [[start, None]],
                "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
            },
        },
        "crs": crs_list(),
        "storageCrs": storage_crs(),
        "links": [
            *self_links(url, fmt),
            link(f"{url}/items?f=json", "items", "application/geo+json"),
            link(f"{url}/items?f=html", "items", "text/html"),
            link(f"{url}/queryables", "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                 "application/schema+json"),
            link(f"{url}/sortables", "http://www.opengis.net/def/rel/ogc/1.0/sortables",
                 "application/schema+json"),
            # The registered spelling, and the one GDAL before 3.7 or so matches exactly.
            *(link(f"{url}/schemas/feature", rel, "application/schema+json",
                   "JSON Schema of the features") for rel in ("describedby", "describedBy")),
        ],
    }  # fmt: skip


_JSON_TYPES = {"datetime": ("string", "date-time"), "integer": ("integer", None)}
_GEOMETRY = {"$ref": "https://geojson.org/schema/Geometry.json"}


def _schema_head(base: str, ftype: FeatureType, path: str) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": f"{base}collections/{ftype.name}/{path}",
        "type": "object",
        "title": ftype.title,
    }


def _property_schema(prop: Property) -> dict[str, Any]:
    json_type, json_format = _JSON_TYPES.get(prop.type, (prop.type, None))
    schema: dict[str, Any] = {"type": json_type, "title": prop.name}
    if json_format:
        schema["format"] = json_format
    if prop.description:
        schema["description"] = prop.description
    return schema


def queryables(base: str, ftype: FeatureType, user: Any) -> dict[str, Any]:
    """The JSON Schema of what `filter` and property parameters may name."""
    properties: dict[str, Any] = {"geometry": _GEOMETRY}
    for prop in properties_of(ftype, user):
        properties[prop.name] = _property_schema(prop)
    return {
        **_schema_head(base, ftype, "queryables"),
        "properties": properties,
        "additionalProperties": False,
    }


def sortables(base: str, ftype: FeatureType, user: Any) -> dict[str, Any]:
    """The JSON Schema of what `sortby` may name: the queryables but the geometry."""
    return {
        **_schema_head(base, ftype, "sortables"),
        "properties": {prop.name: _property_schema(prop) for prop in properties_of(ftype, user)},
        "additionalProperties": False,
    }


def feature_schema(base: str, ftype: FeatureType, user: Any) -> dict[str, Any]:
    """The JSON Schema of one GeoJSON feature of the collection (its `describedby`).

    Every published property the caller may see is listed with its type, so a client that
    fixes a layer's fields before reading (GDAL's OAPIF driver) knows those the first page
    of items lacks. A feature leaves out the properties it has no value for."""
    properties = {prop.name: _property_schema(prop) for prop in properties_of(ftype, user)}
    return {
        **_schema_head(base, ftype, "schemas/feature"),
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "integer"},
            "geometry": {"oneOf": [{"type": "null"}, _GEOMETRY]},
            "properties": {
                "type": "object",
                "properties": properties,
                "additionalProperties": False,
            },
        },
    }
