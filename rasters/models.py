"""Raster layers of a revision: scans of old plans, orthophotos and elevation models.

A raster belongs to a revision exactly like a vector layer, so the one visibility rule
(planning.visibility) decides who sees it. The pixels live in a Cloud-Optimised GeoTIFF
under PLANNING_RASTER_DIR (`cog_path` is relative to it); the row records where it lies
(native CRS, its bounds there, in the storage CRS and in WGS84) and how it was placed.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from planning.models.revisions import PUBLISHED_STATES


class RasterKind(models.TextChoices):
    SCAN = "scan", _("Scanned map")
    ORTHOPHOTO = "orthophoto", _("Orthophoto")
    ELEVATION = "elevation", _("Elevation model")


class GeoreferenceMethod(models.TextChoices):
    FILE = "file", _("Embedded in the file")
    WORLDFILE = "worldfile", _("World file")
    AUX = "aux", _("Sidecar .aux.xml")
    GCP = "gcp", _("Ground control points in the file")
    CONTROL_POINTS = "control_points", _("Control points entered by the planner")
    NONE = "none", _("Not georeferenced yet")


class RasterLayer(models.Model):
    revision = models.ForeignKey(
        "planning.Revision", on_delete=models.CASCADE, related_name="rasters"
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=RasterKind.choices, default=RasterKind.SCAN)
    # The id whose service name this raster takes once published: the scan's first
    # published raster, which every later copy (answering revisions) keeps; null for that
    # raster itself and for copies of a scan never published before. Published copies so
    # share one name (layer_name), and an approval does not rename a scan.
    lineage = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    # The served COG (georeferenced) and, for scans placed by control points, the
    # ungeoreferenced image the control points refer to (pixel col/row).
    cog_path = models.CharField(max_length=300, blank=True)
    raw_path = models.CharField(max_length=300, blank=True)
    crs_wkt = models.TextField(blank=True)
    crs_epsg = models.PositiveIntegerField(null=True, blank=True)
    # (minx, miny, maxx, maxy) in the raster's own CRS and in WGS84 (lon/lat).
    bounds_native = models.JSONField(null=True, blank=True)
    bounds_wgs84 = models.JSONField(null=True, blank=True)
    footprint = models.PolygonField(srid=settings.PLANNING_STORAGE_SRID, null=True, blank=True)
    pixel_size_x = models.FloatField(null=True, blank=True)
    pixel_size_y = models.FloatField(null=True, blank=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    band_count = models.PositiveSmallIntegerField()
    dtype = models.CharField(max_length=20)
    nodata = models.FloatField(null=True, blank=True)
    source_filename = models.CharField(max_length=255)
    source_format = models.CharField(max_length=20)
    scan_date = models.DateField(null=True, blank=True)
    georeference_method = models.CharField(
        max_length=20, choices=GeoreferenceMethod.choices, default=GeoreferenceMethod.FILE
    )
    # [{"col", "row", "x", "y", "residual_x", "residual_y", "residual"}] in `control_crs`.
    control_points = models.JSONField(default=list, blank=True)
    transform_order = models.PositiveSmallIntegerField(null=True, blank=True)
    rms_error = models.FloatField(null=True, blank=True)
    rms_error_pixels = models.FloatField(null=True, blank=True)
    size_bytes = models.BigIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["revision", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind}, revision {self.revision_id})"

    @property
    def is_georeferenced(self) -> bool:
        return bool(self.cog_path) and self.georeference_method != GeoreferenceMethod.NONE

    @property
    def outside_vietnam(self) -> bool:
        """Placed, but nowhere near Viet Nam: a wrong CRS or georeference, which QA refuses
        (planning.qa.rules.extent) and the pages point out."""
        from planning.extent import lonlat_box_meets_vietnam

        return bool(self.bounds_wgs84) and not lonlat_box_meets_vietnam(self.bounds_wgs84)

    @property
    def lineage_id(self) -> int:
        """The id of the scan's service name (this raster's own id if it gives it)."""
        return self.lineage or self.pk

    @property
    def layer_name(self) -> str:
        """The name of the raster in WMS, WMTS and XYZ: once published, the scan's (see
        `lineage`), kept by every later approved copy (external clients keep working across
        approvals; tiles.raster_layers resolves it); before, the raster's own."""
        return f"raster_{self.service_id}"

    @property
    def service_id(self) -> int:
        """The id of its service name (and of its GetFeatureInfo hits): the scan's once
        published, the raster's own before."""
        published = self.revision.state in PUBLISHED_STATES
        return self.lineage_id if published else self.pk

    def cog_file(self) -> Path:
        return Path(settings.PLANNING_RASTER_DIR) / self.cog_path

    def raw_file(self) -> Path:
        return Path(settings.PLANNING_RASTER_DIR) / self.raw_path
