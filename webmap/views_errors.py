"""What a visitor gets when the server cannot answer: 503 "try again shortly" while the
database is unreachable (restarted, being upgraded, network), instead of a bare English
"Server Error (500)". Everything else that fails stays a 500 with its traceback in
var/log/errors.log (Django's handler renders templates/500.html)."""

from __future__ import annotations

import logging

from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
# Paths answered with JSON (the REST API, OGC API Features, and the JSON documents: tilesets,
# TileJSON, legends); pages and the map services get the HTML page, which a map client shows
# as a failed tile like any other error.
JSON_PREFIXES = ("/api/", "/ogcapi/")
JSON_SUFFIX = ".json"


def database_unreachable(exception: BaseException) -> bool:
    """A connection that could not be opened or was lost, as opposed to a failing query
    (deadlock, cancelled statement) on a healthy connection, which stays a 500."""
    if not isinstance(exception, OperationalError | InterfaceError):
        return False
    if connection.connection is None:
        return True  # connecting failed
    try:
        return not connection.is_usable()
    except DatabaseError:
        return True


def unavailable_response(request: HttpRequest) -> HttpResponse:
    message = _("The planning database is not reachable at the moment. Try again in a minute.")
    if request.path.startswith(JSON_PREFIXES) or request.path.endswith(JSON_SUFFIX):
        response: HttpResponse = JsonResponse({"detail": message}, status=503)
    else:
        page = render_to_string("webmap/unavailable.html", {"message": message})
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Turns a view's lost database connection into a 503 with Retry-After; the operator
    finds one line per refused request in errors.log, naming the database error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not database_unreachable(exception):
            return None
        reason = (str(exception).strip().splitlines() or [type(exception).__name__])[0]
        log.error(
            "Database unavailable, answered 503: %s %s: %s", request.method, request.path, reason
        )
        connection.close_if_unusable_or_obsolete()
        response = unavailable_response(request)
        response._has_been_logged = True  # type: ignore[attr-defined]  # logged above, once
        return response
