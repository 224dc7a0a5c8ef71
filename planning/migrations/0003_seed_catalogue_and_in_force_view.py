"""Seed the land-use catalogue and create the view every renderer reads.

planning_feature_in_force is the visibility rule for public services in SQL: the
features of approved revisions only. Mapnik, MapServer (benchmark) and py3dtiles read it
rather than repeating the join.
"""

from django.db import migrations

from planning.catalogue import seed

IN_FORCE_VIEW = """
CREATE VIEW planning_feature_in_force AS
SELECT f.id, f.geom, f.category, f.attributes, f.layer_id,
       l.kind, l.name AS layer_name, r.id AS revision_id, r.number AS revision_number,
       p.id AS project_id, p.code AS project_code, p.name AS project_name
FROM planning_feature f
JOIN planning_layer l ON l.id = f.layer_id
JOIN planning_revision r ON r.id = l.revision_id
JOIN planning_project p ON p.id = r.project_id
WHERE r.state = 'approved';
"""


def seed_catalogue(apps, schema_editor):
    seed(apps.get_model("planning", "LandUseCategory"))


class Migration(migrations.Migration):
    dependencies = [("planning", "0002_initial")]
    operations = [
        migrations.RunPython(seed_catalogue, migrations.RunPython.noop),
        migrations.RunSQL(IN_FORCE_VIEW, "DROP VIEW IF EXISTS planning_feature_in_force"),
    ]
