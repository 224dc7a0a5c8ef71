"""/api/token/: an account's API token for username and password."""

from __future__ import annotations

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
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        if token_expired(token):
            token.delete()
            token = Token.objects.create(user=token.user)
        expiry = token_expiry(token)
        return Response({"token": token.key, "expires": expiry.isoformat() if expiry else None})


obtain_token = ObtainToken.as_view()
