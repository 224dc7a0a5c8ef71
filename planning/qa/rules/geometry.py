"""Geometry validity, empty or degenerate features, duplicates."""

from __future__ import annotations

import re

from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _

from planning.qa import ERROR, WARNING, Context, Found, lots, rule

# The problems GEOS names in ST_IsValidReason ("Self-intersection[x y]"), translatable.
GEOS_REASONS = frozenset(
    (
        _("Topology Validation Error"),
        _("Repeated Point"),
        _("Hole lies outside shell"),
        _("Holes are nested"),
        _("Interior is disconnected"),
        _("Self-intersection"),
        _("Ring Self-intersection"),
        _("Nested shells"),
        _("Duplicate Rings"),
        _("Too few points in geometry component"),
        _("Invalid Coordinate"),
        _("Ring is not closed"),
    )
)
_REASON = re.compile(r"(?P<name>[^\[]+?)\s*(?P<where>\[[^\]]*\])?")


def reason_in_language(reason: object) -> str:
    """PostGIS's reason in the active language, its location kept: "Tự cắt [x y]"."""
    text = str(reason)
    match = _REASON.fullmatch(text)
    if match is None or match["name"] not in GEOS_REASONS:
        return text
    name = gettext(match["name"])
    return f"{name} {match['where']}" if match["where"] else name


def _reason_shown(params: dict) -> dict:
    return {**params, "reason": reason_in_language(params.get("reason", ""))}


@rule(
    "geometry.invalid",
    _("Invalid geometry in %(layer)s: %(reason)s (ST_MakeValid can repair it)."),
    display=_reason_shown,
)
def invalid(context: Context):
    for fid, layer, reason, ewkb in context.rows(
        "SELECT id, layer, ST_IsValidReason(geom), "
        "ST_AsEWKB(ST_PointOnSurface(ST_Buffer(geom, 0))) FROM f WHERE NOT ST_IsValid(geom)"
    ):
        yield Found(ERROR, {"layer": layer, "reason": reason}, ewkb, fid)


@rule("geometry.degenerate", _("Empty or degenerate feature in %(layer)s."))
def degenerate(context: Context):
    for fid, layer, ewkb in context.rows(
        "SELECT id, layer, ST_AsEWKB(ST_Envelope(geom)) FROM f "
        "WHERE ST_IsEmpty(geom) OR (GeometryType(geom) IN ('POLYGON', 'MULTIPOLYGON') "
        "AND ST_Area(geom) < 0.01) OR (GeometryType(geom) IN ('LINESTRING', 'MULTILINESTRING') "
        "AND ST_Length(geom) < 0.01)"
    ):
        yield Found(ERROR, {"layer": layer}, ewkb, fid)


@rule(
    "geometry.duplicate",
    _("Duplicate feature in %(layer)s (same geometry as feature %(other)s)."),
    display=lambda params: lots.shown_lots(params, "other"),
)
def duplicate(context: Context):
    for fid, other_id, other_code, other_source, layer, ewkb in context.rows(
        "SELECT a.id, b.id, b.attributes->>'code', b.source_ref, a.layer, "
        "ST_AsEWKB(ST_PointOnSurface(a.geom)) "
        "FROM f a JOIN planning_feature b ON b.geom && a.geom AND b.id + 0 < a.id + 0 "
        "JOIN planning_layer lb ON lb.id = b.layer_id AND lb.revision_id = %(revision)s "
        "AND lb.kind = a.kind "
        "WHERE ST_Equals(a.geom, b.geom) AND ST_IsValid(a.geom) AND ST_IsValid(b.geom)"
    ):
        other = lots.stored("other", other_code, other_id, other_source)
        yield Found(WARNING, {"layer": layer, **other}, ewkb, fid)
