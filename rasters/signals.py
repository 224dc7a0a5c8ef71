"""A revision that answers another (changes requested) starts with copies of its rasters,
as it starts with copies of its vector layers (planning.actions._copy_layers)."""

from __future__ import annotations

import os

from django.db.models.signals import post_save

from planning.models import PUBLISHED_STATES, Revision
from rasters.importing import final_path
from rasters.models import RasterLayer


def _linked_copy(relative: str, revision_id: int) -> str:
    """A new name for the file (a hard link: no bytes copied), or "" when there is none."""
    if not relative:
        return ""
    source = RasterLayer(cog_path=relative).cog_file()
    target, new_relative = final_path(revision_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        import shutil

        shutil.copyfile(source, target)
    return new_relative


def copy_rasters(source: Revision, target: Revision) -> list[RasterLayer]:
    copies = []
    published = source.state in PUBLISHED_STATES
    for raster in RasterLayer.objects.filter(revision=source).order_by("id"):
        # The copy takes the service name of the scan's first published raster, once
        # published itself; a copy of a scan never published yet starts its own name (the
        # sent-back original keeps its own, distinct from the approved answer's).
        raster.lineage = raster.lineage or (raster.pk if published else None)
        raster.pk = None
        raster.revision = target
        raster.cog_path = _linked_copy(raster.cog_path, target.pk)
        raster.raw_path = _linked_copy(raster.raw_path, target.pk)
        raster.save()
        copies.append(raster)
    return copies


def on_revision_saved(sender, instance: Revision, created: bool, **kwargs) -> None:
    if created and instance.based_on_id is not None and not kwargs.get("raw"):
        copy_rasters(Revision.objects.get(pk=instance.based_on_id), instance)


def connect() -> None:
    post_save.connect(on_revision_saved, sender=Revision, dispatch_uid="rasters-copy-on-answer")
