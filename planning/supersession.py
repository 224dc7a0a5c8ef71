"""An approval also supersedes the lots of OTHER projects' plans in force that it overlaps,
once the approver confirms: those lots leave the plans in force (their revisions stay
immutable; the supersession is recorded in SupersededFeature)."""

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


def supersede(revision: Revision, overlaps: list[Overlap], at: datetime) -> int:
    SupersededFeature.objects.bulk_create(
        [
            SupersededFeature(feature_id=o.feature_id, by_revision=revision, superseded_at=at)
            for o in overlaps
        ],
        ignore_conflicts=True,
    )
    return len(overlaps)
