"""CRS and extent sanity: inside Viet Nam and near the storage zone's central meridian."""

from __future__ import annotations

from django.utils.translation import gettext_noop as _

from planning.qa import ERROR, Context, Found, rule

# Mainland Viet Nam and its islands, generously (lon/lat).
VIETNAM = (102.0, 8.0, 117.5, 23.5)


@rule(
    "extent.outside_vietnam",
    _(
        "%(count)d features of %(layer)s lie outside Viet Nam: shifted or local coordinates, "
        "or a wrong CRS."
    ),
)
def outside_vietnam(context: Context):
    for layer, count, ewkb in context.rows(
        "SELECT layer, count(*), ST_AsEWKB(ST_Envelope(ST_Collect(geom))) "
        "FROM f WHERE NOT ST_Intersects(ST_Transform(ST_Envelope(geom), 4326), "
        "ST_MakeEnvelope(%(minx)s, %(miny)s, %(maxx)s, %(maxy)s, 4326)) GROUP BY layer",
        dict(zip(("minx", "miny", "maxx", "maxy"), VIETNAM, strict=True)),
    ):
        yield Found(ERROR, {"layer": layer, "count": count}, ewkb)
