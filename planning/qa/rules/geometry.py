"""Geometry validity, empty or degenerate features, duplicates."""

from __future__ import annotations

from django.utils.translation import gettext_noop as _

from planning.qa import ERROR, WARNING, Context, Found, rule


@rule(
    "geometry.invalid", _("Invalid geometry in %(layer)s: %(reason)s (ST_MakeValid can repair it).")
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
    "geometry.duplicate", _("Duplicate feature in %(layer)s (same geometry as feature %(other)s).")
)
def duplicate(context: Context):
    for fid, other, layer, ewkb in context.rows(
        "SELECT a.id, b.id, a.layer, ST_AsEWKB(ST_PointOnSurface(a.geom)) "
        "FROM f a JOIN planning_feature b ON b.geom && a.geom AND b.id + 0 < a.id + 0 "
        "JOIN planning_layer lb ON lb.id = b.layer_id AND lb.revision_id = %(revision)s "
        "AND lb.kind = a.kind "
        "WHERE ST_Equals(a.geom, b.geom) AND ST_IsValid(a.geom) AND ST_IsValid(b.geom)"
    ):
        yield Found(WARNING, {"layer": layer, "other": other}, ewkb, fid)
