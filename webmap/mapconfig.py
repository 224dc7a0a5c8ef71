"""The map page's configuration: what the front end needs to know, computed server-side.

The result is rendered with ``json_script`` into the page, so the JavaScript never
guesses URLs, layer names, labels or the visible revisions, and needs no i18n framework.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from planning import extent as plan_extent
from planning import visibility
from planning.layer_kinds import KINDS
from planning.models import Revision, RevisionState
from webmap import featurelabels

# Where the map opens when nothing is in force yet: Hue, the seed deployment's city.
FALLBACK_CENTER = (107.5852, 16.4637)
FALLBACK_ZOOM = 12

URLS = {
    "tiles": "/tiles/{layer}/{z}/{x}/{y}.png",
    "legend": "/legend/{layer}.json",
    "featureInfo": "/api/feature-info/",
    "layerFeatures": "/api/layers/{id}/features/",
    # Drafts are drawn from vector tiles: /vtiles/plans/{z}/{x}/{y}.pbf?revision=<id>.
    "vectorTiles": "/vtiles/{layer}/{z}/{x}/{y}.pbf",
    "categories": "/api/categories/",
    # The plans in force on a date: GetMap with TIME=YYYY-MM-DD (end of that day).
    "wms": "/wms",
}

# The bounding box is taken in the storage CRS (cheap, uses no per-row transform) and only
# its corners are reprojected to lon/lat. Features outside Viet Nam (planning.extent; stored
# before the import guard existed) are left out: they cannot be placed on the map.
_INSIDE = "geom @ ST_MakeEnvelope(%s, %s, %s, %s, %s)"
_EXTENT_SQL = f"""
SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)
FROM (SELECT ST_Extent(geom) AS b FROM planning_feature_in_force WHERE {_INSIDE}) AS extent
WHERE b IS NOT NULL
"""  # noqa: S608 - constant SQL, values bound
_REVISIONS_EXTENT_SQL = f"""
SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)
FROM (
    SELECT ST_Extent(f.geom) AS b
    FROM planning_feature f JOIN planning_layer l ON l.id = f.layer_id
    WHERE f.{_INSIDE} AND l.revision_id = ANY(%s)
) AS extent
WHERE b IS NOT NULL
"""  # noqa: S608 - constant SQL, values bound


def _extent(sql: str, *params: list[int]) -> list[float] | None:
    with connection.cursor() as cursor:
        envelope = [*plan_extent.storage_envelope(), settings.PLANNING_STORAGE_SRID]
        cursor.execute(sql, [*envelope, *params])
        row = cursor.fetchone()
    if row is None:
        return None
    west, south, east, north = (float(v) for v in row)
    box = plan_extent.lonlat_box((west, south, east, north))
    return list(box) if box else None


def in_force_extent() -> list[float] | None:
    """The lon/lat bounding box of every plan in force, None when nothing is in force."""
    return _extent(_EXTENT_SQL)


def revisions_extent(revision_ids: list[int]) -> list[float] | None:
    """The lon/lat bounding box of the given revisions; callers pass only visible ones."""
    return _extent(_REVISIONS_EXTENT_SQL, revision_ids) if revision_ids else None


def tile_layers() -> list[dict[str, Any]]:
    """All plans in force as one layer (on by default), then one layer per layer kind."""
    layers = [{"name": "plans", "title": _("All plans in force"), "visible": True}]
    ordered = sorted(KINDS.values(), key=lambda kind: kind.draw_order)
    layers += [{"name": k.code, "title": str(k.label), "visible": False} for k in ordered]
    return layers


def user_revisions(user) -> Iterable[Revision]:
    """Drafts and submitted revisions the user may see: not in the public tiles."""
    if not user.is_authenticated:
        return []
    return (
        visibility.visible_revisions(user)
        .exclude(state=RevisionState.APPROVED)
        .exclude(state__in=[RevisionState.SUPERSEDED, RevisionState.REJECTED])
        .select_related("project")
        .prefetch_related("layers")
        .order_by("project__code", "-number")
    )


def revision_entry(revision: Revision, shown: set[int]) -> dict[str, Any]:
    return {
        "id": revision.pk,
        "title": f"{revision.project.code} r{revision.number} — {revision.project.name}",
        "state": revision.state,
        "stateLabel": str(revision.get_state_display()),
        "visible": revision.pk in shown,
        "layers": [
            {
                "id": layer.pk,
                "name": layer.name,
                "kind": layer.kind,
                "kindLabel": str(layer.get_kind_display()),
            }
            for layer in revision.layers.all()
        ],
    }


def control_labels() -> dict[str, str]:
    """Tooltips of the map controls (OpenLayers' own are English), for every map page."""
    return {
        "zoomIn": _("Zoom in"),
        "zoomOut": _("Zoom out"),
        "resetRotation": _("Reset rotation"),
    }


def labels() -> dict[str, Any]:
    """Every string the front end shows, translated into the request's language."""
    return {
        "controls": control_labels(),
        "plansInForce": _("Plans in force"),
        "myRevisions": _("My drafts and submissions"),
        "noLayers": _("No layers uploaded yet."),
        "legendEmpty": _("Switch on a layer to see its legend."),
        "legendUnavailable": _("The legend is not available."),
        "loading": _("Loading…"),
        "infoNone": _("No planning feature here."),
        "infoError": _("Feature information could not be loaded."),
        "project": _("Project"),
        "revision": _("Revision"),
        "layer": _("Layer"),
        "category": _("Category"),
        "states": {state.value: str(state.label) for state in RevisionState},
        "attributes": featurelabels.attribute_labels(),
        "numericAttributes": featurelabels.numeric_attributes(),
        "valueLabels": featurelabels.value_labels(),
    }


def build(user, shown_revisions: Iterable[int] = (), on_date: date | None = None) -> dict[str, Any]:
    """The whole configuration of the map page for this user; `on_date` opens the map on
    the plans in force on that day."""
    revisions = list(user_revisions(user))
    shown = {r.pk for r in revisions} & set(shown_revisions)
    return {
        "urls": URLS,
        # A revision opened from its project page is what the user wants to look at.
        "extent": revisions_extent(sorted(shown)) or in_force_extent(),
        "fallbackCenter": list(FALLBACK_CENTER),
        "fallbackZoom": FALLBACK_ZOOM,
        "tileLayers": tile_layers(),
        "revisions": [revision_entry(r, shown) for r in revisions],
        "labels": labels(),
        "date": on_date.isoformat() if on_date else None,
    }
