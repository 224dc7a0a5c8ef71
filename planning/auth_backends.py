"""The authentication backend of settings.AUTHENTICATION_BACKENDS.

Kept apart from planning.login_limits: that module is imported by the DRF authenticators,
which DRF may load before the auth models are ready; this one imports them."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from planning.login_limits import TOO_MANY_ATTEMPTS, record_success, refuse, seconds_blocked


class LimitedModelBackend(ModelBackend):
    """Django's backend, refusing to check passwords while a limit is reached."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        name = username if username is not None else kwargs.get("username", "")
        if seconds_blocked(request, str(name or "")):
            refuse(request)
            raise PermissionDenied(str(TOO_MANY_ATTEMPTS))
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            record_success(request, str(name or ""))
        return user
