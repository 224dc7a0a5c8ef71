"""/api/token/: an account's API token for username and password (POST), revoked by its
holder (DELETE)."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.db import transaction
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import NotAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from planning.api.auth import refuse_if_blocked, token_expired, token_expiry
from planning.api.times import api_instant


class FailedRequestThrottle(ScopedRateThrottle):
    """The scope's limit per client address, counting only the requests that fail: a
    provincial office behind one NAT address gets its tokens however many of its people
    sign in (QA walk: 30 sign-ins an hour locked every account out), while guessing from
    one address is still stopped. Every request is recorded as it starts, as DRF does, so a
    burst of guesses is counted before any password is checked (review finding), within the
    cache's own read-then-write (not atomic: a burst may still pass a few over the limit;
    the per-address counter of planning.login_limits is the atomic bound). The view takes
    the record back when the request got its token or the server answered 5xx (forgive); a
    request that raised past the view stays counted."""

    recorded = False  # allow_request found a limit that applies and recorded this request

    def throttle_success(self) -> bool:
        self.recorded = True
        return super().throttle_success()

    def forgive(self) -> None:
        if not self.recorded:
            return  # no limit applies, or the throttle itself refused the request
        history = list(self.cache.get(self.key, []))
        if self.now in history:  # read again: other requests changed it meanwhile
            history.remove(self.now)
            self.cache.set(self.key, history, self.duration)


class ObtainToken(ObtainAuthToken):
    """POST username/password → the account's token (a new one when the old has expired).

    Failed requests are throttled per client address (scope `token`), on top of the
    per-account and per-address failed-password limits (planning.login_limits)."""

    throttle_classes = (FailedRequestThrottle,)
    throttle_scope = "token"
    counted: Sequence[FailedRequestThrottle] = ()

    def get_throttles(self):
        # Kept for finalize_response: the answer decides whether the request counts.
        self.counted = super().get_throttles()
        return self.counted

    def finalize_response(self, request, response, *args, **kwargs):
        # A token issued or revoked, or the server's own failure: not a guess. A wrong password, a locked
        # account or a bad form stays counted.
        if 200 <= response.status_code < 300 or response.status_code >= 500:
            for throttle in self.counted:
                throttle.forgive()
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(
        request=AuthTokenSerializer,
        responses={
            200: inline_serializer(
                "IssuedToken",
                {
                    "token": serializers.CharField(),
                    "expires": serializers.DateTimeField(allow_null=True),
                },
            )
        },
    )
    def post(self, request, *args, **kwargs):
        refuse_if_blocked(request, str(request.data.get("username", "")))
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = _current_token(serializer.validated_data["user"])
        expiry = token_expiry(token)
        return Response({"token": token.key, "expires": api_instant(expiry)})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, *args, **kwargs):
        """Revoke the caller's own token (a script retiring its credentials, a leaked token);
        authenticated by it, a session or HTTP Basic. 204, or 401 without credentials."""
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        Token.objects.filter(user=request.user).delete()
        return Response(status=204)


def _current_token(user) -> Token:
    """The account's token, replaced when it has expired. The account's row is locked so
    that concurrent requests (a script started twice) all get the one new token instead
    of racing to replace the old one."""
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        token, _created = Token.objects.get_or_create(user=user)
        if token_expired(token):
            token.delete()
            token = Token.objects.create(user=user)
        return token


obtain_token = ObtainToken.as_view()
