"""Authentication for the OGC services, which are plain Django views, not DRF views.

QGIS and scripts authenticate with an API token (`Authorization: Token …`) or HTTP Basic;
browsers with their session. The same DRF authenticators as the REST API decide, so a
token shows on every service exactly what its owner may see. Tokens expire after
PLANNING_TOKEN_MAX_AGE_DAYS; password checks are limited by planning.login_limits.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import (
    BaseAuthentication,
    BasicAuthentication,
    TokenAuthentication,
)

from planning.errors import NotAuthenticated
from planning.login_limits import TooManyAttempts, seconds_blocked, too_many_attempts

if TYPE_CHECKING:  # DRF loads this module from its settings: no model imports at run time
    from rest_framework.authtoken.models import Token


def token_expiry(token: Token) -> datetime | None:
    """When `token` stops being accepted; None = never (PLANNING_TOKEN_MAX_AGE_DAYS=0)."""
    days = settings.PLANNING_TOKEN_MAX_AGE_DAYS
    return token.created + timedelta(days=days) if days else None


def token_expired(token: Token) -> bool:
    expiry = token_expiry(token)
    return expiry is not None and expiry <= timezone.now()


class TokenExpired(exceptions.APIException):
    """401 whatever the first authenticator (DRF turns AuthenticationFailed into a 403 when
    it is the session's, which asks for no credentials)."""

    status_code = 401
    default_code = "token_expired"
    auth_header = "Token"


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, refusing tokens older than PLANNING_TOKEN_MAX_AGE_DAYS."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            raise TokenExpired(_("The API token has expired; request a new one from /api/token/."))
        return user, token


class LockedOut(exceptions.Throttled):
    """429 with Retry-After and a message wholly in the request's language: DRF's Throttled
    appends "Expected available in N seconds." from its own catalogue, English in Vietnamese."""

    def __init__(self, wait: int) -> None:
        super().__init__(detail=too_many_attempts(wait))
        self.wait = wait  # read by DRF's exception handler for Retry-After


def refuse_if_blocked(request, username: str) -> None:
    wait = seconds_blocked(request, username)
    if wait:
        raise LockedOut(wait)


class LimitedBasicAuthentication(BasicAuthentication):
    """HTTP Basic answering 429 while the account or address is over its failure limit."""

    def authenticate_credentials(self, userid, password, request=None):
        refuse_if_blocked(request, userid)
        return super().authenticate_credentials(userid, password, request)


_AUTHENTICATORS: tuple[BaseAuthentication, ...] = (
    ExpiringTokenAuthentication(),
    LimitedBasicAuthentication(),
)


def service_user(request: HttpRequest):
    """The caller: token or Basic credentials first, then the session, else anonymous.

    Wrong credentials are an error (401), never a silent fall-back to anonymous.
    """
    if request.META.get("HTTP_AUTHORIZATION"):
        for authenticator in _AUTHENTICATORS:
            try:
                result = authenticator.authenticate(request)  # type: ignore[arg-type]
            except (exceptions.AuthenticationFailed, TokenExpired) as exc:
                raise NotAuthenticated(str(exc.detail)) from exc
            except exceptions.Throttled as exc:
                # Every service renders the 429 its own way; the outer middleware adds
                # the Retry-After they all owe (planning.middleware).
                request.retry_after = exc.wait  # type: ignore[attr-defined]
                raise TooManyAttempts(str(exc.detail)) from exc
            if result is not None:
                return result[0]
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else AnonymousUser()


def is_private(user) -> bool:
    """Responses for a signed-in caller may contain private plans: never cache publicly."""
    return bool(user is not None and user.is_authenticated)
