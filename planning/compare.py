"""The change layer between two revisions: features added, removed, changed in geometry,
attributes or both. Lots are matched by layer kind and lot code; features without a code by
geometry equal within GEOMETRY_TOLERANCE_M. Computed in PostGIS; geometries come out in
EPSG:4326 for the map."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import connection

from planning import visibility
from planning.models import Revision, RevisionState

# Shifts up to this many metres (storage units) are not geometry changes: a re-export through
# 7-decimal lon/lat (GeoJSON, OGC API) rounds each vertex by up to 8 mm, and 1 cm is below any
# plan's drawing precision (CAD snapping closes 5 cm gaps, docs/settings.md).
GEOMETRY_TOLERANCE_M = 0.01

# Lots are hash-joined on (kind, code); features without a code (code NULL or "") share the key
# (kind, '') and are paired when each lies within the tolerance of the other (Hausdorff
# distance, after a bounding-box test), so only those are compared pairwise.
# ST_HausdorffDistance alone measures from vertices only: a lot reshaped over the same
# vertices (a notch moved to another side) would read as unchanged. The densified distance
# also samples each segment at quarters; the plain one first decides most pairs cheaply.
SQL = """
WITH a AS (
  SELECT f.id, l.kind, f.attributes, f.geom, nullif(f.attributes->>'code', '') AS code
  FROM planning_feature f JOIN planning_layer l ON l.id = f.layer_id WHERE l.revision_id = %(old)s
), b AS (
  SELECT f.id, l.kind, f.attributes, f.geom, nullif(f.attributes->>'code', '') AS code
  FROM planning_feature f JOIN planning_layer l ON l.id = f.layer_id WHERE l.revision_id = %(new)s
), pairs AS (
  SELECT a.id AS old_id, b.id AS new_id, coalesce(a.kind, b.kind) AS kind,
         coalesce(b.code, a.code) AS code, a.geom AS old_geom, b.geom AS new_geom,
         a.attributes AS old_attrs, b.attributes AS new_attrs
  FROM a FULL OUTER JOIN b ON a.kind = b.kind AND coalesce(a.code, '') = coalesce(b.code, '')
    AND (a.code IS NOT NULL OR (
      a.geom && ST_Expand(b.geom, %(tolerance)s)
      AND ST_HausdorffDistance(a.geom, b.geom) <= %(tolerance)s
      AND ST_HausdorffDistance(a.geom, b.geom, 0.25) <= %(tolerance)s))
), compared AS (
  SELECT *,
    old_id IS NOT NULL AND new_id IS NOT NULL AND NOT ST_OrderingEquals(old_geom, new_geom)
      AND (ST_HausdorffDistance(old_geom, new_geom) > %(tolerance)s
           OR ST_HausdorffDistance(old_geom, new_geom, 0.25) > %(tolerance)s) AS geometry_changed,
    old_attrs IS DISTINCT FROM new_attrs AS attributes_changed
  FROM pairs
)
SELECT old_id, new_id, kind, code,
  CASE WHEN old_id IS NULL THEN 'added' WHEN new_id IS NULL THEN 'removed'
       WHEN geometry_changed AND attributes_changed THEN 'geometry_attributes'
       WHEN geometry_changed THEN 'geometry'
       WHEN attributes_changed THEN 'attributes' ELSE 'same' END AS change,
  ST_AsGeoJSON(ST_Transform(coalesce(new_geom, old_geom), 4326), 7),
  old_attrs, new_attrs
FROM compared
"""


# What `Change.change` says, in the order the review page's legend lists them. A pair whose
# geometry moved by at most GEOMETRY_TOLERANCE_M and whose attributes are equal is not a change.
CHANGE_TYPES = ("added", "removed", "geometry", "attributes", "geometry_attributes")


@dataclass
class Change:
    change: str  # one of CHANGE_TYPES
    kind: str
    code: str | None
    old_id: int | None
    new_id: int | None
    geometry: dict
    attributes_before: dict | None
    attributes_after: dict | None


def baseline_of(revision: Revision, user) -> Revision | None:
    """What `user` compares a revision with by default: the revision it answers, else the
    project's plan in force. An answered revision the user may not see (a change request
    answered by a plan now in force, a planner's draft) is never a baseline: its features
    would show through the diff, so the plan in force stands in, as for a first revision."""
    if revision.based_on_id:
        answered = visibility.visible_revisions(user).filter(pk=revision.based_on_id).first()
        if answered is not None:
            return answered
    return (
        Revision.objects.filter(project_id=revision.project_id, state=RevisionState.APPROVED)
        .exclude(pk=revision.pk)
        .first()
    )


def changes(old: Revision, new: Revision) -> list[Change]:
    with connection.cursor() as cursor:
        cursor.execute(SQL, {"old": old.pk, "new": new.pk, "tolerance": GEOMETRY_TOLERANCE_M})
        rows = cursor.fetchall()
    return [
        Change(
            change,
            kind,
            code,
            old_id,
            new_id,
            json.loads(geometry),
            _as_dict(before),
            _as_dict(after),
        )
        for old_id, new_id, kind, code, change, geometry, before, after in rows
        if change != "same"
    ]


def _as_dict(value) -> dict | None:
    if value is None:
        return None
    return value if isinstance(value, dict) else json.loads(value)
