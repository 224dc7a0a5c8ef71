"""An approval also supersedes the lots of OTHER projects' plans in force that it overlaps,
once the approver confirms: those lots leave the plans in force (their revisions stay
immutable; the supersession is recorded in SupersededFeature), and with them what those
plans placed on them: buildings, roads, red lines, networks and notes lying mostly on the
superseded lots (more than half of an area or a length; a point inside). A plan's boundary
stays: the rest of that plan is still in force.

(QA walk: the lots went, the buildings standing on them stayed on the public map, drawn
over the new plan's lots.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection

from planning.models import Revision, SupersededFeature

OVERLAPS = """
SELECT o.id, o.project_code, coalesce(o.attributes->>'code', o.id::text),
       sum(ST_Area(ST_Intersection(m.geom, o.geom)))
FROM planning_feature m
JOIN planning_layer lm ON lm.id = m.layer_id AND lm.revision_id = %(revision)s
     AND lm.kind = 'landuse'
JOIN planning_feature_in_force o ON o.kind = 'landuse' AND o.geom && m.geom
     AND o.project_id <> %(project)s AND ST_IsValid(o.geom) AND ST_IsValid(m.geom)
     AND ST_Relate(m.geom, o.geom, '2********')
GROUP BY o.id, o.project_code, o.attributes
HAVING sum(ST_Area(ST_Intersection(m.geom, o.geom))) > %(tolerance)s
ORDER BY o.project_code, o.id
"""


# What the superseded lots' plans placed on them (kinds other than lots and boundaries).
DEPENDENTS = """
WITH taken AS (
  SELECT ST_Union(geom) AS geom FROM planning_feature
  WHERE id = ANY(%(lots)s) AND ST_IsValid(geom)
)
SELECT o.id
FROM planning_feature_in_force o, taken
WHERE o.project_id IN (SELECT project_id FROM planning_feature_in_force WHERE id = ANY(%(lots)s))
  AND o.kind NOT IN ('landuse', 'boundary') AND o.geom && taken.geom AND ST_IsValid(o.geom)
  AND CASE ST_Dimension(o.geom)
    WHEN 2 THEN ST_Area(ST_Intersection(o.geom, taken.geom)) > 0.5 * ST_Area(o.geom)
    WHEN 1 THEN ST_Length(ST_Intersection(o.geom, taken.geom)) > 0.5 * ST_Length(o.geom)
    ELSE ST_Intersects(o.geom, taken.geom)
  END
ORDER BY o.id
"""


@dataclass(frozen=True)
class Overlap:
    feature_id: int
    project_code: str
    lot: str
    area: float

    def as_dict(self) -> dict:
        return {
            "feature": self.feature_id,
            "project": self.project_code,
            "lot": self.lot,
            "area": round(self.area, 2),
        }


def overlapping_lots(revision: Revision) -> list[Overlap]:
    """Lots of other projects' plans in force that the revision's lots overlap."""
    with connection.cursor() as cursor:
        cursor.execute(
            OVERLAPS,
            {
                "revision": revision.pk,
                "project": revision.project_id,
                "tolerance": settings.PLANNING_QA_AREA_TOLERANCE_M2,
            },
        )
        return [Overlap(*row) for row in cursor.fetchall()]


def dependents(overlaps: list[Overlap]) -> list[int]:
    """The features of the overlapped lots' plans that lie on those lots (DEPENDENTS)."""
    if not overlaps:
        return []
    with connection.cursor() as cursor:
        cursor.execute(DEPENDENTS, {"lots": [o.feature_id for o in overlaps]})
        return [row[0] for row in cursor.fetchall()]


def supersede(revision: Revision, overlaps: list[Overlap], at: datetime) -> list[int]:
    """The overlapped lots and what lies on them leave the plans in force; returns the ids
    of the latter (the lots' own are in `overlaps`)."""
    placed = dependents(overlaps)
    SupersededFeature.objects.bulk_create(
        [
            SupersededFeature(feature_id=feature, by_revision=revision, superseded_at=at)
            for feature in [*(o.feature_id for o in overlaps), *placed]
        ],
        ignore_conflicts=True,
    )
    return placed
