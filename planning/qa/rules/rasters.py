"""Raster layers (scans of old plans, orthophotos) a revision holds but that are not placed on
the map yet: they are never served, so a board approving the revision would not see them
(QA walk: a scan left unplaced was submitted and approved without a word). The raster app
is read through the app registry: planning imports none of the apps above it."""

from __future__ import annotations

from django.apps import apps
from django.utils.translation import gettext_noop as _

from planning.qa import WARNING, Context, Found, rule

LISTED = 5  # names in the message; the count says the rest


@rule(
    "rasters.unplaced",
    _(
        "Raster layers not placed on the map yet: %(names)s (%(count)d). They are not shown "
        "until georeferenced."
    ),
)
def unplaced(context: Context):
    rasters = apps.get_model("rasters", "RasterLayer").objects.filter(
        revision=context.revision, cog_path=""
    )
    names = list(rasters.order_by("id").values_list("name", flat=True))
    if names:
        shown = ", ".join(names[:LISTED]) + (", …" if len(names) > LISTED else "")
        yield Found(WARNING, {"count": len(names), "names": shown})
