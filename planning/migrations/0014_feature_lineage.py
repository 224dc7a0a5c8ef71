"""Feature.lineage: the id a published feature is served under, shared by the copies that
answering revisions take, so an approval that leaves a lot unchanged does not renumber it.

Features copied before this field existed are linked here, as planning.actions would have
linked them. A copy was made when its revision was created from `based_on` (in the same
transaction), so a copied layer is a layer of the answering revision created by its author
within COPY_WINDOW of it, matched to a layer of `based_on` of the same kind and name, in id
order; a copied feature is one of its features matched to a feature of that layer with the
same source reference, attributes and geometry, in id order. Anything unmatched (a layer
uploaded later, a feature repaired since) stays unlinked: it keeps its own id, as before.
Along a chain the lineage is the first published feature's id: a copy of a published
feature takes its source's lineage, else the source's id; a copy of an unpublished one
carries its source's lineage. Set-based statements, over temporary tables of the pairs.
"""

from django.db import connection, migrations, models

# Copying a large plan takes a while: its last layer is created well after the revision.
COPY_WINDOW = "1 hour"

# Step 1: the copied layers (copy, source, whether the source was published).
LAYER_PAIRS_SQL = """
CREATE TEMPORARY TABLE lineage_layer_pair AS
SELECT c.id AS copy_layer, s.id AS source_layer,
       b.state IN ('approved', 'superseded') AS published
  FROM (SELECT l.id, l.revision_id, l.kind, l.name,
               row_number() OVER (PARTITION BY l.revision_id, l.kind, l.name ORDER BY l.id) AS n
          FROM planning_layer l JOIN planning_revision r ON r.id = l.revision_id
         WHERE r.based_on_id IS NOT NULL AND l.created_by_id = r.author_id
           AND l.created_at BETWEEN r.created_at AND r.created_at + %(window)s::interval) c
  JOIN planning_revision r ON r.id = c.revision_id
  JOIN planning_revision b ON b.id = r.based_on_id
  JOIN (SELECT l.id, l.revision_id, l.kind, l.name,
               row_number() OVER (PARTITION BY l.revision_id, l.kind, l.name ORDER BY l.id) AS n
          FROM planning_layer l) s
    ON s.revision_id = b.id AND s.kind = c.kind AND s.name = c.name AND s.n = c.n
"""
# Step 2: the copied features. Features of those layers are numbered among their equals
# (by hashes of the content, cheap to sort); equal numbers pair up, and the values
# themselves are compared last.
FEATURE_PAIRS_SQL = """
CREATE TEMPORARY TABLE lineage_feature_pair AS
WITH numbered AS MATERIALIZED (
  SELECT f.id, f.layer_id, f.source_ref, md5(f.attributes::text) AS attributes_key,
         md5(ST_AsEWKB(f.geom)) AS geom_key,
         row_number() OVER (PARTITION BY f.layer_id, f.source_ref, md5(f.attributes::text),
                                         md5(ST_AsEWKB(f.geom)) ORDER BY f.id) AS n
    FROM planning_feature f
   WHERE f.layer_id IN (SELECT copy_layer FROM lineage_layer_pair)
      OR f.layer_id IN (SELECT source_layer FROM lineage_layer_pair)
)
SELECT c.id AS copy_id, s.id AS source_id, p.published
  FROM lineage_layer_pair p
  JOIN numbered c ON c.layer_id = p.copy_layer
  JOIN numbered s ON s.layer_id = p.source_layer AND s.source_ref = c.source_ref
   AND s.attributes_key = c.attributes_key AND s.geom_key = c.geom_key AND s.n = c.n
  JOIN planning_feature cf ON cf.id = c.id
  JOIN planning_feature sf ON sf.id = s.id
 WHERE sf.attributes = cf.attributes AND ST_OrderingEquals(sf.geom, cf.geom)
"""
# Indexes and statistics, so the planner joins the (possibly millions of) pairs by hash.
PAIR_INDEXES_SQL = (
    "CREATE UNIQUE INDEX ON lineage_feature_pair (copy_id)",
    "CREATE INDEX ON lineage_feature_pair (source_id)",
    "ANALYZE lineage_feature_pair",
)
# Step 3: down every chain from the features that are no copies, the rule of
# planning.actions.COPY_FEATURES: a copy of a published feature takes its source's
# lineage, else the source's id; a copy of an unpublished one carries its source's lineage.
LINK_SQL = """
WITH RECURSIVE chain (copy_id, lineage) AS (
  SELECT p.copy_id, CASE WHEN p.published THEN p.source_id END
    FROM lineage_feature_pair p LEFT JOIN lineage_feature_pair q ON q.copy_id = p.source_id
   WHERE q.copy_id IS NULL
  UNION ALL
  SELECT p.copy_id,
         CASE WHEN p.published THEN COALESCE(c.lineage, c.copy_id) ELSE c.lineage END
    FROM lineage_feature_pair p JOIN chain c ON p.source_id = c.copy_id
)
UPDATE planning_feature f SET lineage = chain.lineage
  FROM chain
 WHERE f.id = chain.copy_id AND chain.lineage IS NOT NULL
"""
DROP_SQL = "DROP TABLE IF EXISTS lineage_feature_pair, lineage_layer_pair"


def link_existing_copies(apps, schema_editor) -> None:
    """Link the copies made before lineages (tests call it with schema_editor None)."""
    database = schema_editor.connection if schema_editor is not None else connection
    with database.cursor() as cursor:
        cursor.execute(DROP_SQL)
        cursor.execute(LAYER_PAIRS_SQL, {"window": COPY_WINDOW})
        cursor.execute("ANALYZE lineage_layer_pair")
        cursor.execute(FEATURE_PAIRS_SQL)
        for statement in PAIR_INDEXES_SQL:
            cursor.execute(statement)
        cursor.execute(LINK_SQL)
        cursor.execute(DROP_SQL)


class Migration(migrations.Migration):
    dependencies = [("planning", "0013_project_verbose_name")]

    operations = [
        migrations.AddField(
            model_name="feature",
            name="lineage",
            field=models.PositiveBigIntegerField(blank=True, db_index=True, null=True),
        ),
        migrations.RunPython(link_existing_copies, migrations.RunPython.noop),
    ]
