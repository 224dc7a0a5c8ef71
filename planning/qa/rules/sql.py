"""The common table expressions every rule's SQL can use (bound parameter: revision).

  f     the features of the revision under check (id, geom, attributes, category, kind, layer,
        source_ref)
  lots  its valid land-use lots
  b     the plan boundary: the revision's boundary layer, else the project's boundary
Rules write plain SQL against these names; Context.rows() prefixes them, so no rule builds
SQL from pieces.
"""

COMMON_CTES = """
WITH f AS NOT MATERIALIZED (
  SELECT f.id, f.geom, f.attributes, f.category, f.source_ref, l.kind, l.name AS layer
  FROM planning_feature f JOIN planning_layer l ON l.id = f.layer_id
  WHERE l.revision_id = %(revision)s
),
lots AS NOT MATERIALIZED (SELECT * FROM f WHERE kind = 'landuse' AND ST_IsValid(geom)),
b AS (
  SELECT coalesce(
    (SELECT ST_Union(geom) FROM f WHERE kind = 'boundary'),
    (SELECT p.boundary FROM planning_project p JOIN planning_revision r ON r.project_id = p.id
     WHERE r.id = %(revision)s)
  ) AS geom
)
"""
