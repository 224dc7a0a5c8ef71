"""The land-use balance table (bảng cân bằng sử dụng đất) of a revision.

One row per land-use category of the lots (and roads as transport land) with area and
share of the plan area, in the storage CRS so areas are the legal (TM-3 plane) areas. Lots
without a category make a row of their own, "Uncategorised" (code ""): they are lots all the
same, and their area counts. Features of the land-use layers that are not polygons have no
area: they are counted apart (`without_area`), so a page can tell "no lots" from "lots that
cannot be measured".
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.utils.translation import gettext as _

from planning.models import LandUseCategory, Revision

SQL = """
SELECT CASE WHEN l.kind = 'roads' AND f.category = '' THEN 'GT' ELSE f.category END AS code,
       sum(ST_Area(f.geom)) AS area, count(*) AS lots
FROM planning_feature f JOIN planning_layer l ON l.id = f.layer_id
WHERE l.revision_id = %(revision)s AND l.kind IN ('landuse', 'roads')
  AND GeometryType(f.geom) IN ('POLYGON', 'MULTIPOLYGON')
GROUP BY 1 ORDER BY 2 DESC
"""
WITHOUT_AREA = """
SELECT count(*) FROM planning_feature f JOIN planning_layer l ON l.id = f.layer_id
WHERE l.revision_id = %(revision)s AND l.kind = 'landuse'
  AND GeometryType(f.geom) NOT IN ('POLYGON', 'MULTIPOLYGON')
"""
UNCATEGORISED_COLOUR = "#888888"  # what the maps draw a lot without a category in
BOUNDARY_AREA = """
SELECT coalesce(
  (SELECT ST_Area(ST_Union(f.geom)) FROM planning_feature f JOIN planning_layer l ON l.id = f.layer_id
   WHERE l.revision_id = %(revision)s AND l.kind = 'boundary'),
  (SELECT ST_Area(p.boundary) FROM planning_project p JOIN planning_revision r ON r.project_id = p.id
   WHERE r.id = %(revision)s))
"""


@dataclass
class BalanceRow:
    code: str
    name: str
    colour: str
    area: float
    lots: int
    share: float  # % of the plan boundary area (of the total when there is no boundary)


@dataclass
class Balance:
    rows: list[BalanceRow]
    total_area: float
    boundary_area: float | None
    without_area: int = 0  # land-use features that are not polygons: not in the rows
    # % of the base the rows cover together, from the unrounded areas: the rows' rounded
    # shares can add up to 99.99 where the lots cover the whole boundary.
    total_share: float = 0.0

    @property
    def difference_pct(self) -> float | None:
        if not self.boundary_area:
            return None
        return (self.total_area - self.boundary_area) / self.boundary_area * 100


def balance_of(revision: Revision) -> Balance:
    """The table of `revision`; category names in the active language."""
    with connection.cursor() as cursor:
        cursor.execute(SQL, {"revision": revision.pk})
        raw = cursor.fetchall()
        cursor.execute(BOUNDARY_AREA, {"revision": revision.pk})
        boundary_area = cursor.fetchone()[0]
        cursor.execute(WITHOUT_AREA, {"revision": revision.pk})
        without_area = cursor.fetchone()[0]
    total = sum(area for _code, area, _lots in raw)
    base = boundary_area or total or 1.0
    catalogue = {c.code: c for c in LandUseCategory.objects.filter(code__in=[r[0] for r in raw])}
    rows = [
        BalanceRow(
            code=code or "",
            name=_name(code, catalogue),
            colour=_colour(code, catalogue),
            area=round(area, 2),
            lots=lots,
            share=round(area / base * 100, 2),
        )
        for code, area, lots in raw
    ]
    return Balance(
        rows,
        round(total, 2),
        round(boundary_area, 2) if boundary_area else None,
        without_area,
        round(total / base * 100, 2) if raw else 0.0,
    )


def _name(code: str | None, catalogue: dict[str, LandUseCategory]) -> str:
    if not code:
        return _("Uncategorised")
    return catalogue[code].name if code in catalogue else ""


def _colour(code: str | None, catalogue: dict[str, LandUseCategory]) -> str:
    if not code:
        return UNCATEGORISED_COLOUR
    return catalogue[code].colour if code in catalogue else ""
