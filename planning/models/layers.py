from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GistIndex
from django.db.models import Q

from planning import layer_names
from planning.layer_kinds import KIND_CHOICES


class Layer(models.Model):
    """A planning layer of one revision (land-use lots, roads, red lines ...)."""

    revision = models.ForeignKey("Revision", on_delete=models.CASCADE, related_name="layers")
    kind = models.CharField(max_length=32, choices=KIND_CHOICES)
    name = models.CharField(max_length=200)
    source_name = models.CharField(max_length=300, blank=True)
    source_format = models.CharField(max_length=64, blank=True)
    source_crs = models.TextField(blank=True)
    # The attribute names and types of the source, in source order: [{"name", "type"}].
    attribute_schema = models.JSONField(default=list)
    feature_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["revision", "kind", "id"]
        indexes = [models.Index(fields=["revision", "kind"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"

    @property
    def shown_name(self) -> str:
        """The name as pages show it: a generated kind label in the reader's language."""
        return layer_names.shown_name(self.name)


class Feature(models.Model):
    """A planning feature: 2D geometry in the storage CRS, optional 3D, JSONB attributes."""

    # Integrity is kept by set-based statement triggers (migration 0004), not a row-level
    # foreign key: per-row RI checks cost as much as the whole COPY of a large import.
    layer = models.ForeignKey(
        Layer, on_delete=models.CASCADE, related_name="features", db_constraint=False
    )
    geom = models.GeometryField(srid=settings.PLANNING_STORAGE_SRID)
    geom_3d = models.GeometryField(
        srid=settings.PLANNING_STORAGE_SRID, dim=3, null=True, blank=True, spatial_index=False
    )
    attributes = models.JSONField(default=dict)
    # Land-use category code copied out of the attributes: styling and balance tables.
    category = models.CharField(max_length=32, blank=True)
    # Where the feature came from: "<file>#<source layer>:<fid>".
    source_ref = models.CharField(max_length=500, blank=True)

    class Meta:
        # Most features have no 3D geometry: a partial index skips their NULL entries.
        # No GIN index on attributes: it tripled bulk-load time and the services filter with
        # ->> expressions, which jsonb_ops does not serve. Add expression indexes per need.
        indexes = [
            GistIndex(
                fields=["geom_3d"], condition=Q(geom_3d__isnull=False), name="feature_geom_3d_gist"
            )
        ]

    def __str__(self) -> str:
        return f"feature {self.pk} of layer {self.layer_id}"
