"""The 3D view's configuration: where CesiumJS's assets, the ground tiles and the 3D Tiles
are, and the labels the front end shows (in the request's language).

Rendered into the page by the ``view3d_config`` template tag (webmap/templatetags/view3d.py)
from the include ``webmap/view3d.html``; the front end is webmap/frontend/src/view3d/.
"""

from __future__ import annotations

from typing import Any

from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import gettext as _

from planning.models import Revision, RevisionState

# CesiumJS's Workers/, Assets/, Widgets/ and ThirdParty/, copied there by vite.config.js.
CESIUM_BASE = "webmap/dist/cesium/"
# The ground: the plans in force, as this server's own XYZ tiles (no online imagery).
IMAGERY_URL = "/tiles/plans/{z}/{x}/{y}.png"
IN_FORCE_TILESET = "/3dtiles/in-force/tileset.json"
REVISION_TILESET = "/3dtiles/revisions/{id}/tileset.json"


def _in_force_tileset(primary: bool) -> dict[str, Any]:
    return {
        "id": "in-force",
        "title": _("the plans in force"),
        "url": IN_FORCE_TILESET,
        "primary": primary,
    }


def tilesets(revision: Revision | None) -> list[dict[str, Any]]:
    """The plans in force; on a review page the revision (coloured) over them (grey)."""
    if revision is None:
        return [_in_force_tileset(primary=True)]
    title = _("revision %(number)d") % {"number": revision.number}
    entries = [
        {
            "id": f"revision-{revision.pk}",
            "title": title,
            "url": REVISION_TILESET.format(id=revision.pk),
            "primary": True,
        }
    ]
    # An approved revision is part of the plans in force: drawing both would overlap.
    if revision.state != RevisionState.APPROVED:
        entries.append(_in_force_tileset(primary=False))
    return entries


def labels() -> dict[str, Any]:
    return {
        "show3d": _("3D"),
        "show2d": _("2D"),
        "loading": _("Loading the 3D view…"),
        "loadError": _("The 3D view could not be started: this browser may not support WebGL."),
        "notAvailable": _(
            "The 3D model of %(title)s is not available: it has not been built yet, "
            "or you may not see it."
        ),
        "tilesetError": _("The 3D model of %(title)s could not be loaded."),
        "noBuilding": _("No building here."),
        "building": _("Building"),
        "source": _("Shown in"),
        "noData": _("No value"),
        "units": {"height": "m", "storeys": _("storeys")},
    }


def build(
    *, extent: list[float] | None, fallback_center: list[float], revision: Revision | None = None
) -> dict[str, Any]:
    offset = timezone.localtime().utcoffset()
    return {
        "baseUrl": static(CESIUM_BASE),
        "imageryUrl": IMAGERY_URL,
        "extent": extent,
        "fallbackCenter": fallback_center,
        "tilesets": tilesets(revision),
        "utcOffsetMinutes": int(offset.total_seconds() // 60) if offset else 0,
        "labels": labels(),
    }
