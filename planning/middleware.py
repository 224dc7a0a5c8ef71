"""Responses to signed-in or credentialed callers are never stored by any cache.

Such a response may show what only that caller may see (a draft's features, its comments,
the member list), and not every cache honours `Vary: Cookie` (a CDN set to "cache
everything", a proxy ignoring Vary, the disk cache of a browser shared in an office). So
every response to a request carrying a session of a signed-in user or credentials
(`Authorization`: token or Basic; the project takes no credentials in the query string) gets
`Cache-Control: private, no-store`, unless its view already chose `private` or `no-store`.
Anonymous callers' responses are left as their views made them: published data keeps its
public caching (tiles, capabilities, dossiers, 3D tiles with their ETags and 304s).

It also gives a sign-in lockout's 429 its Retry-After, whichever service rendered it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.cache import patch_vary_headers

PRIVATE = "private, no-store"
# A view's explicit choice that already keeps shared caches (or every cache) out.
_PRIVATE_DIRECTIVES = {"private", "no-store"}
# Validators and expiry of a public policy mean nothing once the body is private: a public
# ETag must never validate a private body (same rule as tiles.http_cache.set_headers).
_PUBLIC_ONLY_HEADERS = ("ETag", "Last-Modified", "Expires")


def _signed_in(request: HttpRequest) -> bool:
    """A session of a signed-in user (DRF's token and Basic authenticators set the user
    here too). Read after the view, which has usually loaded it already; without a session
    cookie it costs no query."""
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


def _has_credentials(request: HttpRequest) -> bool:
    return bool(request.META.get("HTTP_AUTHORIZATION"))


def _already_private(response: HttpResponseBase) -> bool:
    directives = response.get("Cache-Control", "").split(",")
    names = {part.split("=", 1)[0].strip().lower() for part in directives}
    return bool(names & _PRIVATE_DIRECTIVES)


def make_private(response: HttpResponseBase) -> None:
    """`private, no-store` unless the view chose as much; the caller, whether named by a
    session cookie or by credentials, decides the body."""
    if not _already_private(response):
        response["Cache-Control"] = PRIVATE
        for name in _PUBLIC_ONLY_HEADERS:
            if name in response:
                del response[name]
    patch_vary_headers(response, ("Authorization", "Cookie"))


def _tell_the_wait(request: HttpRequest, response: HttpResponseBase) -> None:
    """Retry-After on a sign-in lockout's 429, whichever service rendered it (the wait is
    what planning.api.auth.service_user found)."""
    wait = getattr(request, "retry_after", None)
    if response.status_code == 429 and wait and not response.has_header("Retry-After"):
        response["Retry-After"] = str(math.ceil(wait))


class PrivateResponsesMiddleware:
    """Placed outside the session, locale and CSRF middleware (planning/settings.py) so it
    sees every response in its final form, error pages included; inside WhiteNoise, whose
    static files are the same for everyone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        _tell_the_wait(request, response)
        if _has_credentials(request) or _signed_in(request):
            make_private(response)
        elif "public" in response.get("Cache-Control", ""):
            # A shared cache must not answer a credentialed request with an anonymous copy.
            patch_vary_headers(response, ("Authorization",))
        return response
