"""Removing a raster from a draft: a wrong upload must not stay in the plan for good.

As layers (planning.revision_edits.RemoveLayer): only the project's planners (and staff),
only while the revision is a draft; callers look the raster up among those the user may see
(404 otherwise). The row goes in one transaction with its audit event; its files (the COG
and the unplaced original) are unlinked once that commits. A revision that answers another
holds hard links of its own (rasters.signals), so the earlier revision's copy stays whole.
"""

from __future__ import annotations

from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from planning import visibility
from planning.audit import audit
from planning.errors import Conflict, Forbidden, NotAuthenticated, NotFound
from planning.models import Membership, Revision
from rasters.models import RasterLayer


@transaction.atomic
def remove_raster(user, raster: RasterLayer, remote_addr: str | None = None) -> None:
    if user is None or not user.is_authenticated:
        raise NotAuthenticated(_("Sign in to remove rasters."))
    revision = (
        Revision.objects.select_for_update(of=("self",))  # the revision's row only, as edits
        .select_related("project")
        .get(pk=raster.revision_id)
    )
    plans = user.is_staff or visibility.has_role(user, revision.project, Membership.Role.PLANNER)
    if not plans:
        raise Forbidden(_("Only the project's planners may remove rasters."))
    if not revision.is_editable:
        raise Conflict(
            _("Rasters can be removed only from a draft; this revision is %(state)s.")
            % {"state": revision.get_state_display()}
        )
    row = RasterLayer.objects.filter(pk=raster.pk, revision=revision).first()
    if row is None:  # removed meanwhile by someone else
        raise NotFound(_("No such raster."))
    files = [path for path in (row.cog_path, row.raw_path) if path]
    stored = [(row.cog_file() if name == row.cog_path else row.raw_file()) for name in files]
    row.delete()
    audit(user, "raster.remove", project=revision.project, revision=revision,
          remote_addr=remote_addr, raster=raster.pk, name=raster.name)  # fmt: skip
    transaction.on_commit(lambda: _unlink(stored))


def _unlink(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
