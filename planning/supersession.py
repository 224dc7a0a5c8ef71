"""An approval also supersedes the lots of OTHER projects' plans in force that it overlaps,
once the approver confirms: those lots leave the plans in force (their revisions stay
immutable; the supersession is recorded in SupersededFeature), and with them what those
plans placed on them: buildings, roads, red lines, networks and notes lying mostly on the
plan's land out of force (more than half of an area, of a length off its kept lots; a
point inside and off them). A plan's boundary stays: the rest of that plan is still in
force.

(QA walk: the lots went, the buildings standing on them stayed on the public map, drawn
over the new plan's lots.)"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.utils.translation import ngettext

from planning.models import Revision, SupersededFeature

# The public id is the published one (lineage or id: planning.models.layers), the id the
# board and the services know the lot by; the row id is what supersession records.
OVERLAPS = """
WITH lots AS (
  SELECT o.id, o.project_code, o.attributes,
         sum(ST_Area(ST_Intersection(m.geom, o.geom))) AS overlapped, max(ST_Area(o.geom)) AS area
  FROM planning_feature m
  JOIN planning_layer lm ON lm.id = m.layer_id AND lm.revision_id = %(revision)s
       AND lm.kind = 'landuse'
  JOIN planning_feature_in_force o ON o.kind = 'landuse' AND o.geom && m.geom
       AND o.project_id <> %(project)s AND ST_IsValid(o.geom) AND ST_IsValid(m.geom)
       AND ST_Relate(m.geom, o.geom, '2********')
  GROUP BY o.id, o.project_code, o.attributes
  HAVING sum(ST_Area(ST_Intersection(m.geom, o.geom))) > %(tolerance)s
)
SELECT lots.id, published.id, lots.project_code,
       coalesce(nullif(btrim(lots.attributes->>'code'), ''), published.id::text),
       lots.overlapped, lots.area
FROM lots
CROSS JOIN LATERAL (SELECT coalesce(f.lineage, f.id) AS id FROM planning_feature f
                    WHERE f.id = lots.id) AS published
ORDER BY lots.project_code, lots.id
"""


# What the superseded lots' plans placed on them (kinds other than lots and boundaries),
# measured per feature against its own plan's land out of force (these lots and those
# earlier approvals superseded: a building half on each is gone) and off the lots of that
# plan still in force (a red line on an edge shared with a kept lot stays). The lots are
# found through the spatial index, per feature.
DEPENDENTS = """
WITH plans AS (
  SELECT DISTINCT revision_id FROM planning_feature_in_force WHERE id = ANY(%(lots)s)
)
SELECT o.id, (SELECT coalesce(p.lineage, p.id) FROM planning_feature p WHERE p.id = o.id),
       o.kind
FROM planning_feature_in_force o
CROSS JOIN LATERAL (
  SELECT ST_Union(f.geom) FILTER (WHERE f.id = ANY(%(lots)s) OR s.feature_id IS NOT NULL)
           AS gone,
         ST_Union(f.geom) FILTER (WHERE NOT (f.id = ANY(%(lots)s)) AND s.feature_id IS NULL)
           AS kept
  FROM planning_feature f
  JOIN planning_layer l ON l.id = f.layer_id AND l.kind = 'landuse'
       AND l.revision_id = o.revision_id
  LEFT JOIN planning_supersededfeature s ON s.feature_id = f.id
  WHERE f.geom && o.geom AND ST_IsValid(f.geom)
) AS land
WHERE o.revision_id IN (SELECT revision_id FROM plans)
  AND o.kind NOT IN ('landuse', 'boundary')
  -- only what touches these lots can newly lie mostly on land out of force (index-backed)
  AND EXISTS (SELECT 1 FROM planning_feature g WHERE g.id = ANY(%(lots)s) AND g.geom && o.geom)
  AND ST_IsValid(o.geom) AND land.gone IS NOT NULL
  AND CASE ST_Dimension(o.geom)
    WHEN 2 THEN ST_Area(ST_Intersection(o.geom, land.gone)) > 0.5 * ST_Area(o.geom)
    WHEN 1 THEN ST_Length(
      CASE WHEN land.kept IS NULL THEN ST_Intersection(o.geom, land.gone)
           ELSE ST_Difference(ST_Intersection(o.geom, land.gone), land.kept) END
    ) > 0.5 * ST_Length(o.geom)
    ELSE ST_Intersects(o.geom, land.gone)
         AND (land.kept IS NULL OR NOT ST_Intersects(o.geom, land.kept))
  END
ORDER BY o.id
"""


@dataclass(frozen=True)
class Overlap:
    feature_id: int  # the row
    public_id: int  # as the services published it
    project_code: str
    lot: str
    area: float  # overlapped
    lot_area: float  # the whole lot's, all of which leaves force

    def as_dict(self) -> dict:
        return {
            "feature": self.public_id,
            "project": self.project_code,
            "lot": self.lot,
            "area": round(self.area, 2),
            "lot_area": round(self.lot_area, 2),
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


@dataclass(frozen=True)
class Dependent:
    """A feature of an overlapped lot's plan lying on the lots that leave force."""

    feature_id: int
    public_id: int
    kind: str


def dependents(overlaps: list[Overlap]) -> list[Dependent]:
    """The features of the overlapped lots' plans that lie on those lots (DEPENDENTS)."""
    if not overlaps:
        return []
    with connection.cursor() as cursor:
        cursor.execute(DEPENDENTS, {"lots": [o.feature_id for o in overlaps]})
        return [Dependent(*row) for row in cursor.fetchall()]


def supersede(revision: Revision, overlaps: list[Overlap], at: datetime) -> list[int]:
    """The overlapped lots and what lies on them leave the plans in force; returns the
    public ids of the latter (the lots' own are in `overlaps`)."""
    placed = dependents(overlaps)
    SupersededFeature.objects.bulk_create(
        [
            SupersededFeature(feature_id=feature, by_revision=revision, superseded_at=at)
            for feature in [*(o.feature_id for o in overlaps), *(d.feature_id for d in placed)]
        ],
        ignore_conflicts=True,
    )
    return [d.public_id for d in placed]


def placed_template(count: int) -> str:
    """How many features of the overlapped plans leave force with their lots, as a template
    of `%(count)d` (the review page's script fills it in too)."""
    return ngettext(
        "%(count)d feature those plans placed on them leaves force with them.",
        "%(count)d features those plans placed on them leave force with them.",
        count,
    )


def placed_text(placed: list[Dependent]) -> str:
    """What leaves force with the lots, counted and then by kind in the reader's language:
    "3 features … leave force with them (Buildings: 2; Roads: 1)"."""
    if not placed:
        return ""
    from planning.layer_kinds import KINDS

    counts = Counter(d.kind for d in placed)
    order = sorted(counts, key=lambda kind: KINDS[kind].draw_order if kind in KINDS else 99)
    kinds = "; ".join(
        f"{KINDS[kind].label if kind in KINDS else kind}: {counts[kind]}" for kind in order
    )
    sentence = placed_template(len(placed)) % {"count": len(placed)}
    return f"{sentence.removesuffix('.')} ({kinds})."
