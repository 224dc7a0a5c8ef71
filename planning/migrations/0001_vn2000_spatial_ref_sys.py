"""Add the VN-2000 projected CRSs that PostGIS lacks, with the official datum shift.

Runs before any geometry column exists so that the storage CRS (default EPSG:9214) is
known to ST_Transform from the first row on.
"""

from django.db import migrations

from planning.crs import vn2000_projected

INSERT = """
INSERT INTO spatial_ref_sys (srid, auth_name, auth_srid, srtext, proj4text)
VALUES (%s, 'EPSG', %s, %s, %s)
ON CONFLICT (srid) DO NOTHING
RETURNING srid
"""


def add_vn2000(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for zone in vn2000_projected():
            cursor.execute(INSERT, [zone.srid, zone.srid, zone.wkt1, zone.proj4])


def remove_vn2000(apps, schema_editor):
    # Only the TM-3 zones this migration is responsible for; PostGIS ships the others.
    srids = [z.srid for z in vn2000_projected() if 9205 <= z.srid <= 9218]
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DELETE FROM spatial_ref_sys WHERE srid = ANY(%s)", [srids])


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.RunSQL(
            "CREATE EXTENSION IF NOT EXISTS postgis; CREATE EXTENSION IF NOT EXISTS postgis_sfcgal;",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.RunPython(add_vn2000, remove_vn2000),
    ]
