"""HTTP views of /ogcapi: each translates a request into calls of the core modules and
their result into a JSON, GeoJSON or HTML response, in a few lines."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from planning.api.auth import is_private, service_user
from planning.errors import InvalidInput
from tiles.feature_types import Property, properties_of
from tiles.generation import current_generation
from tiles.ogcapi import documents, geojson, items
from tiles.ogcapi.negotiation import (
    GEOJSON_TYPE,
    HTML,
    OPENAPI_TYPE,
    cache_headers,
    choose_format,
    document_response,
    etag_of,
    handles_errors,
    json_bytes,
    not_modified,
    problem,
)
from tiles.ogcapi.openapi import openapi_document
from tiles.templatetags.ogcapi_tags import shown

# Bump with any change of what items hold: it keys their ETag, which the body does not (they
# are streamed), so a client never revalidates an older release's page as unchanged.
# 2: `project` and `revision`.
ITEMS_VARIANT = "items2"


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("tiles:ogcapi:landing"))


def _params(request: HttpRequest) -> dict[str, str]:
    return {key: request.GET[key] for key in request.GET}


def _only(request: HttpRequest, allowed: set[str]) -> None:
    unknown = [k for k in request.GET if k not in allowed]
    if unknown:
        raise InvalidInput(f"Unknown query parameter: {unknown[0][:64]}.")


def _answer(
    request: HttpRequest, user: Any, document: dict, template: str, media_type: str
) -> HttpResponseBase:
    """The document as JSON or through its HTML template, with the caching headers."""
    if choose_format(request) == HTML:
        html = render(request, template, {"doc": document, "base": _base(request)})
        return document_response(request, user, html.content, "text/html; charset=utf-8")
    return document_response(request, user, json_bytes(document), media_type)


@require_safe
@handles_errors
def landing(request: HttpRequest) -> HttpResponseBase:
    _only(request, {"f"})
    doc = documents.landing(_base(request), choose_format(request))
    return _answer(request, service_user(request), doc, "ogcapi/landing.html", "application/json")


@require_safe
@handles_errors
def conformance(request: HttpRequest) -> HttpResponseBase:
    _only(request, {"f"})
    doc = documents.conformance()
    user = service_user(request)
    return _answer(request, user, doc, "ogcapi/conformance.html", "application/json")


@require_safe
@handles_errors
def api(request: HttpRequest) -> HttpResponseBase:
    _only(request, {"f"})
    doc = openapi_document(_base(request))
    return _answer(request, service_user(request), doc, "ogcapi/api.html", OPENAPI_TYPE)


@require_safe
@handles_errors
def collections(request: HttpRequest) -> HttpResponseBase:
    _only(request, {"f"})
    user = service_user(request)
    doc = documents.collections(_base(request), user, choose_format(request))
    return _answer(request, user, doc, "ogcapi/collections.html", "application/json")


@require_safe
@handles_errors
def collection(request: HttpRequest, collection_id: str) -> HttpResponseBase:
    _only(request, {"f"})
    user = service_user(request)
    ftype = documents.find_collection(collection_id, user)
    doc = documents.collection(_base(request), ftype, user, choose_format(request))
    return _answer(request, user, doc, "ogcapi/collection.html", "application/json")


@require_safe
@handles_errors
def queryables(request: HttpRequest, collection_id: str) -> HttpResponseBase:
    return _schema(request, collection_id, documents.queryables, "ogcapi/queryables.html")


@require_safe
@handles_errors
def sortables(request: HttpRequest, collection_id: str) -> HttpResponseBase:
    return _schema(request, collection_id, documents.sortables, "ogcapi/sortables.html")


@require_safe
@handles_errors
def feature_schema(request: HttpRequest, collection_id: str) -> HttpResponseBase:
    return _schema(request, collection_id, documents.feature_schema, "ogcapi/feature_schema.html")


def _schema(request: HttpRequest, collection_id: str, build, template: str) -> HttpResponseBase:
    """A JSON Schema of one visible collection, built by `build(base, ftype, user)`."""
    _only(request, {"f"})
    user = service_user(request)
    ftype = documents.find_collection(collection_id, user)
    doc = build(_base(request), ftype, user)
    return _answer(request, user, doc, template, "application/schema+json")


@require_safe
@handles_errors
def items_view(request: HttpRequest, collection_id: str) -> HttpResponseBase:
    user = service_user(request)
    fmt = choose_format(request)
    params = _params(request)
    at = items.instant(params)
    ftype = items.items_collection(collection_id, user, at)
    properties = properties_of(ftype, user, at)
    query = items.parse_items_query(params, properties, at)
    etag = None
    if not is_private(user):
        # The HTML page is in the reader's language: two languages, two tags.
        etag = etag_of(
            current_generation(), ITEMS_VARIANT, request.get_full_path(), fmt, get_language()
        )
        unchanged = not_modified(request, etag)
        if unchanged is not None:
            return cache_headers(unchanged, user, etag)
    selection = items.select(ftype, user, query)
    matched = items.count(selection)
    url = f"{_base(request)}collections/{ftype.name}/items"
    head = {
        "numberMatched": matched,
        "timeStamp": geojson.time_stamp(),
        "links": items.page_links(url, params, query, matched, fmt),
    }
    rows = geojson.page(geojson.rows(selection, query.crs), query.offset, query.limit)
    if fmt == HTML:
        context = {
            "ftype": ftype,
            "head": head,
            "features": _html_rows(rows, properties),
            "base": url[: -len(f"collections/{ftype.name}/items")],
        }
        response: HttpResponseBase = render(request, "ogcapi/items.html", context)
    else:
        response = StreamingHttpResponse(
            geojson.stream_collection(head, rows, properties), content_type=GEOJSON_TYPE
        )
    response["Content-Crs"] = f"<{query.crs.uri()}>"
    return cache_headers(response, user, etag)


def _html_rows(rows: Any, properties: list[Property]) -> list[dict[str, Any]]:
    """The rows for the HTML pages, values as the reader reads them (ogcapi_tags.shown)."""
    typed = {p.name: p for p in properties}
    return [
        {
            "id": r["fid"],
            "properties": {
                name: shown(value, typed.get(name))
                for name, value in geojson.public_properties(r, properties).items()
            },
        }
        for r in rows
    ]


@require_safe
@handles_errors
def item_view(request: HttpRequest, collection_id: str, feature_id: str) -> HttpResponseBase:
    _only(request, {"f", "crs"})
    user = service_user(request)
    fmt = choose_format(request)
    ftype = documents.find_collection(collection_id, user)
    crs = items.output_crs(_params(request))
    row = geojson.rows(items.one_feature(ftype, user, feature_id), crs).get()
    properties = properties_of(ftype, user)
    url = f"{_base(request)}collections/{ftype.name}/items/{row['fid']}"
    links = [
        *documents.self_links(url, fmt, GEOJSON_TYPE),
        documents.link(f"{_base(request)}collections/{ftype.name}", "collection",
                       "application/json"),
    ]  # fmt: skip
    if fmt == HTML:
        context = {"ftype": ftype, "feature": _html_rows([row], properties)[0], "links": links,
                   "base": _base(request)}  # fmt: skip
        body = render(request, "ogcapi/item.html", context).content
        response = document_response(request, user, body, "text/html; charset=utf-8")
    else:
        body = geojson.feature_document(row, properties, links)
        response = document_response(request, user, body, GEOJSON_TYPE)
    response["Content-Crs"] = f"<{crs.uri()}>"
    return response


def not_found(request: HttpRequest) -> HttpResponse:
    """Unknown paths under /ogcapi answer with a problem document, not an HTML page."""
    return problem(404, "NotFound", "No such resource.")
