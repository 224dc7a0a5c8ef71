"""Building heights and storey counts that the 3D extrusion cannot use.

A footprint is extruded from its height or storey attribute (threed.extrude); a value that
is not a positive number ("cao", "12m", 0, -5) is skipped there without a word, so the
building stays flat in 3D or takes its height from another attribute. This rule says so,
at the footprint, reading the attributes exactly as the extrusion does."""

from __future__ import annotations

import json

from django.utils.translation import gettext_noop as _

from planning.qa import WARNING, Context, Found, rule

# Buildings whose height or storey attributes are given but unusable (threed.extrude),
# located at the footprint (a point of it when invalid: the finding list needs a geometry
# GEOS can handle).
_SQL = """
SELECT id, code, given, ewkb FROM (
  SELECT id, coalesce(attributes->>'code', '') AS code, ({unusable}) AS given,
         ST_AsEWKB(CASE WHEN ST_IsValid(geom) THEN geom
                        ELSE ST_PointOnSurface(ST_Buffer(geom, 0)) END) AS ewkb
    FROM f WHERE kind = 'buildings' AND NOT ST_IsEmpty(geom)
) x WHERE given <> '{{}}'::jsonb ORDER BY id
"""


@rule(
    "heights.unusable",
    _("Building %(code)s: %(attributes)s is not a positive number and is ignored in 3D."),
)
def unusable(context: Context):
    from threed.extrude import unusable_sql

    for fid, code, given, ewkb in context.rows(_SQL.format(unusable=unusable_sql())):
        if isinstance(given, str):  # Django's cursors leave jsonb undecoded
            given = json.loads(given)
        yield Found(WARNING, {"code": code or f"#{fid}", "attributes": _shown(given)}, ewkb, fid)


def _shown(given: dict[str, str]) -> str:
    """'chieu_cao = “-5”, so_tang = “bốn”' (long values cut: the message stays a line)."""
    return ", ".join(f"{key} = “{_cut(value)}”" for key, value in sorted(given.items()))


def _cut(value: str, limit: int = 40) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"
