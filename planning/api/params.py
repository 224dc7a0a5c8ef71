"""Shared query parameters parsed once into typed values (bbox, limit, id lists)."""

from __future__ import annotations

import math
from datetime import datetime, time

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from planning.errors import InvalidInput
from planning.extent import check_lonlat_box

MAX_LIMIT = 10_000
# Taken by every endpoint: DRF's own choice of renderer (?format=json, ?format=api).
ALWAYS_ALLOWED = frozenset({"format"})


def only(query, allowed: set[str]) -> None:
    """Refuse query parameters the endpoint does not know: a misspelt filter
    (`?projet=…`, `?bbox=` as `?box=`) otherwise answered with everything, unfiltered."""
    unknown = sorted(set(query) - allowed - ALWAYS_ALLOWED)
    if unknown:
        raise InvalidInput(
            _("Unknown query parameter %(names)s; this endpoint takes %(allowed)s.")
            % {"names": ", ".join(unknown), "allowed": ", ".join(sorted(allowed))}
        )


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """minx,miny,maxx,maxy in EPSG:4326 (lon/lat)."""
    if not text:
        return None
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError as exc:
        raise InvalidInput(_("bbox must be four numbers: minx,miny,maxx,maxy.")) from exc
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise InvalidInput(_("bbox must be four numbers: minx,miny,maxx,maxy."))
    minx, miny, maxx, maxy = values
    if minx > maxx or miny > maxy:
        raise InvalidInput(_("bbox minimum exceeds its maximum."))
    check_lonlat_box((minx, miny, maxx, maxy))
    return minx, miny, maxx, maxy


def parse_int(text: str | None, name: str, default: int, minimum: int, maximum: int) -> int:
    if text in (None, ""):
        return default
    try:
        value = int(text)
    except ValueError as exc:
        raise InvalidInput(_("%(name)s must be an integer.") % {"name": name}) from exc
    if not minimum <= value <= maximum:
        raise InvalidInput(
            _("%(name)s must be between %(minimum)d and %(maximum)d.")
            % {"name": name, "minimum": minimum, "maximum": maximum}
        )
    return value


def parse_float(text: str | None, name: str) -> float:
    if text in (None, ""):
        raise InvalidInput(_("%(name)s is required.") % {"name": name})
    try:
        value = float(text)
    except ValueError as exc:
        raise InvalidInput(_("%(name)s must be a number.") % {"name": name}) from exc
    if not math.isfinite(value):
        raise InvalidInput(_("%(name)s must be a finite number.") % {"name": name})
    return value


def parse_moment(text: str | None, name: str) -> datetime | None:
    """An ISO 8601 date (the end of that day) or date-time; naive values are local time."""
    if not text:
        return None
    try:
        moment = parse_datetime(text)
        if moment is None and (day := parse_date(text)) is not None:
            moment = datetime.combine(day, time.max)
    except ValueError as exc:
        raise InvalidInput(_("%(name)s is not a valid date.") % {"name": name}) from exc
    if moment is None:
        raise InvalidInput(_("%(name)s must be an ISO 8601 date or date-time.") % {"name": name})
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def parse_ids(text: str | None, name: str) -> list[int]:
    if not text:
        return []
    try:
        ids = [int(v) for v in text.split(",") if v.strip()]
    except ValueError as exc:
        raise InvalidInput(
            _("%(name)s must be a comma-separated list of ids.") % {"name": name}
        ) from exc
    if len(ids) > 100:
        raise InvalidInput(_("%(name)s lists too many ids.") % {"name": name})
    return ids
