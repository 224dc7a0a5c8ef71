"""The "generation" of what is in force: the key of every map cache.

A generation string changes whenever the set of in-force revisions (or the land-use
colours, or the database) changes, so a configuration built for it gets a fresh tile
cache directory and never serves a superseded plan. Computing it is one cheap query, so
it can run on every map request.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.apps import apps
from django.conf import settings
from django.db import connection

from planning.models import LandUseCategory, Revision, RevisionState, SupersededFeature

# Bump when the rendering changes in a way that must invalidate every cached tile.
# 2: features are published under stable public ids (Feature.lineage), in cached vector
# tiles and in the bodies WFS and OGC API validators (ETag) stand for.
STYLE_VERSION = "2"


def _fingerprint_sql() -> str:
    """One statement: in-force revision ids with approval times, the colour table and the
    last time what is in force changed (HTTP Last-Modified)."""
    revisions = Revision._meta.db_table
    categories = LandUseCategory._meta.db_table
    rasters = apps.get_model("rasters", "RasterLayer")._meta.db_table  # issue 7: raster layers
    # Features other projects' approvals superseded: a data migration may add some without
    # an approval (0015), and the maps must not keep showing them.
    superseded = SupersededFeature._meta.db_table
    return f"""
        SELECT
          (SELECT coalesce(string_agg(id::text || '@' || coalesce(approved_at::text, ''),
                                      ',' ORDER BY id), '')
             FROM {revisions} WHERE state = %s),
          (SELECT md5(coalesce(string_agg(code || colour, ',' ORDER BY code), ''))
             FROM {categories}),
          (SELECT max(greatest(approved_at, superseded_at))
             FROM {revisions} WHERE state IN (%s, %s)),
          (SELECT coalesce(string_agg(r.id::text || '@' || r.updated_at::text, ',' ORDER BY r.id), '')
             FROM {rasters} r JOIN {revisions} v ON v.id = r.revision_id
            WHERE v.state = %s AND r.cog_path <> ''),
          (SELECT count(*)::text || '/' || coalesce(max(id), 0)::text FROM {superseded})
    """  # noqa: S608 - table names come from the models, values are bound


@dataclass(frozen=True)
class InForceState:
    generation: str
    last_modified: datetime | None  # latest approval or supersession, None before any


def current_generation() -> str:
    """A short, stable name for what the public map shows right now."""
    return in_force_state().generation


def in_force_state() -> InForceState:
    """The generation and when what is in force last changed, from one query."""
    approved, superseded = RevisionState.APPROVED, RevisionState.SUPERSEDED
    # Parameters in statement order: in force, last change (approved or superseded), rasters.
    states = [approved, approved, superseded, approved]
    with connection.cursor() as cursor:
        cursor.execute(_fingerprint_sql(), states)
        in_force, colours, last_modified, rasters, superseded = cursor.fetchone()
    parts = (
        STYLE_VERSION,
        str(connection.settings_dict["NAME"]),
        str(settings.PLANNING_STORAGE_SRID),
        in_force,
        colours,
        rasters,
        superseded,
    )
    digest = hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()[:16]
    return InForceState(f"gen-{digest}", last_modified)
