"""RasterLayer.lineage: the id whose service name a published raster takes, shared by the
copies answering revisions take, so a published scan keeps its name across approvals.

Rasters copied before this field existed are linked here. A copy was made when its
revision was created from `based_on` (in the same transaction), so it is a raster of that
revision created within COPY_WINDOW of it, with the file name, format, kind, name and
author of a raster of `based_on`, matched in id order. Each scan's chain then keeps the name
clients were given last: that of its copy in force (else its most recently approved one).
Its other published rasters, and unpublished copies of published ones, take that name; a
raster outside any published chain keeps its own id as its name, as before.
"""

from collections import defaultdict
from datetime import timedelta

from django.db import migrations, models

COPY_WINDOW = timedelta(minutes=5)
PUBLISHED = ("approved", "superseded")


def _key(raster) -> tuple:
    return (
        raster.source_filename,
        raster.source_format,
        raster.kind,
        raster.name,
        raster.created_by_id,
    )


def _sources(rasters_of: dict, revisions: list) -> dict:
    """copy id -> the raster it was copied from."""
    source_of = {}
    for revision in revisions:
        candidates = list(rasters_of.get(revision.based_on_id, ()))
        for copy in rasters_of.get(revision.pk, ()):
            if not revision.created_at <= copy.created_at <= revision.created_at + COPY_WINDOW:
                continue  # uploaded later in the draft: not a copy
            source = next((s for s in candidates if _key(s) == _key(copy) and s.pk < copy.pk), None)
            if source is not None:
                candidates.remove(source)
                source_of[copy.pk] = source
    return source_of


def _ancestors(raster, source_of: dict) -> list:
    chain = []
    while raster.pk in source_of:
        raster = source_of[raster.pk]
        chain.append(raster)
    return chain


def link_existing_copies(apps, schema_editor) -> None:
    RasterLayer = apps.get_model("rasters", "RasterLayer")
    Revision = apps.get_model("planning", "Revision")
    revisions = {r.pk: r for r in Revision.objects.all()}
    rasters_of = defaultdict(list)
    for raster in RasterLayer.objects.order_by("id"):
        rasters_of[raster.revision_id].append(raster)
    answers = sorted((r for r in revisions.values() if r.based_on_id), key=lambda r: r.pk)
    source_of = _sources(rasters_of, answers)

    def published(raster) -> bool:
        return revisions[raster.revision_id].state in PUBLISHED

    chains = defaultdict(list)  # root id -> its rasters
    for rasters in rasters_of.values():
        for raster in rasters:
            ancestors = _ancestors(raster, source_of)
            chains[(ancestors[-1] if ancestors else raster).pk].append(raster)
    for members in chains.values():
        keeper = _keeper([m for m in members if published(m)], revisions)
        if keeper is None:
            continue
        for member in members:
            lineage_of_published = published(member) or any(
                published(a) for a in _ancestors(member, source_of)
            )
            if member.pk != keeper.pk and lineage_of_published:
                member.lineage = keeper.pk
                member.save(update_fields=["lineage"])


def _keeper(published: list, revisions: dict):
    """The raster whose name clients were given last: the one in force, else the one
    approved last."""
    if not published:
        return None
    return max(
        published,
        key=lambda r: (
            revisions[r.revision_id].state == "approved",
            revisions[r.revision_id].approved_at is not None,
            revisions[r.revision_id].approved_at or revisions[r.revision_id].created_at,
            r.pk,
        ),
    )


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
