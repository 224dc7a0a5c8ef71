"""Who sees which raster: the one rule of planning.visibility, applied by revision."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from planning.visibility import service_revisions, visible_revisions
from rasters.models import RasterLayer


def visible_rasters(user) -> QuerySet[RasterLayer]:
    """Rasters of the revisions `user` may see (the API)."""
    return RasterLayer.objects.filter(revision__in=visible_revisions(user))


def service_rasters(user, at: datetime | None = None) -> QuerySet[RasterLayer]:
    """Georeferenced rasters a map service shows: those of the plans in force (at `at`),
    plus, for a signed-in caller, those of their own unpublished revisions."""
    return (
        RasterLayer.objects.filter(revision__in=service_revisions(user, at))
        .exclude(cog_path="")
        .select_related("revision__project")
    )
