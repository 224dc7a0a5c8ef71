"""The outline of a project's plan, for features that need to know where a project lies.

Projects created on the site have no `Project.boundary` (only the demo loader sets it);
their plan boundary is the revision's boundary layer. The outline is therefore: the
project's boundary, else the union of the boundary layer of the given revision, else that
of the project's plan in force (the same fallback as QA's CTE `b` and the balance table).

Visibility: a revision's boundary layer is only used when a revision is passed, so callers
pass one only when their user may see it. Public callers pass none and get the plan in
force's outline, never a draft's.
"""

from __future__ import annotations

from django.contrib.gis.geos import GEOSGeometry
from django.db import connection

from planning.models import RevisionState

__all__ = ["outline", "outline_sql"]

# The union of the boundary layers matching {where} (polygons only, made valid first: a
# self-intersecting boundary must not make an upload or a map list fail).
_BOUNDARY_LAYER = (
    "(SELECT u FROM (SELECT ST_Multi(ST_CollectionExtract(ST_Union(ST_MakeValid(bf.geom)), 3)) AS u "
    "FROM planning_feature bf JOIN planning_layer bl ON bl.id = bf.layer_id "
    "JOIN planning_revision br ON br.id = bl.revision_id "
    "WHERE bl.kind = 'boundary' AND {where}) bu WHERE NOT ST_IsEmpty(u))"
)


def outline_sql(project: str, revision: str | None = None) -> str:
    """A SQL expression for the outline (storage CRS, NULL when there is none). `project` and
    `revision` are SQL for their ids: a placeholder or a column, never user text."""
    parts = [f"(SELECT op.boundary FROM planning_project op WHERE op.id = {project})"]  # noqa: S608
    if revision is not None:
        parts.append(_BOUNDARY_LAYER.format(where=f"br.id = {revision}"))
    in_force = f"br.project_id = {project} AND br.state = '{RevisionState.APPROVED.value}'"
    parts.append(_BOUNDARY_LAYER.format(where=in_force))
    return "coalesce(" + ", ".join(parts) + ")"


def outline(project_id: int, revision_id: int | None = None) -> GEOSGeometry | None:
    """The outline of the project (see the module), with the boundary layer of `revision_id`
    before the plan in force's: pass a revision only when the caller may see it."""
    revision = "%(revision)s" if revision_id is not None else None
    sql = f"SELECT ST_AsEWKB({outline_sql('%(project)s', revision)})"
    with connection.cursor() as cursor:
        cursor.execute(sql, {"project": project_id, "revision": revision_id})
        (value,) = cursor.fetchone()
    return GEOSGeometry(memoryview(value)) if value is not None else None
