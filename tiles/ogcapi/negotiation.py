"""Formats, errors and caching of the OGC API responses (the HTTP side only).

The format comes from `f` first, then the Accept header; the errors are JSON problem
documents `{"code", "description"}` with the status the domain error carries; public
responses get an ETag and answer If-None-Match with 304, private ones are never stored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase

from planning.api.auth import is_private
from planning.errors import InvalidInput, PlanningError

JSON = "json"
HTML = "html"
GEOJSON_TYPE = "application/geo+json"
OPENAPI_TYPE = "application/vnd.oai.openapi+json;version=3.0"
_F_VALUES = {"json": JSON, "geojson": JSON, "application/json": JSON, "html": HTML}
_F_VALUES[GEOJSON_TYPE] = JSON
_MEDIA_TYPES = {
    "application/json": JSON,
    GEOJSON_TYPE: JSON,
    "application/vnd.oai.openapi+json": JSON,
    OPENAPI_TYPE: JSON,  # as the landing page's service-desc link names it, with its version
    "application/schema+json": JSON,
    "text/html": HTML,
}


class NotAcceptable(PlanningError):
    status = 406
    code = "NotAcceptable"


def choose_format(request: HttpRequest) -> str:
    """json or html: `f` wins; then Accept (JSON when the client states no preference)."""
    requested = request.GET.get("f")
    if requested:
        fmt = _F_VALUES.get(requested.lower())
        if fmt is None:
            raise NotAcceptable("f must be json or html.")
        return fmt
    if not request.META.get("HTTP_ACCEPT"):
        return JSON
    preferred = request.get_preferred_type(list(_MEDIA_TYPES))
    if preferred is None:
        raise NotAcceptable("None of the accepted media types is offered (JSON, HTML).")
    return _MEDIA_TYPES[preferred]


def problem(status: int, code: str, description: str) -> JsonResponse:
    response = JsonResponse({"code": code, "description": description}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def handles_errors(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Domain errors become problem documents with their own status and code."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            refuse_repeated(request)
            return view(request, *args, **kwargs)
        except PlanningError as exc:
            response = problem(exc.status, exc.code, exc.message)
            if exc.status == 401:
                response["WWW-Authenticate"] = 'Basic realm="planning"'
            return response

    return wrapper


def refuse_repeated(request: HttpRequest) -> None:
    """Every OGC API Features parameter takes one value: `f=json&f=html` or `limit=2&limit=3`
    answered with one of them, unsaid (QA walk)."""
    repeated = sorted(name for name, values in request.GET.lists() if len(values) > 1)
    if repeated:
        raise InvalidInput(f"Parameter given more than once: {', '.join(repeated)[:200]}.")


def json_bytes(document: object) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def etag_of(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else part.encode("utf-8"))
        digest.update(b"\x00")
    return f'"{digest.hexdigest()[:32]}"'


def not_modified(request: HttpRequest, etag: str) -> HttpResponse | None:
    """304 when the client's If-None-Match names this ETag (or `*`)."""
    header = request.META.get("HTTP_IF_NONE_MATCH", "")
    tags = {t.strip().removeprefix("W/") for t in header.split(",") if t.strip()}
    if etag in tags or "*" in tags:
        response = HttpResponse(status=304)
        response["ETag"] = etag
        return response
    return None


def cache_headers(response: HttpResponseBase, user: Any, etag: str | None) -> HttpResponseBase:
    """Private callers' responses are never stored; public ones carry their ETag."""
    response["Vary"] = "Accept, Authorization, Cookie"
    if is_private(user):
        response["Cache-Control"] = "private, no-store"
    else:
        response["Cache-Control"] = "public, max-age=60"
        if etag:
            response["ETag"] = etag
    return response


def document_response(
    request: HttpRequest, user: Any, body: bytes, content_type: str
) -> HttpResponseBase:
    """A whole (small) document: ETag from its bytes, 304 when the client has it."""
    etag = None if is_private(user) else etag_of(content_type, body)
    if etag:
        unchanged = not_modified(request, etag)
        if unchanged is not None:
            return cache_headers(unchanged, user, etag)
    return cache_headers(HttpResponse(body, content_type=content_type), user, etag)
