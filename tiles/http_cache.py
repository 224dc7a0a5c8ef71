"""HTTP caching of map tiles: validators from the in-force generation, 304s, Cache-Control.

A public tile changes only when what is in force changes, so the generation
(tiles.generation) is its entity tag and the latest approval or supersession its
Last-Modified. Responses for a signed-in caller may show private drafts: they get
`private, no-store` and no validators, and their conditional headers are ignored, so no
shared cache ever keeps them and a public ETag never validates a private body.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.utils import translation
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

from planning.api.auth import is_private
from planning.errors import PlanningError
from tiles.generation import InForceState, in_force_state

# Tile URLs outlive generations, so browsers and proxies revalidate after a short while.
PUBLIC_MAX_AGE = 300
PRIVATE = "private, no-store"


def json_error(exc: PlanningError) -> JsonResponse:
    """The JSON error of a tile, tileset or dossier endpoint: never cached, and a 401 names
    the credentials it takes."""
    response = JsonResponse({"detail": exc.message, "code": exc.code}, status=exc.status)
    if exc.status == 401:
        response["WWW-Authenticate"] = 'Token, Basic realm="planning"'
    response["Cache-Control"] = PRIVATE
    return response


def entity_tag(state: InForceState, variant: str = "") -> str:
    """A strong ETag: the generation, plus what else decides the bytes (encoder, format)."""
    return f'"{state.generation}{"-" + variant if variant else ""}"'


def _timestamp(state: InForceState) -> int | None:
    return int(state.last_modified.timestamp()) if state.last_modified else None


def not_modified(
    request: HttpRequest, user, state: InForceState, variant: str = ""
) -> HttpResponseBase | None:
    """A 304 (with its headers) when an anonymous caller's copy is current, else None.

    If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2): Django's
    get_conditional_response applies that order.
    """
    if is_private(user) or request.method not in ("GET", "HEAD"):
        return None
    response = get_conditional_response(
        request, etag=entity_tag(state, variant), last_modified=_timestamp(state)
    )
    if response is None:
        return None
    return set_headers(response, user, state, variant)


def set_headers(
    response: HttpResponseBase,
    user,
    state: InForceState | None,
    variant: str = "",
    max_age: int = PUBLIC_MAX_AGE,
) -> HttpResponseBase:
    """Cache headers of a tile response: public with validators, or private and unstored."""
    if is_private(user) or state is None:
        response["Cache-Control"] = PRIVATE
        for name in ("ETag", "Last-Modified", "Expires"):
            if name in response:
                del response[name]
        return response
    response["Cache-Control"] = f"public, max-age={max_age}"
    response["ETag"] = entity_tag(state, variant)
    stamp = _timestamp(state)
    if stamp is not None:
        response["Last-Modified"] = http_date(stamp)
    return response


class SignedIn:
    """Stands for a caller known to be signed in without authenticating them again."""

    is_authenticated = True


def raster_caller(request: HttpRequest):
    """The caller of a public raster tile, for caching only: credentials of any kind, or a
    session, make the response private. Raster tiles are rendered from plans in force
    only, so this never rejects a request; it only keeps shared caches out of it."""
    if request.META.get("HTTP_AUTHORIZATION"):
        return SignedIn()
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


# Bump when the WMS, WMTS or WFS answer to the same request changes with a release, so a
# cache revalidating an older copy is not told it is current (2: WFS features and schemas
# carry `project` and `revision`).
OUTPUT_VERSION = "2"


def query_variant(request: HttpRequest) -> str:
    """What besides the generation decides an OGC response: the host (capabilities carry
    absolute URLs), every query parameter, order-independent, and the language (titles and
    abstracts follow Accept-Language: a cache revalidating the Vietnamese copy must not be
    told that it is the English one)."""
    items = sorted((key.upper(), value) for key, value in request.GET.items())
    decisive = (OUTPUT_VERSION, request.get_host(), items, translation.get_language())
    digest = hashlib.sha256(repr(decisive).encode("utf-8")).hexdigest()
    return f"q{digest[:16]}"


def public_validators(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Validators for the OGC KVP endpoints (WMS, WMTS, WFS): an anonymous GET or HEAD
    (which must carry GET's headers) whose answer is current gets 304 before any work;
    successful public answers carry ETag and Last-Modified of the in-force generation.
    Signed-in callers and errors are untouched."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        user = raster_caller(request)
        if request.method not in ("GET", "HEAD") or is_private(user):
            return view(request, *args, **kwargs)
        state, variant = in_force_state(), query_variant(request)
        unchanged = not_modified(request, user, state, variant)
        if unchanged is not None:
            return unchanged
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and "private" not in response.get("Cache-Control", ""):
            max_age = _max_age(response.get("Cache-Control", ""))
            set_headers(response, user, state, variant, max_age=max_age)
        return response

    return wrapped


def _max_age(cache_control: str) -> int:
    """Keep a shorter max-age a view chose (direct renders), else the public default."""
    for part in cache_control.split(","):
        name, _, value = part.strip().partition("=")
        if name == "max-age" and value.isdecimal():
            return min(int(value), PUBLIC_MAX_AGE)
    return PUBLIC_MAX_AGE
