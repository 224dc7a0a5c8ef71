"""CRS and extent sanity: inside Viet Nam and near the storage zone's central meridian, for
the revision's features and for its placed rasters."""

from __future__ import annotations

from django.utils.translation import gettext_noop as _

from planning.extent import VIETNAM_LONLAT, storage_envelope
from planning.qa import ERROR, Context, Found, rule

# Transformed only when its box lies inside the envelope in the storage CRS (CASE keeps the
# order): a feature stored far off cannot be transformed at all, and is outside anyway.
# The finding's geometry is clipped to the envelope so the review map can show it.
_OUTSIDE_SQL = """
SELECT layer, count(*), ST_AsEWKB(ST_ClipByBox2D(ST_Envelope(ST_Collect(geom)),
       ST_MakeEnvelope(%(west)s, %(south)s, %(east)s, %(north)s)))
  FROM f
 WHERE CASE WHEN geom @ ST_MakeEnvelope(%(west)s, %(south)s, %(east)s, %(north)s, ST_SRID(geom))
            THEN NOT ST_Intersects(ST_Transform(ST_Envelope(geom), 4326),
                                   ST_MakeEnvelope(%(minx)s, %(miny)s, %(maxx)s, %(maxy)s, 4326))
            ELSE true END
 GROUP BY layer
"""


@rule(
    "extent.outside_vietnam",
    _(
        "%(count)d features of %(layer)s lie outside Viet Nam: shifted or local coordinates, "
        "or a wrong CRS."
    ),
)
def outside_vietnam(context: Context):
    storage = dict(zip(("west", "south", "east", "north"), storage_envelope(), strict=True))
    lonlat = dict(zip(("minx", "miny", "maxx", "maxy"), VIETNAM_LONLAT, strict=True))
    for layer, count, ewkb in context.rows(_OUTSIDE_SQL, {**storage, **lonlat}):
        yield Found(ERROR, {"layer": layer, "count": count}, ewkb)


@rule(
    "extent.raster_outside_vietnam",
    _("The raster %(raster)s lies outside Viet Nam: a wrong CRS or georeference."),
)
def raster_outside_vietnam(context: Context):
    """Placed rasters whose lon/lat box misses Viet Nam (a sample in UTM zone 11 uploaded by
    mistake would otherwise be published with the plan, and its box span half the globe)."""
    from rasters.models import RasterLayer  # rasters builds on planning, not the reverse

    rasters = RasterLayer.objects.filter(revision=context.revision, bounds_wgs84__isnull=False)
    for raster in rasters.order_by("id").only("name", "bounds_wgs84"):
        if raster.outside_vietnam:
            yield Found(ERROR, {"raster": raster.name})
