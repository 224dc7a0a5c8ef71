"""Zoning envelopes: the volume each lot's rules allow a building to fill.

For every land-use lot with a maximum height (`height_max`, m) or maximum storeys
(`storeys_max` x PLANNING_STOREY_HEIGHT_M), the envelope's footprint is the lot minus the
setback strip along the red lines that bound it; the setback is the lot's `setback`
attribute, else the distance from those red lines to the building lines crossing the lot
(layers of kind `redlines`; a line is a building line when its `type` says so: "building
line", "chỉ giới xây dựng", "CGXD"; every other line is a red line). The footprint is
extruded from the lot's base elevation to the maximum height and stored in
threed.Envelope (derived data: rebuilt by build_envelopes). The QA rule
planning/qa/rules/envelope.py checks buildings against the same SQL.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection, transaction

from planning.models import Revision
from planning.qa.rules.sql import COMMON_CTES
from threed.extrude import BASE_KEYS, number_sql
from threed.models import Envelope

_BUILDING_LINE = "(building|x[aâ]y d[uự]ng|cgxd)"

# Appended to planning.qa.rules.sql.COMMON_CTES (f, lots, b): the envelope of each lot.
ENVELOPE_CTES = f"""
, lines AS (
  SELECT geom, lower(coalesce(attributes->>'type', '')) ~ '{_BUILDING_LINE}' AS building_line
  FROM f WHERE kind = 'redlines'
),
lot_rules AS (
  SELECT l.id, l.geom, coalesce(l.attributes->>'code', '') AS code,
         coalesce({number_sql(("height_max",), "l")},
                  {number_sql(("storeys_max",), "l")} * %(storey_height)s) AS height_max,
         {number_sql(("storeys_max",), "l")} AS storeys_max,
         {number_sql(("density", "mdxd", "mat_do_xay_dung"), "l")} AS density_max,
         {number_sql(("setback", "khoang_lui"), "l")} AS setback_attr,
         coalesce({number_sql(BASE_KEYS, "l")}, 0) AS base_elevation
  FROM lots l
),
env AS (
  SELECT r.*, s.setback,
         CASE WHEN s.setback > 0 AND s.reds IS NOT NULL
              THEN ST_Multi(ST_CollectionExtract(
                     ST_Difference(r.geom, ST_Buffer(s.reds, s.setback, 'join=mitre')), 3))
              ELSE ST_Multi(r.geom) END AS footprint
  FROM lot_rules r CROSS JOIN LATERAL (
    SELECT
      (SELECT ST_Union(x.geom) FROM lines x
        WHERE NOT x.building_line AND ST_DWithin(x.geom, r.geom, 0.5)) AS reds,
      coalesce(r.setback_attr,
               (SELECT min(ST_Distance(x.geom, y.geom)) FROM lines x, lines y
                 WHERE NOT x.building_line AND y.building_line
                   AND ST_DWithin(x.geom, r.geom, 0.5) AND ST_Intersects(y.geom, r.geom)),
               0) AS setback
  ) s
  WHERE r.height_max > 0 OR r.density_max > 0
)
"""  # noqa: S608 - constant SQL, values bound

_INSERT = """
INSERT INTO threed_envelope
  (revision_id, lot_id, code, footprint, geom_3d, height_max, base_elevation, setback,
   density_max)
SELECT %(revision)s, id, left(code, 100), footprint,
       ST_Collect(ARRAY(SELECT (ST_Dump(ST_Extrude(
         ST_Translate(ST_Force3D(footprint), 0, 0, base_elevation), 0, 0, height_max))).geom)),
       height_max, base_elevation, setback, density_max
  FROM env
 WHERE height_max > 0 AND NOT ST_IsEmpty(footprint)
"""
_INSERT_SQL = COMMON_CTES + ENVELOPE_CTES + _INSERT


def sql_params(revision_id: int) -> dict:
    return {"revision": revision_id, "storey_height": settings.PLANNING_STOREY_HEIGHT_M}


@transaction.atomic
def build_envelopes(revision: Revision) -> int:
    """Replace the revision's envelopes; returns how many lots got one.

    The revision's row is locked first: two requests that both find the envelopes missing
    (a tileset GET builds them) take turns, and the second replaces the first's rows
    instead of adding its own beside them (its DELETE cannot see uncommitted rows)."""
    Revision.objects.select_for_update().get(pk=revision.pk)
    Envelope.objects.filter(revision=revision).delete()
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_SQL, sql_params(revision.pk))
        return cursor.rowcount


def envelopes_json(revision: Revision) -> dict:
    rows = Envelope.objects.filter(revision=revision).values(
        "id", "lot_id", "code", "height_max", "base_elevation", "setback", "density_max"
    )
    return {"revision": revision.pk, "envelopes": list(rows)}
