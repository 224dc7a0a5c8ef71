"""The "generation" of what is in force: the key of every map cache.

A generation string changes whenever the set of in-force revisions (or the land-use
colours, or the database) changes, so a configuration built for it gets a fresh tile
cache directory and never serves a superseded plan. Computing it is one cheap query, so
it can run on every map request.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import connection

from planning.models import LandUseCategory, Revision, RevisionState

# Bump when the rendering changes in a way that must invalidate every cached tile.
STYLE_VERSION = "1"


def _fingerprint_sql() -> str:
    """One statement: in-force revision ids with approval times, and the colour table."""
    revisions = Revision._meta.db_table
    categories = LandUseCategory._meta.db_table
    return f"""
        SELECT
          (SELECT coalesce(string_agg(id::text || '@' || coalesce(approved_at::text, ''),
                                      ',' ORDER BY id), '')
             FROM {revisions} WHERE state = %s),
          (SELECT md5(coalesce(string_agg(code || colour, ',' ORDER BY code), ''))
             FROM {categories})
    """  # noqa: S608 - table names come from the models, values are bound


def current_generation() -> str:
    """A short, stable name for what the public map shows right now."""
    with connection.cursor() as cursor:
        cursor.execute(_fingerprint_sql(), [RevisionState.APPROVED])
        in_force, colours = cursor.fetchone()
    parts = (
        STYLE_VERSION,
        str(connection.settings_dict["NAME"]),
        str(settings.PLANNING_STORAGE_SRID),
        in_force,
        colours,
    )
    digest = hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()[:16]
    return f"gen-{digest}"
