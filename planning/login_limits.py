"""Limits on failed password checks, per account and per client address.

Every password check (login form, admin, /api/token/, HTTP Basic) runs Django's
`authenticate()`: a failure is counted through the `user_login_failed` signal, and
`planning.auth_backends.LimitedModelBackend` refuses to check any password of an account or from an address that
has reached its limit within the window (PLANNING_LOGIN_* settings). Counters live in the
shared cache (the database), so all server processes add up; a window is fixed from the
first failure, and refused attempts are not checked, so guessing stops until it ends.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from planning.errors import PlanningError

TOO_MANY_ATTEMPTS = _("Too many failed sign-in attempts; try again later.")


class TooManyAttempts(PlanningError):
    status = 429
    code = "TooManyRequests"


def client_address(request) -> str:
    """The caller's address; behind the reverse proxy, the one it appended to X-Forwarded-For
    (the same rule as DRF's NUM_PROXIES=1)."""
    meta = request.META
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    if settings.PLANNING_BEHIND_PROXY and forwarded:
        return forwarded.split(",")[-1].strip()
    return meta.get("REMOTE_ADDR", "") or "unknown"


def _keys(request, username: str) -> list[tuple[str, int]]:
    """(cache key, limit) of the account and, when known, of the client address."""
    digest = hashlib.sha256(username.encode()).hexdigest()
    keys = [(f"login-failures:user:{digest}", settings.PLANNING_LOGIN_MAX_FAILURES)]
    if request is not None:
        keys.append(
            (
                f"login-failures:ip:{client_address(request)}",
                settings.PLANNING_LOGIN_MAX_FAILURES_PER_IP,
            )
        )
    return keys


def seconds_blocked(request, username: str) -> int:
    """Seconds until `username` may try again from this client; 0 = not blocked."""
    now = time.time()
    waits = [0]
    for key, limit in _keys(request, username or ""):
        count, window_end = cache.get(key, (0, 0.0))
        if count >= limit and window_end > now:
            waits.append(int(window_end - now) + 1)
    return max(waits)


def record_failure(request, username: str) -> None:
    now = time.time()
    for key, _limit in _keys(request, username or ""):
        count, window_end = cache.get(key, (0, 0.0))
        if window_end <= now:
            count, window_end = 0, now + settings.PLANNING_LOGIN_WINDOW_SECONDS
        cache.set(key, (count + 1, window_end), timeout=int(window_end - now) + 1)


@receiver(user_login_failed, dispatch_uid="planning.login_limits.count_failure")
def _count_failure(sender, credentials, request=None, **kwargs) -> None:
    record_failure(request, str(credentials.get("username", "")))
