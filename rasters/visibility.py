"""Who sees which raster: the one rule of planning.visibility, applied by revision."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from planning.models import RevisionState
from planning.visibility import service_revisions, visible_revisions
from rasters.models import RasterLayer

_PUBLISHED = [RevisionState.APPROVED, RevisionState.SUPERSEDED]


def visible_rasters(user) -> QuerySet[RasterLayer]:
    """Rasters of the revisions `user` may see (the API)."""
    return RasterLayer.objects.filter(revision__in=visible_revisions(user))


def service_rasters(user, at: datetime | None = None) -> QuerySet[RasterLayer]:
    """Georeferenced rasters a map service shows: those of the plans in force (at `at`),
    plus, for a signed-in caller and no `at`, those of their own unpublished revisions."""
    return (
        RasterLayer.objects.filter(revision__in=service_revisions(user, at))
        .exclude(cog_path="")
        .select_related("revision__project")
    )


def requestable_rasters(user, at: datetime | None = None) -> QuerySet[RasterLayer]:
    """Rasters a map service accepts by name: those it shows (service_rasters) and, at an
    instant `at`, also the signed-in caller's own unpublished ones. A draft is in force at
    no instant, so it is drawn empty then, as their draft lots are; but its name stays
    known to its author (and to nobody else)."""
    shown = Q(revision__in=service_revisions(user, at))
    if at is not None:
        own_drafts = service_revisions(user).exclude(state__in=_PUBLISHED)
        shown |= Q(revision__in=own_drafts)
    return RasterLayer.objects.filter(shown).exclude(cog_path="")
