"""Re-imported features keep the public ids of the features they continue.

A feature copied into an answering revision carries the published id of its source
(Feature.lineage, planning.actions.COPY_FEATURES), so an approval that leaves it unchanged
does not renumber it. A layer deleted and imported again (the CAD workflow: `import_cad`
brings the whole plan anew) holds fresh rows with no lineage: without more, every lot of
it would get a new id at approval, and WFS, OGC API and vector-tile clients would see the
whole plan renumbered, their saved ids answering 404.

So when a revision is approved, each of its features without a lineage is linked to the
feature it continues in the plan it replaces (the project's revision in force until this
approval, the one it was prepared on or an ancestor of it), and takes that feature's
published id (`lineage or id`), exactly as a copy would:
- a lot (kind `landuse`) continues the lot of the same code (attribute `code`, trimmed,
  case as stored) when that code names exactly one lot on each side. A code found on one
  side only names a new (or dropped) lot: it gets a new id, even where it lies exactly on
  a dropped lot, since the lot code is what the plan names a lot by;
- a feature of another kind, and a lot whose code does not decide (none, or repeated on
  either side), continues the feature of the same kind with an equal geometry, when that
  pair is the only match of each of its two features. Equal is ST_Equals (the same point
  set), not ST_OrderingEquals: a re-import of the same drawing may start a ring at another
  vertex, turn its orientation or wrap a polygon in a multipolygon, and the feature is
  still the same. Both geometries must be valid (GEOS may fail to relate invalid ones;
  QA flags them): an invalid one is not linked and gets a new id.
Never linked: a feature that already has a lineage (a copy keeps its own), a feature of the
plan in force another project's approval superseded (it left force; copies skip it too),
an id already carried by a feature of the revision, nor one two features would take. Both
sides are read within the revision's project, so a lineage never crosses projects.
"""

from __future__ import annotations

from django.db import connection

from planning.models import Revision

# One statement: both sides, the code counts, the pairs by code and by equal geometry, the
# update. Geometry pairs are hash-joined on their exact bounding boxes (equal point sets
# have equal boxes) before ST_Equals decides, so a large plan is not compared pairwise.
LINK_CONTINUED_FEATURES = """
WITH side AS MATERIALIZED (
  SELECT f.id, l.revision_id = %(revision)s AS is_new, l.kind, f.geom, f.lineage,
         coalesce(f.lineage, f.id) AS published_id,
         CASE WHEN l.kind = 'landuse'
              THEN nullif(btrim(f.attributes->>'code', E' \\t\\r\\n'), '') END AS code
    FROM planning_layer l
    JOIN planning_revision r ON r.id = l.revision_id AND r.project_id = %(project)s
    JOIN planning_feature f ON f.layer_id = l.id
   WHERE l.revision_id = %(revision)s
      OR (l.revision_id = ANY(%(replaced)s)
          AND NOT EXISTS (SELECT 1 FROM planning_supersededfeature s WHERE s.feature_id = f.id))
),
code_count AS (
  SELECT code, count(*) FILTER (WHERE is_new) AS in_new, count(*) FILTER (WHERE NOT is_new)
         AS in_old
    FROM side WHERE code IS NOT NULL GROUP BY code
),
by_code AS (
  SELECT n.id AS new_id, o.published_id
    FROM code_count c
    JOIN side n ON n.is_new AND n.code = c.code
    JOIN side o ON NOT o.is_new AND o.code = c.code
   WHERE c.in_new = 1 AND c.in_old = 1
),
by_shape AS MATERIALIZED (
  SELECT s.*, ST_XMin(s.geom) AS x0, ST_YMin(s.geom) AS y0, ST_XMax(s.geom) AS x1,
         ST_YMax(s.geom) AS y1
    FROM side s LEFT JOIN code_count c ON c.code = s.code
   WHERE s.code IS NULL OR c.in_new > 1 OR c.in_old > 1
),
equal AS (
  SELECT n.id AS new_id, o.published_id,
         count(*) OVER (PARTITION BY n.id) AS matches_of_new,
         count(*) OVER (PARTITION BY o.id) AS matches_of_old
    FROM by_shape n
    JOIN by_shape o ON n.is_new AND NOT o.is_new AND o.kind = n.kind
     AND o.x0 = n.x0 AND o.y0 = n.y0 AND o.x1 = n.x1 AND o.y1 = n.y1
   WHERE ST_IsValid(n.geom) AND ST_IsValid(o.geom) AND ST_Equals(n.geom, o.geom)
),
pair AS (
  SELECT new_id, published_id FROM by_code
  UNION ALL
  SELECT new_id, published_id FROM equal WHERE matches_of_new = 1 AND matches_of_old = 1
),
link AS (
  SELECT new_id, published_id, count(*) OVER (PARTITION BY published_id) AS takers
    FROM pair
)
UPDATE planning_feature f SET lineage = link.published_id
  FROM link
 WHERE f.id = link.new_id AND f.lineage IS NULL AND link.takers = 1
   AND NOT EXISTS (SELECT 1 FROM side t WHERE t.is_new AND t.lineage = link.published_id)
"""


def link_continued_features(revision: Revision, replaced: list[int]) -> int:
    """Link the revision's features without a lineage to those they continue in the
    `replaced` revisions (the project's plan in force this approval supersedes); returns
    how many were linked. Call it inside the approval's transaction."""
    if not replaced:
        return 0
    params: dict[str, int | list[int]] = {
        "revision": revision.pk,
        "project": revision.project_id,
        "replaced": replaced,
    }
    with connection.cursor() as cursor:
        cursor.execute(LINK_CONTINUED_FEATURES, params)
        return cursor.rowcount
