"""The WFS endpoint (/wfs, and /ows?SERVICE=WFS): KVP GET and XML POST.

The view parses the request, asks service_user who is calling, runs one operation and
renders errors as OGC exception reports (never a 500 for bad input). GetFeature bodies
are streamed.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from planning.api.auth import is_private, service_user
from planning.errors import PlanningError
from tiles.feature_types import VALUE_COLUMNS, Property, feature_types
from tiles.params import CRS84, parse_crs
from tiles.wfs import output, schema, stored
from tiles.wfs.capabilities import capabilities
from tiles.wfs.errors import WfsError, exception_report, operation_not_supported
from tiles.wfs.profiles import PREFIX, PROFILES, Profile, output_format
from tiles.wfs.query import Selection, resolve_type, select, storage_crs, wfs_properties
from tiles.wfs.request import WfsRequest, from_kvp, from_xml

XML = "application/xml; charset=UTF-8"


def _params(request: HttpRequest) -> dict[str, str]:
    source = request.POST if request.method == "POST" else request.GET
    return {key.upper(): str(source.get(key, "")) for key in source}


def _parse(request: HttpRequest) -> WfsRequest:
    if request.method == "POST" and request.body.lstrip()[:1] == b"<":
        return from_xml(request.body)
    params = _params(request)
    if params.get("SERVICE", "WFS").upper() != "WFS":
        raise WfsError("SERVICE must be WFS.", locator="service")
    return from_kvp(params)


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def wfs(request: HttpRequest) -> HttpResponseBase:
    """Every WFS operation; errors become exception reports with their status."""
    version = _params(request).get("VERSION", "2.0.0")
    user = AnonymousUser()
    try:
        parsed = _parse(request)
        version = parsed.version
        user = service_user(request)
        response = HANDLERS[parsed.operation](parsed, user, request)
    except PlanningError as exc:
        response = exception_report(exc, version)
    if is_private(user):
        response["Cache-Control"] = "private, no-store"
    return response


def _url(request: HttpRequest) -> str:
    return request.build_absolute_uri(request.path)


def get_capabilities(parsed: WfsRequest, user, request: HttpRequest) -> HttpResponse:
    profile = PROFILES[parsed.version]
    body = capabilities(profile, feature_types(user), user, _url(request))
    return HttpResponse(body, content_type=XML if profile.is_v2 else "text/xml; charset=UTF-8")


def describe_feature_type(parsed: WfsRequest, user, request: HttpRequest) -> HttpResponse:
    profile = PROFILES[parsed.version]
    if parsed.output_format and "json" in parsed.output_format.lower():
        raise WfsError("DescribeFeatureType answers in XML Schema.", locator="outputFormat")
    names = parsed.query.type_names or [t.name for t in feature_types(user)]
    types = [resolve_type(name, user) for name in dict.fromkeys(names)]
    body = schema.describe([(t, wfs_properties(t, user)) for t in types], profile)
    return HttpResponse(body, content_type=schema.describe_content_type(profile))


def _page_url(request: HttpRequest, start: int) -> str | None:
    if request.method == "POST":
        return None
    query = request.GET.copy()
    for key in [k for k in query if k.upper() == "STARTINDEX"]:
        del query[key]
    query["STARTINDEX"] = str(start)
    return f"{_url(request)}?{query.urlencode()}"


def get_feature(parsed: WfsRequest, user, request: HttpRequest) -> HttpResponseBase:
    profile = PROFILES[parsed.version]
    encoding = output_format(profile, parsed.output_format)
    selection = select(parsed, user)
    matched = selection.features.count()
    returned = 0 if parsed.hits else max(0, min(selection.limit, matched - selection.offset))
    end = selection.offset + returned
    paged = not parsed.hits and (profile.is_v2 or encoding == "geojson")
    next_url = _page_url(request, end) if paged and end < matched else None
    # The page before, as WFS 2.0's `previous` and OGC API's `prev` (QA walk: only `next`).
    back = max(0, selection.offset - selection.limit)
    previous_url = _page_url(request, back) if paged and selection.offset > 0 else None
    stamp = timezone.now().isoformat(timespec="seconds")
    if encoding == "geojson":
        crs = selection.crs or parse_crs(CRS84)
        pages = (next_url, previous_url)
        body = _geojson(selection, crs, matched, returned, stamp, pages, parsed.hits)
        return StreamingHttpResponse(body, content_type="application/geo+json")
    crs = selection.crs or storage_crs()
    schema_url = (
        f"{_url(request)}?SERVICE=WFS&VERSION={profile.version}"
        f"&REQUEST=DescribeFeatureType&TYPENAMES={PREFIX}:{selection.ftype.name}"
    )
    header = output.gml_header(
        profile, matched, returned, stamp, schema_url, next_url, previous_url
    )
    body = _gml(selection, profile, crs, header, parsed.hits)
    return StreamingHttpResponse(body, content_type=f"{profile.gml_format}; charset=UTF-8")


def _geojson(
    selection: Selection,
    crs,
    matched: int,
    returned: int,
    stamp: str,
    pages: tuple[str | None, str | None],
    hits: bool,
) -> Iterator[bytes]:
    yield output.geojson_header(matched, returned, stamp, selection.crs and crs).encode()
    if not hits:
        yield from output.geojson_features(selection, crs)
    yield output.geojson_footer(*pages).encode()


def _gml(selection: Selection, profile: Profile, crs, header: str, hits: bool) -> Iterator[bytes]:
    yield header.encode()
    if not hits:
        yield from output.gml_members(selection, profile, crs)
    yield b"</wfs:FeatureCollection>"


def get_property_value(parsed: WfsRequest, user, request: HttpRequest) -> HttpResponseBase:
    profile = PROFILES[parsed.version]
    if not profile.is_v2:
        raise operation_not_supported("GetPropertyValue")
    reference = (parsed.value_reference or "").strip().rpartition(":")[2]
    if not reference:
        raise WfsError(
            "VALUEREFERENCE is required.", code="MissingParameterValue", locator="valueReference"
        )
    parsed.query.property_names = [reference]
    selection = select(parsed, user)
    prop = next((p for p in selection.properties if p.name == reference), None)
    if prop is None:
        raise WfsError(f"Unknown property {reference[:64]!r}.", locator="valueReference")
    matched = selection.features.count()
    returned = max(0, min(selection.limit, matched - selection.offset))
    stamp = timezone.now().isoformat(timespec="seconds")
    return StreamingHttpResponse(
        _values(selection, profile, prop, matched, returned, stamp), content_type=XML
    )


def _values(
    selection: Selection,
    profile: Profile,
    prop: Property,
    matched: int,
    returned: int,
    stamp: str,
) -> Iterator[bytes]:
    yield (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<wfs:ValueCollection xmlns:wfs="{profile.wfs}" '
        f'timeStamp="{stamp}" numberMatched="{matched}" numberReturned="{returned}">'
    ).encode()
    rows = output.rows(selection, *VALUE_COLUMNS)
    parts = (
        f"<wfs:member>{output.value_text(prop.value(*row), prop.type) or ''}</wfs:member>"
        for row in rows
    )
    yield from output.batched(parts)
    yield b"</wfs:ValueCollection>"


def list_stored_queries(parsed: WfsRequest, user, request: HttpRequest) -> HttpResponse:
    names = [t.name for t in feature_types(user)]
    return HttpResponse(stored.list_stored_queries(names), content_type=XML)


def describe_stored_queries(parsed: WfsRequest, user, request: HttpRequest) -> HttpResponse:
    names = [t.name for t in feature_types(user)]
    ids = parsed.stored_query_ids or [stored.GET_FEATURE_BY_ID]
    return HttpResponse(stored.describe_stored_queries(ids, names), content_type=XML)


HANDLERS = {
    "GetCapabilities": get_capabilities,
    "DescribeFeatureType": describe_feature_type,
    "GetFeature": get_feature,
    "GetPropertyValue": get_property_value,
    "ListStoredQueries": list_stored_queries,
    "DescribeStoredQueries": describe_stored_queries,
}
