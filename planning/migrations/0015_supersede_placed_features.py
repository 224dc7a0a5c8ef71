"""What other projects' approvals left in force on the lots they superseded.

Before planning.supersession took out what a plan placed on its superseded lots (buildings,
roads, red lines, networks, notes), an approval superseded the lots alone: the buildings on
them stayed in force, drawn over the new plan. This applies the rule of
planning.supersession.DEPENDENTS to what was superseded so far, in every published revision
of the projects concerned (the plan in force, and the superseded ones, so that history
answers as if the rule had always applied): a feature (not a lot, not the boundary) leaves
force when it lies mostly on its project's land out of force (more than half of an area;
of a length off its own revision's kept lots; a point on it and off them). That land is the
lots of ANY revision of the project that other approvals superseded, less the revision's
own lots in force: an amendment prepared since copied the house but not the superseded lot
under it, and would otherwise keep the house in force on nobody's land (review finding).
A feature is recorded as superseded when its revision lost that land while in force: at its
approval when the land was gone before (an amendment approved since), else at the last
supersession before the revision itself left force, by the approval that made it (review
finding: a lot of a later revision, superseded after this one left force, must not date
it). Set-based, index-backed (each feature reads the lots under it through the spatial
index), self-contained (the rule as it stood when this was written, as a temporary SQL
function of the migrating database session).
"""

from django.db import connection, migrations

# The rule of planning.supersession.DEPENDENTS on one feature: `gone` is the land out of
# force under it, `kept` its own revision's lots in force.
LIES_MOSTLY_ON_SQL = """
CREATE OR REPLACE FUNCTION pg_temp.lies_mostly_on(o geometry, gone geometry, kept geometry)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT gone IS NOT NULL AND NOT ST_IsEmpty(gone) AND CASE ST_Dimension(o)
    WHEN 2 THEN ST_Area(ST_Intersection(o, gone)) > 0.5 * ST_Area(o)
    WHEN 1 THEN ST_Length(
      CASE WHEN kept IS NULL THEN ST_Intersection(o, gone)
           ELSE ST_Difference(ST_Intersection(o, gone), kept) END
    ) > 0.5 * ST_Length(o)
    ELSE ST_Intersects(o, gone) AND (kept IS NULL OR NOT ST_Intersects(o, kept))
  END
$$
"""

SUPERSEDE_PLACED_SQL = """
WITH gone_projects AS (
  SELECT DISTINCT r.project_id
    FROM planning_supersededfeature s
    JOIN planning_feature f ON f.id = s.feature_id
    JOIN planning_layer l ON l.id = f.layer_id AND l.kind = 'landuse'
    JOIN planning_revision r ON r.id = l.revision_id
)
INSERT INTO planning_supersededfeature (feature_id, by_revision_id, superseded_at)
SELECT o.id, chosen.by_revision_id,
       CASE WHEN rule.early THEN greatest(sup.early_at, orv.approved_at) ELSE sup.late_at END
  FROM planning_feature o
  JOIN planning_layer ol ON ol.id = o.layer_id AND ol.kind NOT IN ('landuse', 'boundary')
  JOIN planning_revision orv ON orv.id = ol.revision_id
   AND orv.state IN ('approved', 'superseded') AND orv.approved_at IS NOT NULL
   AND orv.project_id IN (SELECT project_id FROM gone_projects)
 CROSS JOIN LATERAL (
   SELECT ST_Union(f.geom) AS kept
     FROM planning_feature f
     JOIN planning_layer l ON l.id = f.layer_id AND l.kind = 'landuse'
      AND l.revision_id = ol.revision_id
    WHERE f.geom && o.geom AND ST_IsValid(f.geom)
      AND NOT EXISTS (SELECT 1 FROM planning_supersededfeature k WHERE k.feature_id = f.id)
 ) AS own
 CROSS JOIN LATERAL (
   -- the project's lots other approvals superseded while this revision was in force, or
   -- before it came into force (early)
   SELECT ST_Union(f.geom) FILTER (WHERE s.superseded_at <= orv.approved_at) AS early_lots,
          max(s.superseded_at) FILTER (WHERE s.superseded_at <= orv.approved_at) AS early_at,
          ST_Union(f.geom) AS late_lots, max(s.superseded_at) AS late_at
     FROM planning_feature f
     JOIN planning_supersededfeature s ON s.feature_id = f.id
      AND s.superseded_at <= coalesce(orv.superseded_at, 'infinity'::timestamptz)
     JOIN planning_layer l ON l.id = f.layer_id AND l.kind = 'landuse'
     JOIN planning_revision r ON r.id = l.revision_id AND r.project_id = orv.project_id
    WHERE f.geom && o.geom AND ST_IsValid(f.geom) AND ST_Intersects(f.geom, o.geom)
 ) AS sup
 CROSS JOIN LATERAL (
   SELECT pg_temp.lies_mostly_on(o.geom, CASE WHEN own.kept IS NULL THEN sup.early_lots
                                         ELSE ST_Difference(sup.early_lots, own.kept) END,
                                 own.kept) AS early,
          pg_temp.lies_mostly_on(o.geom, CASE WHEN own.kept IS NULL THEN sup.late_lots
                                         ELSE ST_Difference(sup.late_lots, own.kept) END,
                                 own.kept) AS late
 ) AS rule
 CROSS JOIN LATERAL (
   SELECT s.by_revision_id
     FROM planning_feature f
     JOIN planning_supersededfeature s ON s.feature_id = f.id
      AND s.superseded_at = CASE WHEN rule.early THEN sup.early_at ELSE sup.late_at END
     JOIN planning_layer l ON l.id = f.layer_id AND l.kind = 'landuse'
     JOIN planning_revision r ON r.id = l.revision_id AND r.project_id = orv.project_id
    WHERE f.geom && o.geom AND ST_Intersects(f.geom, o.geom)
    ORDER BY s.by_revision_id DESC
    LIMIT 1
 ) AS chosen
 WHERE NOT EXISTS (SELECT 1 FROM planning_supersededfeature x WHERE x.feature_id = o.id)
   AND ST_IsValid(o.geom) AND (rule.early OR rule.late)
"""


def supersede_placed_features(apps, schema_editor) -> None:
    """Tests call it with schema_editor None."""
    database = schema_editor.connection if schema_editor is not None else connection
    with database.cursor() as cursor:
        cursor.execute(LIES_MOSTLY_ON_SQL)
        cursor.execute(SUPERSEDE_PLACED_SQL)


class Migration(migrations.Migration):
    dependencies = [("planning", "0014_feature_lineage")]

    operations = [migrations.RunPython(supersede_placed_features, migrations.RunPython.noop)]
