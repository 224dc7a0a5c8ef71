"""The OpenAPI 3.0 definition of /ogcapi (hand-built: the views are plain Django views).

Clients read it: GDAL's OAPIF driver takes the page size from the `limit` schema, and
schema-driven fuzzers take every parameter from here.
"""

from __future__ import annotations

from typing import Any

from tiles.ogcapi.documents import crs_list
from tiles.ogcapi.items import DEFAULT_LIMIT, MAX_LIMIT

_PROBLEM = {"$ref": "#/components/responses/Problem"}
_JSON = {"application/json": {"schema": {"type": "object"}}}
_HTML = {"text/html": {"schema": {"type": "string"}}}


def _param(name: str, description: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema, **extra}  # fmt: skip


def _path_param(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "string"}}  # fmt: skip


def _parameters() -> dict[str, Any]:
    crs_schema = {"type": "string", "format": "uri", "enum": crs_list()}
    return {
        "f": _param("f", "Output format (overrides Accept).",
                    {"type": "string", "enum": ["json", "html"]}),
        "bbox": _param("bbox", "minx,miny,maxx,maxy (or six numbers with heights) in bbox-crs.",
                       {"type": "array", "items": {"type": "number"}, "minItems": 4,
                        "maxItems": 6}, style="form", explode=False),
        "bbox-crs": _param("bbox-crs", "CRS of bbox (default CRS84).", crs_schema),
        "crs": _param("crs", "CRS of the returned geometries (default CRS84); the response "
                      "names it in the Content-Crs header.", crs_schema),
        "limit": _param("limit", "Features per page.",
                        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                         "default": DEFAULT_LIMIT}),
        "offset": _param("offset", "Features to skip (paging; follow the next/prev links).",
                         {"type": "integer", "minimum": 0, "default": 0}),
        "datetime": _param(
            "datetime",
            "An RFC 3339 instant or interval. Returns the plans in force at that instant; "
            "for an interval the instant is its end (an interval open at its end means "
            "now). A date alone means the end of that day (UTC).",
            {"type": "string"},
        ),
        "filter": _param("filter", "A CQL2 filter over the queryables.", {"type": "string"}),
        "filter-lang": _param("filter-lang", "Language of filter.",
                              {"type": "string", "enum": ["cql2-text", "cql2-json"],
                               "default": "cql2-text"}),
        "filter-crs": _param("filter-crs", "CRS of the geometry literals in filter.",
                             crs_schema),
        "sortby": _param("sortby", "Sorting: sortables separated by commas, each ascending "
                         "or prefixed with - for descending (sortby=-area,code); features "
                         "without a value come last, ties in id order.",
                         {"type": "array", "items": {"type": "string"}},
                         style="form", explode=False),
        "property": {"name": "properties", "in": "query", "required": False,
                     "description": "Equality on an allow-listed property, "
                     "for example ?code=A1, or ?project=CODE for the features of one "
                     "planning project (see the queryables).",
                     "schema": {"type": "object", "additionalProperties": {"type": "string"}},
                     "style": "form", "explode": True},
        "collectionId": _path_param("collectionId", "A collection id from /collections."),
        "featureId": _path_param("featureId", "A feature id: an unchanged lot keeps it "
                                 "across approvals."),
    }  # fmt: skip


def _operation(op_id: str, summary: str, params: list[str], content: dict[str, Any]) -> dict:
    return {
        "get": {
            "operationId": op_id,
            "summary": summary,
            "parameters": [{"$ref": f"#/components/parameters/{p}"} for p in params],
            "responses": {
                "200": {"description": summary, "content": {**content, **_HTML}},
                "304": {"description": "Not modified (If-None-Match)."},
                "400": _PROBLEM,
                "404": _PROBLEM,
                "406": _PROBLEM,
            },
        }
    }


def _paths() -> dict[str, Any]:
    geojson = {"application/geo+json": {"schema": {"type": "object"}}}
    items_params = ["f", "bbox", "bbox-crs", "crs", "limit", "offset", "datetime", "filter",
                    "filter-lang", "filter-crs", "sortby", "property", "collectionId"]  # fmt: skip
    return {
        "/": _operation("getLandingPage", "Landing page", ["f"], _JSON),
        "/conformance": _operation("getConformance", "Conformance classes", ["f"], _JSON),
        "/api": _operation("getApi", "This API definition", ["f"],
                           {"application/vnd.oai.openapi+json;version=3.0": {}}),
        "/collections": _operation("getCollections", "Collections", ["f"], _JSON),
        "/collections/{collectionId}": _operation(
            "describeCollection", "One collection", ["f", "collectionId"], _JSON),
        "/collections/{collectionId}/queryables": _operation(
            "getQueryables", "Queryable properties (JSON Schema)", ["collectionId"],
            {"application/schema+json": {"schema": {"type": "object"}}}),
        "/collections/{collectionId}/sortables": _operation(
            "getSortables", "Sortable properties (JSON Schema)", ["collectionId"],
            {"application/schema+json": {"schema": {"type": "object"}}}),
        "/collections/{collectionId}/schemas/feature": _operation(
            "getFeatureSchema", "Schema of the features (JSON Schema)", ["f", "collectionId"],
            {"application/schema+json": {"schema": {"type": "object"}}}),
        "/collections/{collectionId}/items": _operation(
            "getFeatures", "Features of a collection", items_params, geojson),
        "/collections/{collectionId}/items/{featureId}": _operation(
            "getFeature", "One feature", ["f", "crs", "collectionId", "featureId"], geojson),
    }  # fmt: skip


def openapi_document(base: str) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Planning data: OGC API Features",
            "version": "1.0.0",
            "description": "Land-use plans in force; signed-in members (Authorization: "
            "Token …, HTTP Basic or session) also see their drafts.",
        },
        "servers": [{"url": base.rstrip("/")}],
        "paths": _paths(),
        "components": {
            "parameters": _parameters(),
            "responses": {
                "Problem": {
                    "description": "An error: {code, description}.",
                    "content": {"application/json": {"schema": {
                        "type": "object",
                        "properties": {"code": {"type": "string"},
                                       "description": {"type": "string"}},
                    }}},
                }
            },
        },
    }  # fmt: skip
