"""Authentication for the OGC services, which are plain Django views, not DRF views.

QGIS and scripts authenticate with an API token (`Authorization: Token …`) or HTTP Basic;
browsers with their session. The same DRF authenticators as the REST API decide, so a
token shows on every service exactly what its owner may see.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from rest_framework import exceptions
from rest_framework.authentication import (
    BaseAuthentication,
    BasicAuthentication,
    TokenAuthentication,
)

from planning.errors import NotAuthenticated

_AUTHENTICATORS: tuple[BaseAuthentication, ...] = (TokenAuthentication(), BasicAuthentication())


def service_user(request: HttpRequest):
    """The caller: token or Basic credentials first, then the session, else anonymous.

    Wrong credentials are an error (401), never a silent fall-back to anonymous.
    """
    if request.META.get("HTTP_AUTHORIZATION"):
        for authenticator in _AUTHENTICATORS:
            try:
                result = authenticator.authenticate(request)  # type: ignore[arg-type]
            except exceptions.AuthenticationFailed as exc:
                raise NotAuthenticated(str(exc.detail)) from exc
            if result is not None:
                return result[0]
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else AnonymousUser()


def is_private(user) -> bool:
    """Responses for a signed-in caller may contain private plans: never cache publicly."""
    return bool(user is not None and user.is_authenticated)
