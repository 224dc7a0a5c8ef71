"""Zoning envelopes: the 3D volume a lot's rules allow (see docs/3d.md)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models


class Envelope(models.Model):
    """The buildable volume of one lot of a revision: its footprint inside the setbacks,
    extruded to the lot's maximum height. Derived data: rebuilt by threed.envelopes."""

    revision = models.ForeignKey(
        "planning.Revision", on_delete=models.CASCADE, related_name="envelopes"
    )
    # The lot (a landuse feature). No constraint and no cascade: deleting features stays a
    # fast bulk delete; envelopes go with their revision and are rebuilt from the lots.
    lot = models.ForeignKey(
        "planning.Feature", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    code = models.CharField(max_length=100, blank=True)
    footprint = models.GeometryField(srid=settings.PLANNING_STORAGE_SRID)
    geom_3d = models.GeometryField(srid=settings.PLANNING_STORAGE_SRID, dim=3)
    height_max = models.FloatField()
    base_elevation = models.FloatField(default=0.0)
    setback = models.FloatField(default=0.0)
    # Maximum building density (MĐXD, % of the lot area), when the lot sets one.
    density_max = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["revision", "code", "id"]
        indexes = [models.Index(fields=["revision"])]

    def __str__(self) -> str:
        return f"envelope of lot {self.code or self.lot_id}"
