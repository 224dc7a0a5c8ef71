"""Counters of failed password checks (planning.login_limits)."""

from __future__ import annotations

from django.db import models


class LoginFailureCounter(models.Model):
    """Failures of one account or one client address within a fixed window. Updated with
    one atomic upsert per failure and expired by time only: no eviction a flood of other
    names could use to wipe a counter (as a size-bounded cache would)."""

    key = models.CharField(max_length=100, primary_key=True)  # "user:<sha256>", "ip:<addr>" …
    count = models.PositiveIntegerField()
    window_end = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.count} until {self.window_end:%Y-%m-%d %H:%M}"
