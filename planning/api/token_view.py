"""/api/token/: an account's API token for username and password."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from planning.api.auth import refuse_if_blocked, token_expired, token_expiry


class ObtainToken(ObtainAuthToken):
    """POST username/password → the account's token (a new one when the old has expired).

    Throttled per client address (scope `token`) on top of the failed-password limits."""

    throttle_classes = (ScopedRateThrottle,)
    throttle_scope = "token"

    def post(self, request, *args, **kwargs):
        refuse_if_blocked(request, str(request.data.get("username", "")))
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = _current_token(serializer.validated_data["user"])
        expiry = token_expiry(token)
        return Response({"token": token.key, "expires": expiry.isoformat() if expiry else None})


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
