"""The CAD import page of a draft revision: upload a drawing, map its CAD layers to planning
layers, run the conversion as a background job and read its report on the map.

The page itself only renders; every step calls the REST API (inspect, presets, CRS presets,
jobs), which checks permissions again on each request.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from importers import replacing
from importers.cad.mapping import BUILDING_LINES, target_kind, target_label
from importers.service import CAD_ENCODINGS
from importers.sources import CAD_SUFFIXES
from importers.text.vietnamese import ENCODINGS
from planning import visibility
from planning.jobs_api import job_labels
from planning.layer_kinds import KINDS
from planning.models import Revision
from webmap import mapconfig
from webmap.upload_access import refuse_upload

IGNORE = "ignore"
# What the upload accepts; the server decides what it can read and says so otherwise.
ACCEPT = ".dxf,.dwg,.tab,.mif,.mid,.map,.dat,.id,.zip"


@login_required
@require_GET
def revision_cad(request: HttpRequest, pk: int) -> HttpResponse:
    """The page; 404 when the revision is not visible, 403 for anyone but its planners,
    409 for them once it left the draft (the same rule as the upload page)."""
    revisions = visibility.visible_revisions(request.user).select_related("project")
    revision = get_object_or_404(revisions, pk=pk)
    if refused := refuse_upload(request, revision):
        return refused
    context = {
        "revision": revision,
        "project": revision.project,
        "accept": ACCEPT,
        "encodings": encoding_choices(),
        "config": build_config(revision),
    }
    return render(request, "webmap/cad.html", context)


def encoding_choices() -> list[dict[str, str | bool]]:
    """ "auto", then every encoding the import API accepts (vietnamese.ENCODINGS), each
    saying whether drawings take it too (importers.service.CAD_ENCODINGS)."""
    labels = {
        "auto": _("Detect automatically"),
        "utf-8": _("Unicode (UTF-8), GIS files"),
        "tcvn3": _("TCVN3 (ABC, .Vn fonts)"),
        "vni": _("VNI (VNI-Windows fonts)"),
        "cp1258": _("Windows Vietnamese (cp1258)"),
        "cp1252": _("Windows Western (cp1252), GIS files"),
    }
    return [
        {"code": code, "label": labels.get(code, code), "drawings": code in CAD_ENCODINGS}
        for code in ("auto", *ENCODINGS)
    ]


def urls(revision: Revision) -> dict[str, str]:
    return {
        **mapconfig.URLS,
        "inspect": "/api/cad/inspect/",
        "presets": "/api/cad/presets/",
        "preset": "/api/cad/presets/{name}/",
        "crsPresets": "/api/cad/crs-presets/",
        "jobs": f"/api/revisions/{revision.pk}/cad/jobs/",
        "job": "/api/jobs/{id}/",
        "cancel": "/api/jobs/{id}/cancel/",
        "review": f"/revisions/{revision.pk}/review/",
        "map": f"/map/?revision={revision.pk}",
    }


def kind_choices() -> list[dict[str, str]]:
    """The planning layer kinds a CAD layer can go to, then "ignore"."""
    ordered = sorted(KINDS.values(), key=lambda kind: kind.draw_order)
    choices = []
    for kind in ordered:
        choices.append({"code": kind.code, "label": target_label(kind.code)})
        if kind.code == target_kind(BUILDING_LINES):  # right after the red lines
            choices.append({"code": BUILDING_LINES, "label": target_label(BUILDING_LINES)})
    return [*choices, {"code": IGNORE, "label": _("Ignore")}]


def build_config(revision: Revision) -> dict[str, Any]:
    """Everything the page's script needs: URLs, kinds, the draft's place, labels."""
    return {
        "urls": urls(revision),
        "revision": {"id": revision.pk, "number": revision.number},
        "kinds": kind_choices(),
        # the kind each mapping target loads into, and the draft's layers: the page names
        # those of the mapped kinds, which the import can replace (importers.replacing)
        "targetKinds": {choice["code"]: target_kind(choice["code"]) for choice in kind_choices()},
        "draftLayers": replacing.describe(list(revision.layers.order_by("kind", "id"))),
        "drawingSuffixes": list(CAD_SUFFIXES),  # their text takes only CAD_ENCODINGS
        "extent": mapconfig.revisions_extent([revision.pk]) or mapconfig.in_force_extent(),
        "fallbackCenter": list(mapconfig.FALLBACK_CENTER),
        "fallbackZoom": mapconfig.FALLBACK_ZOOM,
        "labels": labels(),
    }


def labels() -> dict[str, Any]:
    """Every string the CAD page's script builds itself, in the request's language."""
    return {
        **step_labels(),
        **job_labels(),
        **report_labels(),
        **existing_labels(),
        "controls": mapconfig.control_labels(),
    }


def step_labels() -> dict[str, Any]:
    return {
        "requestFailed": _("The server could not be reached. Try again."),
        "reading": _("Reading the drawing…"),
        "chooseFile": _("Choose a drawing first."),
        "unreadable": _("This file could not be read: choose another drawing."),
        "layer": _("CAD layer"),
        "total": _("Total"),
        "planningLayer": _("Planning layer"),
        "frozen": _("frozen"),
        "off": _("off"),
        "layersSummary": _("%(layers)d CAD layers, %(entities)d entities"),
        "previewSummary": _("%(shown)d features drawn in the preview."),
        "previewCapped": _("The preview shows only part of the drawing."),
        "noPreview": _("Nothing can be drawn: choose the coordinate system."),
        # placed, yet empty: a drawing of texts, points or 3D faces only (the layer table
        # lists them; the conversion reads them)
        "noShapes": _("The preview draws lines and areas only, and this drawing has none."),
        "guessed": _("guessed from the layer name"),
        "nothingMapped": _("Map at least one CAD layer to a planning layer."),
        "presetSaved": _("Preset “%(name)s” saved."),
        "presetLoaded": _("Preset “%(name)s” applied."),
        "presetName": _("Give the preset a name."),
        "noPreset": _("— no preset —"),
        "declaredCrs": _("From the drawing (GEODATA) or the storage default"),
        "customCrs": _("Custom EPSG code"),
        "controlPointsIncomplete": _("Give all four numbers of both control points, or none."),
        # A control point typed the other language's way ("561.3" on the Vietnamese page):
        # how this page writes numbers, with an example in its own separators.
        "numberMalformed": _(
            "%(field)s: “%(text)s” is not a number. Write it like %(example)s: “%(group)s” "
            "between the thousands, “%(decimal)s” before the decimals."
        ),
        "placedIn": _("Placed in %(crs)s (%(source)s)."),
        "crsSources": {
            "user": _("as chosen"),
            "GEODATA": _("from the drawing's GEODATA"),
            "default": _("assumed: the drawing declares none"),
            "file": _("declared by the file"),  # a GIS file's .prj, .tab or .mif
        },
        "transformUsed": _("Two-point fix: scale %(scale)s, rotation %(rotation)s°."),
        "geometryTypes": geometry_type_labels(),
    }


def existing_labels() -> dict[str, str]:
    """The draft's layers of the mapped kinds, before Convert and in the report."""
    return {
        "existingCopied": _("%(kind)s: “%(name)s” (copied from revision %(number)s, %(features)s)"),
        "existingOwn": _("%(kind)s: “%(name)s” (%(features)s)"),
        # counts written the page's way (numbers.js); the two forms English needs
        "featuresOne": _("%(count)d feature"),
        "featuresMany": _("%(count)d features"),
        "replacedLayers": _("Replaced layers (removed from the draft)"),
        "keptLayers": _(
            "Layers of the same kinds kept beside the new ones (remove duplicates on the "
            "project page)"
        ),
    }


def geometry_type_labels() -> dict[str, str]:
    """The geometry types a GIS file's layers are counted by (Shapely's names), translated;
    a drawing's entity types (LWPOLYLINE, MTEXT…) stay as AutoCAD names them."""
    return {
        "Point": _("Point"),
        "MultiPoint": _("Multipoint"),
        "LineString": _("Line"),
        "MultiLineString": _("Multiline"),
        "LinearRing": _("Ring"),
        "Polygon": _("Polygon"),
        "MultiPolygon": _("Multipolygon"),
        "GeometryCollection": _("Geometry collection"),
    }


def report_labels() -> dict[str, Any]:
    return {
        "outputLayer": _("Output layer"),
        "features": _("Features"),
        "noFeatures": _("No features were produced."),
        "skipped": _("Skipped entities"),
        "unclosed": _("Linework that could not be closed"),
        "labelIssues": _("Lots with label problems"),
        "noIssues": _("None."),
        "listedOf": _("%(listed)d listed of %(total)d"),
        "moreTexts": _("and %(count)d more texts"),
        "noLocation": _("no location"),
        "length": _("%(length)s m long"),
        "warnings": _("Warnings"),
        "missingAttributes": _("Required attributes missing from the file:"),
        # Not "Notes": in Vietnamese that is "Ghi chú", the annotation layer's name too.
        "notes": _("Conversion remarks"),
        "kinds": {kind.code: str(kind.label) for kind in KINDS.values()},
    }
