"""HTTP views of the public map services: thin adapters around MapProxy and the legend.

Each view only translates the Django request into a MapProxy path (or a legend call)
and the result into a response. Requests are checked first (tiles.wms_extras,
tiles.wmts_request), so what MapProxy would answer with a 500 (an unknown REQUEST, letters
in a tile index) is a 400 exception report of the service's format. MapProxy's own exception
reports are passed through, as 400 when they name a client error and 500 otherwise.
"""

from __future__ import annotations

from django.conf import settings
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from lxml import etree

from planning.api.auth import service_user
from planning.errors import NotAuthenticated, PlanningError
from planning.login_limits import TooManyAttempts
from tiles import http_cache, mount, service_area, wms_exceptions, wms_extras, wmts_request
from tiles import legend as legend_core
from tiles.generation import in_force_state
from tiles.mapproxy_config import public_layer
from tiles.wfs import views as wfs_views
from tiles.wms_request import version_of

TILE_MAX_AGE = 300  # seconds: tile URLs outlive generations, so keep browser caching short
RASTER_VARIANT = "png"  # ETag suffix: the raster tiles' encoding
CLIENT_ERROR_CODES = {
    "LayerNotDefined",
    "StyleNotDefined",
    "InvalidFormat",
    "InvalidCRS",
    "InvalidSRS",
    "InvalidPoint",
    "InvalidParameterValue",
    "MissingParameterValue",
    "OperationNotSupported",
    "InvalidDimensionValue",
    "TileOutOfRange",
    "LayerNotQueryable",
    "CurrentUpdateSequence",
    "InvalidUpdateSequence",
}
# MapProxy reports these client mistakes without a code (so 500): by their opening words.
CLIENT_ERROR_MESSAGES = (
    "missing parameters",
    "unknown wms request type",
    "unknown wmts request type",
    "invalid bbox",
    "unsupported ",
    "unknown layer",
    "unknown tilematrixset",
    "unknown infoformat",
    "unknown dimension",
    "invalid format",
)
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade"}


def _client_error_status(result: mount.WsgiResponse) -> tuple[int, list[bytes] | None]:
    """MapProxy answers some client mistakes (unknown layer, bad CRS) with 500; make them 400.

    Only error responses are buffered (they are small); the OGC exception code decides, or
    for a report without one, MapProxy's wording of a request error. Anything else (a
    source or rendering failure) stays a 500.
    """
    content_type = next((v for k, v in result.headers if k.lower() == "content-type"), "")
    if result.status < 500 or "xml" not in content_type:
        return result.status, None
    body = list(result.body)
    if result.close is not None:
        result.close()
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        root = etree.fromstring(b"".join(body), parser)
    except etree.XMLSyntaxError:
        return result.status, body
    codes = {el.get("code") or el.get("exceptionCode") for el in root.iter()}
    return (400 if codes & CLIENT_ERROR_CODES or _names_client_error(root) else result.status), body


def _names_client_error(root: etree._Element) -> bool:
    texts = ((el.text or "").strip().lower() for el in root.iter() if not len(el))
    return any(text.startswith(CLIENT_ERROR_MESSAGES) for text in texts)


def _relay(result: mount.WsgiResponse, *, tile: bool = False) -> StreamingHttpResponse:
    """A Django response streaming MapProxy's body with its status and headers."""
    status, buffered = _client_error_status(result)
    response = StreamingHttpResponse(
        buffered if buffered is not None else result.body, status=status
    )
    for name, value in result.headers:
        if name.lower() not in _HOP_BY_HOP:
            response[name] = value
    if tile and result.status == 200:
        response["Cache-Control"] = f"public, max-age={TILE_MAX_AGE}"
    return response


def _wmts_capabilities(result: mount.WsgiResponse) -> HttpResponseBase:
    """MapProxy's WMTS capabilities, relayed without the operation it cannot serve."""
    if result.status != 200:
        return _relay(result)
    body = b"".join(result.body)
    if result.close is not None:
        result.close()
    response = HttpResponse(wmts_request.without_feature_info(body), status=200)
    for name, value in result.headers:
        if name.lower() not in _HOP_BY_HOP | {"content-length"}:
            response[name] = value
    return response


def _refused_credentials(request: HttpRequest) -> PlanningError | None:
    """The error of credentials sent but wrong (or locked out), as every service answers
    them: a typo in QGIS must not list layers anonymously, then fail every map."""
    if not request.META.get("HTTP_AUTHORIZATION"):
        return None  # the tile path stays free of session lookups
    try:
        service_user(request)
    except (NotAuthenticated, TooManyAttempts) as exc:
        return exc
    return None


def _wmts_refusal(request: HttpRequest) -> HttpResponse | None:
    refused = _refused_credentials(request)
    if refused is None:
        return None
    response = wmts_request.report(refused)
    if refused.status == 401:
        response["WWW-Authenticate"] = 'Basic realm="planning"'
    return response


def _wmts(
    request: HttpRequest, params: dict[str, str], query: str | None = None
) -> HttpResponseBase:
    """A checked WMTS KVP request answered by MapProxy."""
    error = _wmts_refusal(request) or _wmts_error(params)
    if error:
        return error
    result = mount.call(request.META, "/ows", query)
    if params.get("REQUEST", "").strip().lower() == "getcapabilities":
        return _wmts_capabilities(result)
    return _relay(result)


def _params(request: HttpRequest) -> dict[str, str]:
    """Query parameters with upper-cased names (OGC KVP names are case-insensitive)."""
    return {key.upper(): str(request.GET.get(key, "")) for key in request.GET}


def _size_error(request: HttpRequest) -> HttpResponseBase | None:
    """An OGC exception when a GetMap asks for more than PLANNING_WMS_MAX_SIZE pixels a side."""
    params = _params(request)
    if params.get("REQUEST", "").lower() != "getmap":
        return None
    limit = settings.PLANNING_WMS_MAX_SIZE
    for name in ("WIDTH", "HEIGHT"):
        value = params.get(name, "")
        if value.isdigit() and int(value) > limit:
            return wms_exceptions.report(
                f"{name} must not exceed {limit}",
                "InvalidParameterValue",
                params.get("VERSION", "1.3.0"),
                locator=name,
            )
    return None


def _wmts_error(params: dict[str, str]) -> HttpResponse | None:
    """The exception report of a WMTS KVP request MapProxy could not parse, else None."""
    try:
        wmts_request.check_kvp(params)
    except wmts_request.WmtsError as exc:
        return wmts_request.report(exc)
    return None


def _other_service(params: dict[str, str], implied: str) -> bool:
    """Whether an alias URL (/wms, /wmts) names another SERVICE than its own."""
    service = params.get("SERVICE", "").strip().upper()
    return bool(service) and service != implied


def _with_service(request: HttpRequest, service: str) -> str:
    """The query string, with SERVICE added when an alias URL implies it."""
    query = request.GET.copy()
    if not any(key.upper() == "SERVICE" for key in query):
        query["SERVICE"] = service
    return query.urlencode()


@csrf_exempt
def ows(request: HttpRequest) -> HttpResponseBase:
    """WMS and WMTS KVP, dispatched by MapProxy on the SERVICE parameter; WFS (GET and
    POST) goes to the WFS view."""
    service = _params(request).get("SERVICE", "").upper()
    if service == "WFS":
        return wfs_views.wfs(request)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    if service == "WMTS":
        return _wmts(request, _params(request))
    extra = wms_extras.answer(request)
    return extra or _size_error(request) or _relay(mount.call(request.META, "/ows"))


@require_safe
def wms(request: HttpRequest) -> HttpResponseBase:
    """WMS alias: SERVICE=WMS is implied."""
    params = _params(request)
    if _other_service(params, "WMS"):
        message = "SERVICE must be WMS here (or omitted)."
        return wms_exceptions.report(
            message, "InvalidParameterValue", version_of(params), locator="SERVICE"
        )
    query = _with_service(request, "WMS")
    extra = wms_extras.answer(request, service_implied=True)
    return extra or _size_error(request) or _relay(mount.call(request.META, "/ows", query))


@require_safe
def wmts_kvp(request: HttpRequest) -> HttpResponseBase:
    """WMTS KVP alias: SERVICE=WMTS is implied."""
    params = _params(request)
    if _other_service(params, "WMTS"):
        message = "SERVICE must be WMTS here (or omitted)."
        return wmts_request.report(wmts_request.WmtsError(message, locator="Service"))
    return _wmts(request, params, _with_service(request, "WMTS"))


@require_safe
def wmts_rest(request: HttpRequest, rest: str) -> HttpResponseBase:
    """WMTS RESTful capabilities and tiles, as MapProxy lays them out under /wmts/."""
    refused = _wmts_refusal(request)
    if refused is not None:
        return refused
    try:
        tile = wmts_request.check_rest(rest)  # ".." is no layer, matrix set or number
    except wmts_request.WmtsError as exc:
        return wmts_request.report(exc)
    if not tile:  # the capabilities: never cached
        return _wmts_capabilities(mount.call(request.META, f"/wmts/{rest}"))
    if service_area.wmts_tile_outside(rest):
        return _blank_tile()
    return _cached_tile(request, f"/wmts/{rest}")


@require_safe
def xyz(request: HttpRequest, layer: str, z: int, x: int, y: int) -> HttpResponseBase:
    """XYZ (GoogleMaps scheme) tiles in web mercator, from the generation's tile cache."""
    refused = _refused_credentials(request)
    if refused is not None:
        response = HttpResponse(refused.message, status=refused.status, content_type="text/plain")
        if refused.status == 401:
            response["WWW-Authenticate"] = 'Basic realm="planning"'
        return response
    if public_layer(layer) is None:
        return HttpResponse(f"unknown layer {layer!r}", status=404, content_type="text/plain")
    if not (0 <= x < 2**z and 0 <= y < 2**z) or z > MAX_XYZ_ZOOM:
        return HttpResponse("tile out of range", status=404, content_type="text/plain")
    if service_area.xyz_outside(z, x, y):
        return _blank_tile()
    path = f"/tiles/{layer}/webmercator/{z}/{x}/{y}.png"
    return _cached_tile(request, path, "")


MAX_XYZ_ZOOM = 19  # the depth of MapProxy's GLOBAL_WEBMERCATOR grid (20 levels)


def _blank_tile() -> HttpResponse:
    """Outside Viet Nam nothing is ever drawn: one shared transparent tile, cacheable."""
    response = HttpResponse(service_area.blank_png(), content_type="image/png")
    response["Cache-Control"] = "public, max-age=86400"
    return response


def _cached_tile(request: HttpRequest, path: str, query: str | None = None) -> HttpResponseBase:
    """A raster tile with HTTP caching (tiles.http_cache): validators of the in-force
    generation, 304 when an anonymous caller's copy is current, private for signed-in."""
    user = http_cache.raster_caller(request)
    state = in_force_state()
    unchanged = http_cache.not_modified(request, user, state, RASTER_VARIANT)
    if unchanged is not None:
        return unchanged
    response = _relay(mount.call(request.META, path, query), tile=True)
    if response.status_code in (200, 304):
        http_cache.set_headers(response, user, state, RASTER_VARIANT, max_age=TILE_MAX_AGE)
    return response


@require_safe
def legend_json(request: HttpRequest, layer: str) -> JsonResponse:
    """The legend of a public layer; ?all=1 lists every catalogue category."""
    complete = request.GET.get("all") in {"1", "true"}
    document = legend_core.legend_document(layer, complete=complete)
    if document is None:
        return JsonResponse({"detail": f"unknown layer {layer!r}"}, status=404)
    return JsonResponse(document, json_dumps_params={"ensure_ascii": False})
