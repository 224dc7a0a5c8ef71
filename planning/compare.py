"""The change layer between two revisions: features added, removed, changed in geometry or
attributes. Lots are matched by layer kind and lot code; features without a code by equal
geometry. Computed in PostGIS; geometries come out in EPSG:4326 for the map."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import connection

from planning import visibility
from planning.models import Revision, RevisionState

SQL = """
WITH a AS (
  SELECT f.id, l.kind, f.attributes, f.geom, f.attributes->>'code' AS code
  FROM planning_feature f JOIN planning_layer l ON l.id = f.layer_id WHERE l.revision_id = %(old)s
), b AS (
  SELECT f.id, l.kind, f.attributes, f.geom, f.attributes->>'code' AS code
  FROM planning_feature f JOIN planning_layer l ON l.id = f.layer_id WHERE l.revision_id = %(new)s
), pairs AS (
  SELECT a.id AS old_id, b.id AS new_id, coalesce(a.kind, b.kind) AS kind,
         coalesce(b.code, a.code) AS code, a.geom AS old_geom, b.geom AS new_geom,
         a.attributes AS old_attrs, b.attributes AS new_attrs
  FROM a FULL OUTER JOIN b ON a.kind = b.kind AND (
    (a.code IS NOT NULL AND a.code = b.code)
    OR (a.code IS NULL AND b.code IS NULL AND a.geom && b.geom AND ST_Equals(a.geom, b.geom)))
)
SELECT old_id, new_id, kind, code,
  CASE WHEN old_id IS NULL THEN 'added' WHEN new_id IS NULL THEN 'removed'
       WHEN NOT ST_Equals(old_geom, new_geom) THEN 'geometry'
       WHEN old_attrs <> new_attrs THEN 'attributes' ELSE 'same' END AS change,
  ST_AsGeoJSON(ST_Transform(coalesce(new_geom, old_geom), 4326), 7),
  old_attrs, new_attrs
FROM pairs
"""


@dataclass
class Change:
    change: str  # added | removed | geometry | attributes
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
        cursor.execute(SQL, {"old": old.pk, "new": new.pk})
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
