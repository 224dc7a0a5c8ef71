"""The WMS requests the Django views answer before (or instead of) MapProxy.

- GetCapabilities: MapProxy's document, amended (tiles.wms_capabilities).
- GetMap: always checked first (tiles.wms_request); with TIME, or for a signed-in caller
  (who also sees their drafts), rendered directly with Mapnik (tiles.wms_render) and
  never through the shared cache; otherwise left to MapProxy (None is returned).
- GetFeatureInfo from PostGIS (tiles.wms_featureinfo) and GetLegendGraphic with Pillow
  (tiles.wms_legend): MapProxy's Mapnik source can answer neither.
- Any other REQUEST (none, DescribeLayer, WMS 1.0's `map` …) is refused here: MapProxy
  would answer it with a 500 (or serve a GetMap it names `map` unchecked).
Every failure is an OGC exception (tiles.wms_exceptions), never a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

from planning.api.auth import is_private, service_user
from planning.errors import PlanningError
from tiles import mount, wms_capabilities, wms_featureinfo, wms_info_formats, wms_legend, wms_render
from tiles.mapproxy_config import public_layer, public_layers
from tiles.wms_exceptions import exception_response
from tiles.wms_request import IMAGE_FORMATS, PNG8, WmsError, parse_map_view, version_of

log = logging.getLogger(__name__)
PRIVATE = "private, no-store"
DIRECT_MAX_AGE = 60  # seconds: direct public renders (TIME, 8-bit PNG) are not cached here


def params_of(request: HttpRequest) -> dict[str, str]:
    """Query parameters with upper-cased names (OGC KVP names are case-insensitive)."""
    return {key.upper(): str(request.GET.get(key, "")) for key in request.GET}


def answer(request: HttpRequest, *, service_implied: bool = False) -> HttpResponseBase | None:
    """The response to a WMS request the server answers itself, or None for MapProxy."""
    params = params_of(request)
    service = params.get("SERVICE", "").upper() or ("WMS" if service_implied else "")
    operation = params.get("REQUEST", "").lower()
    if service != "WMS" and not (service == "" and operation in _HANDLERS):
        return None
    try:
        return _handler(params.get("REQUEST", "").strip())(request, params)
    except PlanningError as exc:
        return exception_response(exc, params)


def _handler(operation: str) -> Handler:
    handler = _HANDLERS.get(operation.lower())
    if handler is not None:
        return handler
    if not operation:
        raise WmsError("REQUEST is required.", "MissingParameterValue", locator="REQUEST")
    offered = ", ".join(_OPERATION_NAMES)
    raise WmsError(
        f"Request {operation[:64]!r} is not supported; offered: {offered}.",
        "OperationNotSupported",
        locator="REQUEST",
    )


def _capabilities(request: HttpRequest, params: dict[str, str]) -> HttpResponseBase:
    service_user(request)  # wrong credentials: 401, as GetMap answers them
    query = request.GET.copy()
    query["SERVICE"] = "WMS"
    result = mount.call(request.META, "/ows", query.urlencode())
    body = b"".join(result.body)
    if result.close is not None:
        result.close()
    content_type = next((v for k, v in result.headers if k.lower() == "content-type"), "")
    if result.status != 200 or "exception" in content_type or b"ServiceException" in body:
        return HttpResponse(body, status=400, content_type=content_type or "text/xml")
    names = {layer.name for layer in public_layers()}
    formats = {"GetMap": IMAGE_FORMATS, "GetFeatureInfo": wms_info_formats.INFO_FORMATS}
    amended = wms_capabilities.amend(body, version_of(params), names, formats)
    return HttpResponse(amended, content_type=content_type)


def _get_map(request: HttpRequest, params: dict[str, str]) -> HttpResponseBase | None:
    user = service_user(request)
    view = parse_map_view(params, user=user)
    # A signed-in caller may name their draft raster with TIME (drawn empty): a public
    # response would tell a shared cache, and so others, that the name exists.
    private = is_private(user) and (view.time is None or bool(view.rasters))
    if view.time is None and not private and view.format != PNG8 and view.style == "default":
        return None  # the public, current map in the default style: MapProxy answers
    image = wms_render.render(view, user if private else None, view.time)
    response = HttpResponse(image, content_type=view.format)
    response["Cache-Control"] = PRIVATE if private else f"public, max-age={DIRECT_MAX_AGE}"
    return response


def _feature_info(request: HttpRequest, params: dict[str, str]) -> HttpResponseBase:
    user = service_user(request)
    view = parse_map_view(params, image=False, user=user)
    info = wms_featureinfo.parse_info_request(
        params, view, wms_info_formats.INFO_FORMATS, user=user
    )
    hits = wms_featureinfo.find(info, user, view.time)
    hits += wms_featureinfo.raster_hits(info, user, view.time)
    body, content_type = wms_info_formats.formatter(info.info_format)(hits)
    if info.info_format in wms_featureinfo.GML_FORMATS:
        content_type = f"{info.info_format}; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    if is_private(user):
        response["Cache-Control"] = PRIVATE
    return response


def _legend(request: HttpRequest, params: dict[str, str]) -> HttpResponseBase:
    service_user(request)  # wrong credentials: 401, as GetMap answers them
    name = params.get("LAYER", "").strip()
    layer = public_layer(name)
    if layer is None:
        raise WmsError(f"Unknown layer {name[:64]!r}.", "LayerNotDefined", locator="LAYER")
    fmt = params.get("FORMAT", "image/png").strip().lower() or "image/png"
    if fmt != "image/png":
        raise WmsError(
            "GetLegendGraphic is offered as image/png only.", "InvalidFormat", locator="FORMAT"
        )
    language = "en" if params.get("LANGUAGE", "").lower().startswith("en") else "vi"
    rows = wms_legend.entries(layer.kinds, language)
    transparent = params.get("TRANSPARENT", "TRUE").upper() != "FALSE"
    response = HttpResponse(wms_legend.png(rows, transparent=transparent), content_type=fmt)
    response["Cache-Control"] = "public, max-age=300"
    return response


Handler = Callable[[HttpRequest, dict[str, str]], HttpResponseBase | None]
_OPERATION_NAMES = ("GetCapabilities", "GetMap", "GetFeatureInfo", "GetLegendGraphic")
_HANDLERS: dict[str, Handler] = {
    "getcapabilities": _capabilities,
    "getmap": _get_map,
    "getfeatureinfo": _feature_info,
    "getlegendgraphic": _legend,
}
