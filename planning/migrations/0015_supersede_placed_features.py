"""What other projects' approvals left in force on the lots they superseded.

Before planning.supersession took out what a plan placed on its superseded lots (buildings,
roads, red lines, networks, notes), an approval superseded the lots alone: the buildings on
them stayed in force, drawn over the new plan. This applies the rule of
planning.supersession.DEPENDENTS to the lots superseded so far: a feature of a plan still in
force (not a lot, not the boundary) leaves force when it lies mostly on that plan's land out
of force (more than half of an area; of a length off the plan's kept lots; a point on it and
off them). It is recorded as superseded by the latest approval that superseded a lot under
it, at that approval's instant, so history answers as if the rule had always applied.
Set-based, self-contained (the rule as it stood when this was written).
"""

from django.db import connection, migrations

SUPERSEDE_PLACED_SQL = """
WITH gone_plans AS (
  SELECT DISTINCT l.revision_id
    FROM planning_supersededfeature s
    JOIN planning_feature f ON f.id = s.feature_id
    JOIN planning_layer l ON l.id = f.layer_id AND l.kind = 'landuse'
    JOIN planning_revision r ON r.id = l.revision_id AND r.state = 'approved'
)
INSERT INTO planning_supersededfeature (feature_id, by_revision_id, superseded_at)
SELECT o.id, latest.by_revision_id, latest.superseded_at
  FROM planning_feature o
  JOIN planning_layer ol ON ol.id = o.layer_id AND ol.kind NOT IN ('landuse', 'boundary')
   AND ol.revision_id IN (SELECT revision_id FROM gone_plans)
 CROSS JOIN LATERAL (
   SELECT ST_Union(f.geom) FILTER (WHERE s.feature_id IS NOT NULL) AS gone,
          ST_Union(f.geom) FILTER (WHERE s.feature_id IS NULL) AS kept
     FROM planning_feature f
     JOIN planning_layer l ON l.id = f.layer_id AND l.kind = 'landuse'
      AND l.revision_id = ol.revision_id
     LEFT JOIN planning_supersededfeature s ON s.feature_id = f.id
    WHERE f.geom && o.geom AND ST_IsValid(f.geom)
 ) AS land
 CROSS JOIN LATERAL (
   SELECT s.by_revision_id, s.superseded_at
     FROM planning_supersededfeature s
     JOIN planning_feature f ON f.id = s.feature_id AND f.geom && o.geom
     JOIN planning_layer l ON l.id = f.layer_id AND l.kind = 'landuse'
      AND l.revision_id = ol.revision_id
    ORDER BY s.superseded_at DESC, s.by_revision_id DESC
    LIMIT 1
 ) AS latest
 WHERE NOT EXISTS (SELECT 1 FROM planning_supersededfeature x WHERE x.feature_id = o.id)
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
"""


def supersede_placed_features(apps, schema_editor) -> None:
    """Tests call it with schema_editor None."""
    database = schema_editor.connection if schema_editor is not None else connection
    with database.cursor() as cursor:
        cursor.execute(SUPERSEDE_PLACED_SQL)


class Migration(migrations.Migration):
    dependencies = [("planning", "0014_feature_lineage")]

    operations = [migrations.RunPython(supersede_placed_features, migrations.RunPython.noop)]
