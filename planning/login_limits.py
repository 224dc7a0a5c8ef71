"""Limits on failed password checks, per account and per client address.

Every password check (login form, admin, /api/token/, HTTP Basic) runs Django's
`authenticate()`: a failure is counted through the `user_login_failed` signal, and
`planning.auth_backends.LimitedModelBackend` refuses to check any password of an account or
from an address that has reached its limit within the window (PLANNING_LOGIN_* settings).
Counters live in the database (planning.models.LoginFailureCounter), so all server processes
add up; a window is fixed from the first failure; refused attempts are neither checked nor
counted, so guessing stops until the window ends.

The account's own limit would let anyone pause an approver by failing ten times with their
name, so it does not apply from an address the account signed in from within
KNOWN_ADDRESS_DAYS: there the account and that address have a limit of their own (the same
number), which an attacker elsewhere cannot use up. From every other address, failures of
the account anywhere still add up, so guessing from many addresses stops as before.
"""

from __future__ import annotations

import hashlib
import math
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db import connection
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from planning.errors import PlanningError

TOO_MANY_ATTEMPTS = _("Too many failed sign-in attempts; try again later.")


def too_many_attempts(seconds: int) -> str:
    """What a paused client is told, in the active language, with how long it must wait."""
    return gettext("Too many failed sign-in attempts; try again in %(wait)s.") % {
        "wait": wait_phrase(seconds)
    }


def wait_phrase(seconds: int) -> str:
    """A wait as people say it: seconds under a minute, else minutes rounded up, and from an
    hour on hours and minutes ("45 seconds", "15 minutes", "1 hour 5 minutes")."""
    if seconds < 60:
        return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    hours, minutes = divmod(math.ceil(seconds / 60), 60)
    minutes_text = ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    if not hours:
        return minutes_text
    hours_text = ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    if not minutes:
        return hours_text
    return gettext("%(hours)s %(minutes)s") % {"hours": hours_text, "minutes": minutes_text}


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


KNOWN_ADDRESS_DAYS = 30  # how long a successful sign-in vouches for its address


def _keys(request, username: str) -> list[tuple[str, int]]:
    """(counter key, limit) of the account and, when known, of the client address and of
    the account from that address."""
    digest = _digest(username)
    keys = [(f"user:{digest}", settings.PLANNING_LOGIN_MAX_FAILURES)]
    if request is not None:
        address = _address(request)
        keys.append((f"ip:{address}", settings.PLANNING_LOGIN_MAX_FAILURES_PER_IP))
        keys.append((f"user-ip:{_digest(username, address)}", settings.PLANNING_LOGIN_MAX_FAILURES))
    return keys


def _digest(*parts: str) -> str:
    """A fixed-length key part (the counters' keys hold 100 characters)."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _address(request) -> str:
    return client_address(request)[:90]


def _known_key(request, username: str) -> str | None:
    """The marker of the account's sign-ins from this address (None without a request)."""
    if request is None:
        return None
    return f"known:{_digest(username, _address(request))}"


# The counters' table (planning.models.LoginFailureCounter), named here because this module
# is imported before the models are ready (see planning.auth_backends).
_TABLE = "planning_loginfailurecounter"
_COUNT_SQL = f"""
INSERT INTO {_TABLE} AS c (key, count, window_end) VALUES (%(key)s, 1, %(end)s)
ON CONFLICT (key) DO UPDATE SET
  count = CASE WHEN c.window_end <= %(now)s THEN 1 ELSE c.count + 1 END,
  window_end = CASE WHEN c.window_end <= %(now)s THEN %(end)s ELSE c.window_end END
"""  # noqa: S608 - constant table name, values bound


def seconds_blocked(request, username: str) -> int:
    """Seconds until `username` may try again from this client; 0 = not blocked. Compared
    with the clock of this process, as record_failure writes the windows (the database's
    now() is the start of the enclosing transaction, not the moment of the check)."""
    limits = dict(_keys(request, username or ""))
    known = _known_key(request, username or "")
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT key, count, window_end FROM {_TABLE} "  # noqa: S608 - constant name
            "WHERE key = ANY(%s) AND window_end > %s",
            [[*limits, *([known] if known else [])], now],
        )
        rows = cursor.fetchall()
    if any(key == known for key, _count, _end in rows):
        limits.pop(f"user:{_digest(username or '')}")  # its own address: user-ip counts
    waits = [
        (end - now).total_seconds()
        for key, count, end in rows
        if key in limits and count >= limits[key]
    ]
    return max([0, *(math.ceil(wait) for wait in waits)])


def record_success(request, username: str) -> None:
    """The account signed in from this address: for KNOWN_ADDRESS_DAYS, failures of the
    account elsewhere do not pause it here (see the module's docstring)."""
    known = _known_key(request, username)
    if known is None:
        return
    until = timezone.now() + timedelta(days=KNOWN_ADDRESS_DAYS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_TABLE} AS c (key, count, window_end) VALUES (%s, 0, %s) "  # noqa: S608
            "ON CONFLICT (key) DO UPDATE SET window_end = EXCLUDED.window_end "
            "WHERE c.window_end < EXCLUDED.window_end - interval '1 day'",  # HTTP Basic: a
            [known, until],  # check per request, a write at most daily
        )


def record_failure(request, username: str) -> None:
    """One more failure of the account and the address, each counted atomically (parallel
    failures all count); counters whose window ended start again, expired ones are removed."""
    now = timezone.now()
    end = now + timedelta(seconds=settings.PLANNING_LOGIN_WINDOW_SECONDS)
    with connection.cursor() as cursor:
        for key, _limit in _keys(request, username or ""):
            cursor.execute(_COUNT_SQL, {"key": key, "now": now, "end": end})
        cursor.execute(f"DELETE FROM {_TABLE} WHERE window_end <= %s", [now])  # noqa: S608


def refuse(request) -> None:
    """Marks an attempt refused without a password check: it is not counted again, so a
    blocked client cannot keep adding counters."""
    if request is not None:
        request.planning_login_refused = True


@receiver(user_login_failed, dispatch_uid="planning.login_limits.count_failure")
def _count_failure(sender, credentials, request=None, **kwargs) -> None:
    if getattr(request, "planning_login_refused", False):
        return
    record_failure(request, str(credentials.get("username", "")))
