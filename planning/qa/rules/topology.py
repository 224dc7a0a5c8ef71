"""Topology of lot and zone layers: overlaps, gaps inside the boundary, overhangs."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _

from planning.qa import ERROR, WARNING, Context, Found, lots, rule


@rule(
    "topology.overlap",
    # The two lots as one phrase: "lot A1 and the lot with handle 3B in plan.dxf".
    _("Overlap of %(area).1f m² between %(lots)s."),
    display=lambda params: {**params, "lots": lots.listed(params, "a", "b")},
)
def overlaps(context: Context):
    for a_id, a, a_source, b_id, b, b_source, area, ewkb in context.rows(
        ", pairs AS (SELECT x.id, x.attributes->>'code' AS a, x.source_ref AS a_source, "
        "y.id AS b_id, y.attributes->>'code' AS b, y.source_ref AS b_source, "
        "ST_Intersection(x.geom, y.geom) AS g "
        # The inner side reads planning_feature itself, so its spatial index is used.
        # (y.id + 0: keep the id comparison out of the index scan; the spatial one is enough)
        "FROM lots x JOIN planning_feature y ON y.geom && x.geom AND y.id + 0 > x.id + 0 "
        "JOIN planning_layer ly ON ly.id = y.layer_id AND ly.revision_id = %(revision)s "
        "AND ly.kind = 'landuse' "
        "WHERE ST_IsValid(y.geom) AND ST_Relate(x.geom, y.geom, '2********')) "
        "SELECT id, a, a_source, b_id, b, b_source, ST_Area(g), ST_AsEWKB(g) FROM pairs "
        "WHERE ST_Area(g) > %(tolerance)s"
    ):
        named = {**lots.stored("a", a, a_id, a_source), **lots.stored("b", b, b_id, b_source)}
        yield Found(ERROR, {**named, "area": area}, ewkb, a_id)


@rule("topology.gap", _("Gap of %(area).1f m² inside the plan boundary covered by no lot or road."))
def gaps(context: Context):
    for area, ewkb in context.rows(
        ", covered AS (SELECT ST_Union(geom) AS g FROM f "
        "WHERE kind IN ('landuse', 'roads') AND ST_IsValid(geom) "
        "AND GeometryType(geom) IN ('POLYGON', 'MULTIPOLYGON')), "
        "holes AS (SELECT (ST_Dump(ST_Difference(b.geom, coalesce(covered.g, "
        "ST_SetSRID('GEOMETRYCOLLECTION EMPTY'::geometry, ST_SRID(b.geom)))))).geom AS g "
        "FROM b, covered WHERE b.geom IS NOT NULL) "
        "SELECT ST_Area(g), ST_AsEWKB(g) FROM holes WHERE ST_Area(g) > %(tolerance)s"
    ):
        yield Found(WARNING, {"area": area}, ewkb)


@rule(
    "topology.outside",
    _("%(area).1f m² of %(feature)s in %(layer)s lie outside the plan boundary."),
    display=lambda params: {**params, "feature": _outside_feature(params)},
)
def outside(context: Context):
    for fid, layer, kind, code, source, area, ewkb in context.rows(
        ", o AS (SELECT f.id, f.layer, f.kind, f.attributes->>'code' AS code, f.source_ref, "
        "ST_Difference(f.geom, b.geom) AS g FROM f, b WHERE b.geom IS NOT NULL "
        "AND f.kind <> 'boundary' AND ST_IsValid(f.geom) "
        "AND GeometryType(f.geom) IN ('POLYGON', 'MULTIPOLYGON') AND NOT ST_CoveredBy(f.geom, b.geom)) "
        "SELECT id, layer, kind, code, source_ref, ST_Area(g), ST_AsEWKB(g) FROM o "
        "WHERE ST_Area(g) > %(tolerance)s"
    ):
        named = {**lots.stored("feature", code, fid, source), "kind": kind}
        yield Found(ERROR, {"layer": layer, "area": area, **named}, ewkb, fid)


def _outside_feature(params: dict) -> str:
    """The feature over the boundary as the planner finds it: a lot by its code or its place
    in the source file, anything else by that place (QA walk: "a feature" named none)."""
    if "feature" not in params:  # stored before features were named
        return gettext("a feature")
    if params.get("kind") == "landuse":
        return lots.listed(params, "feature")
    where = lots.in_source(str(params.get("feature_source") or ""))
    if where:
        return gettext("the feature %(where)s") % {"where": where}
    return gettext("a feature (see the map)")
