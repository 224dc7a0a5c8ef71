"""Cross-origin reads (CORS) of the public map services, for web maps of other sites.

The plans in force are public, so by default (PLANNING_CORS_ORIGINS=*) a page of any origin
may read WMS, WMTS, XYZ and vector tiles, WFS, OGC API Features, 3D Tiles and legends with
fetch(). Only the service URLs get CORS headers: the web pages, the admin and the REST API
(/api/, session-authenticated and CSRF-protected) stay same-origin.

No Access-Control-Allow-Credentials is ever sent: a session cookie never makes another
site's request readable. A cross-origin client that may see more than the plans in force
sends its API token (or Basic credentials) in the Authorization header, which the
preflight allows.

Every answer on a service URL gets the headers here, errors included (an exception report,
a 401, a 429, a 503), or a browser hides them from the page. MapProxy's own
Access-Control-Allow-Origin is switched off (tiles.mapproxy_config), so this setting
governs its answers too, and any such header a view set is replaced.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.cache import patch_vary_headers

# Where the public services are mounted (tiles/urls.py, threed/urls.py): a prefix matches
# itself and what lies below it ("/wmts" and "/wmts/1.0.0/...", not "/wmtsx").
SERVICE_PREFIXES = (
    "/ows",
    "/wms",
    "/wmts",
    "/wfs",
    "/tiles",
    "/legend",
    "/vtiles",
    "/ogcapi",
    "/3dtiles",
)
# WFS takes XML requests by POST, also through /ows?SERVICE=WFS.
POST_PREFIXES = ("/ows", "/wfs")
READ_METHODS = ("GET", "HEAD", "OPTIONS")
# Credentials, XML POST bodies, revalidation of cached copies, content negotiation.
ALLOW_HEADERS = (
    "Authorization, Content-Type, If-None-Match, If-Modified-Since, Accept, Accept-Language"
)
# What the services send beyond the headers every page may read: validators, the CRS of
# OGC API geometries, the wait of a 429 or 503, the credentials a 401 asks for.
EXPOSE_HEADERS = (
    "Content-Crs, Content-Length, Content-Type, ETag, Last-Modified, Link, Retry-After, "
    "WWW-Authenticate"
)
# Seconds a browser may reuse a preflight answer (Chromium keeps it 2 hours at most).
PREFLIGHT_MAX_AGE = 7200
ALLOW_ORIGIN = "Access-Control-Allow-Origin"
ANY_ORIGIN = "*"


def service_prefix(path: str) -> str | None:
    """The public service prefix `path` lies under, else None."""
    for prefix in SERVICE_PREFIXES:
        if path == prefix or path.startswith(prefix + "/"):
            return prefix
    return None


def allowed_methods(prefix: str) -> str:
    methods = ("GET", "HEAD", "POST", "OPTIONS") if prefix in POST_PREFIXES else READ_METHODS
    return ", ".join(methods)


def allowed_origin(request: HttpRequest, origins: tuple[str, ...]) -> str | None:
    """The Access-Control-Allow-Origin value for this request, or None for none."""
    if ANY_ORIGIN in origins:
        return ANY_ORIGIN
    origin = request.headers.get("Origin", "").lower()
    return origin if origin and origin in origins else None


def options_response(request: HttpRequest, prefix: str) -> HttpResponse:
    """OPTIONS, preflight or not, is answered here: the views take GET (and POST) only."""
    response = HttpResponse(status=204)
    del response["Content-Type"]
    response["Allow"] = allowed_methods(prefix)
    if allowed_origin(request, settings.PLANNING_CORS_ORIGINS):
        response["Access-Control-Allow-Methods"] = allowed_methods(prefix)
        response["Access-Control-Allow-Headers"] = ALLOW_HEADERS
        response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    return response


def add_cors_headers(request: HttpRequest, response: HttpResponseBase) -> None:
    """The CORS headers of a service answer, replacing any a view or MapProxy set."""
    origins: tuple[str, ...] = settings.PLANNING_CORS_ORIGINS
    origin = allowed_origin(request, origins)
    if origins and ANY_ORIGIN not in origins:
        patch_vary_headers(response, ("Origin",))  # the answer depends on who asks
    if origin is None:
        if ALLOW_ORIGIN in response:
            del response[ALLOW_ORIGIN]
        return
    response[ALLOW_ORIGIN] = origin
    if request.method != "OPTIONS":
        response["Access-Control-Expose-Headers"] = EXPOSE_HEADERS


class PublicServicesCorsMiddleware:
    """Placed outside every other middleware but the HEAD one (planning/settings.py), so
    that error answers of the inner ones (503 database unavailable, 500 pages, the HTTPS
    redirect) get the headers too, and a preflight never reaches a view."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        prefix = service_prefix(request.path_info)
        if prefix is None:
            return self.get_response(request)
        if request.method == "OPTIONS":
            request.get_host()  # a host not allowed is a 400 here too (DisallowedHost)
            response: HttpResponseBase = options_response(request, prefix)
        else:
            response = self.get_response(request)
        add_cors_headers(request, response)
        return response
