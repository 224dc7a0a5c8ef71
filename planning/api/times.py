"""Instants in API answers, written one way: as DRF's DateTimeField writes the model fields
(`approved_at` …), in the server's time zone with its offset ("2026-11-28T18:04:00+07:00").
Hand-built answers (jobs, QA status, token expiry, rasters) wrote UTC before, so one answer
could mix two offsets for the same moment (QA walk)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def api_instant(value: datetime | None) -> str | None:
    if value is None:
        return None
    return timezone.localtime(value).isoformat()
