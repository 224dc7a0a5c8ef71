"""Buildings against their lot's zoning envelope (threed.envelopes): height and storeys
above the maximum, footprints crossing the setback (building) line, building density
above the lot's MĐXD. The lot of a building is the lot holding a point of its footprint."""

from __future__ import annotations

from django.utils.translation import gettext_noop as _

from planning.qa import ERROR, WARNING, Context, Found, rule

# Buildings with their lot's envelope; appended after threed's ENVELOPE_CTES.
_BUILDINGS = """
, bld AS (
  SELECT f.id, f.geom, f.layer, coalesce(f.attributes->>'code', '') AS code,
         coalesce(nullif({height}, 0), {storeys} * %(storey_height)s,
                  (SELECT ST_ZMax(p.geom_3d) - ST_ZMin(p.geom_3d)
                     FROM planning_feature p WHERE p.id = f.id)) AS height,
         {storeys} AS storeys
    FROM f WHERE kind = 'buildings' AND ST_Dimension(geom) = 2 AND ST_IsValid(geom)
),
pairs AS (
  SELECT b.*, e.code AS lot_code, e.geom AS lot_geom, e.footprint, e.height_max,
         e.storeys_max, e.density_max, e.setback, e.id AS lot_id, ST_Area(e.geom) AS lot_area,
         ST_AsEWKB(ST_PointOnSurface(e.geom)) AS lot_point
    FROM bld b
    CROSS JOIN LATERAL (  -- through the spatial index of planning_feature
      SELECT l.id FROM lots l
       WHERE l.geom && b.geom AND ST_Intersects(l.geom, ST_PointOnSurface(b.geom))
       ORDER BY l.id LIMIT 1
    ) hit
    JOIN env e ON e.id = hit.id
)
"""


def _sql(body: str) -> str:
    from threed.envelopes import ENVELOPE_CTES
    from threed.extrude import height_sql, storeys_sql

    # The extrusion's own reading (positive numbers only), so a height the 3D view ignores
    # is not checked against the envelope either.
    buildings = _BUILDINGS.format(height=height_sql(), storeys=storeys_sql())
    return ENVELOPE_CTES + buildings + body


def _rows(context: Context, body: str) -> list[tuple]:
    from django.conf import settings

    return context.rows(_sql(body), {"storey_height": settings.PLANNING_STOREY_HEIGHT_M})


@rule(
    "envelope.height",
    _(
        "Building %(code)s is %(height).1f m high (%(storeys)s storeys); lot %(lot)s allows "
        "%(height_max).1f m (%(storeys_max)s storeys)."
    ),
)
def too_high(context: Context):
    for fid, code, height, storeys, lot, height_max, storeys_max, ewkb in _rows(
        context,
        "SELECT id, code, height, storeys, lot_code, height_max, storeys_max, "
        "ST_AsEWKB(ST_PointOnSurface(geom)) FROM pairs "
        "WHERE height > height_max + 0.01 OR storeys > storeys_max",
    ):
        params = {
            "code": code or fid,
            "height": height or 0.0,
            "storeys": _whole(storeys),
            "lot": lot,
            "height_max": height_max or 0.0,
            "storeys_max": _whole(storeys_max),
        }
        yield Found(ERROR, params, ewkb, fid)


@rule(
    "envelope.setback",
    _(
        "Building %(code)s crosses the building line of lot %(lot)s by %(area).1f m² "
        "(setback %(setback).1f m)."
    ),
)
def crosses_setback(context: Context):
    for fid, code, lot, area, setback, ewkb in _rows(
        context,
        "SELECT p.id, p.code, p.lot_code, ST_Area(x.outside), p.setback, ST_AsEWKB(x.outside) "
        "FROM pairs p CROSS JOIN LATERAL (SELECT ST_Difference(p.geom, p.footprint) AS outside) x "
        "WHERE p.setback > 0 AND NOT ST_CoveredBy(p.geom, p.footprint) "
        "AND ST_Area(x.outside) > %(tolerance)s",
    ):
        yield Found(
            WARNING, {"code": code or fid, "lot": lot, "area": area, "setback": setback}, ewkb, fid
        )


@rule(
    "envelope.density",
    _("Buildings cover %(density).1f %% of lot %(lot)s; its building density allows %(max).1f %%."),
)
def too_dense(context: Context):
    for lot_id, lot, density, density_max, ewkb in _rows(
        context,
        "SELECT lot_id, lot_code, sum(ST_Area(ST_Intersection(geom, lot_geom))) / lot_area * 100, "
        "density_max, lot_point FROM pairs WHERE density_max > 0 AND lot_area > 0 "
        "GROUP BY lot_id, lot_code, lot_area, density_max, lot_point "
        "HAVING sum(ST_Area(ST_Intersection(geom, lot_geom))) / lot_area * 100 "
        "> density_max + 0.05",
    ):
        yield Found(WARNING, {"lot": lot, "density": density, "max": density_max}, ewkb, lot_id)


def _whole(value) -> str:
    return "—" if value is None else f"{value:g}"
