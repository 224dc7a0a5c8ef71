"""RasterLayer.lineage: the scan's first upload, shared by the copies answering revisions
take, so a published scan keeps its service name across approvals.

Rasters copied before this field existed are linked to their source here: a copy was made
when its revision was created from `based_on`, so it is the raster of that revision with
the same file name, format and kind, matched in id order (copies were made in id order).
A raster with no such source keeps its own id as its name, as before."""

from collections import defaultdict

from django.db import migrations, models


def _key(raster) -> tuple:
    return (raster.source_filename, raster.source_format, raster.kind)


def link_existing_copies(apps, schema_editor) -> None:
    RasterLayer = apps.get_model("rasters", "RasterLayer")
    Revision = apps.get_model("planning", "Revision")
    by_revision = defaultdict(list)
    for raster in RasterLayer.objects.order_by("id"):
        by_revision[raster.revision_id].append(raster)
    # Revisions in creation order: a source's lineage is set before its copies are read.
    for revision in Revision.objects.filter(based_on__isnull=False).order_by("id"):
        sources = list(by_revision.get(revision.based_on_id, ()))
        for copy in by_revision.get(revision.pk, ()):
            source = next((s for s in sources if _key(s) == _key(copy) and s.pk < copy.pk), None)
            if source is None:
                continue
            sources.remove(source)
            copy.lineage = source.lineage or source.pk
            copy.save(update_fields=["lineage"])


class Migration(migrations.Migration):
    dependencies = [
        ("rasters", "0001_initial"),
        ("planning", "0012_preset_layer_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="rasterlayer",
            name="lineage",
            field=models.PositiveBigIntegerField(blank=True, db_index=True, null=True),
        ),
        migrations.RunPython(link_existing_copies, migrations.RunPython.noop),
    ]
