"""HEAD answers carry GET's status and headers and no body, whichever server runs Django.

Views answer HEAD as they answer GET (require_safe); Django leaves dropping the body to the
server. Its test client and its development server do drop it, gunicorn does not: it
writes whatever the application returns (gunicorn/http/wsgi.py only avoids chunking for
HEAD), and a client that keeps the connection open reads those bytes as the start of its
next response. So the body is dropped here, after every other middleware has set its
headers; Content-Length keeps the length of GET's body, as RFC 9110 §9.3.2 allows.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.http.response import HttpResponseBase


def drop_body(response: HttpResponseBase) -> None:
    """Empty the body; a streamed one is never read (its source is still closed with the
    response, as Django registered it when the view built the response)."""
    if response.streaming:
        response.streaming_content = ()  # type: ignore[attr-defined]
    else:
        response.content = b""  # type: ignore[attr-defined]


class HeadWithoutBodyMiddleware:
    """The outermost middleware (planning/settings.py)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.method == "HEAD":
            drop_body(response)
        return response
