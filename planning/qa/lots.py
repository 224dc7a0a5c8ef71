"""How a finding names a lot: by what the planner can find again, not by a database id.

A rule stores a lot as its code, or "#<feature id>" when it has none (kept as it always was,
for whatever reads the stored parameters), with the feature's source reference beside it
under "<key>_source" ("lots.shp#lots:12" from a GIS file, "plan.dxf#1A2F" from a drawing:
importers.service, importers.cad.build). The message shows a lot without a code by its place
in the source file ("no. 12 in lots.shp", "with handle 1A2F in plan.dxf"); the finding also
carries the lot's geometry, so the review map shows it.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

_UNNAMED = re.compile(r"#\d+")  # "#<feature id>": the lot has no code
_GIS_REF = re.compile(r"(?P<file>[^#]*)#(?P<layer>.*):(?P<fid>-?\d+)")
_CAD_REF = re.compile(r"(?P<file>[^#]*)#(?P<handle>[0-9A-Fa-f]+)")


def stored(key: str, code: object, feature_id: int, source: str | None) -> dict[str, str]:
    """The parameters naming one lot: its code (else "#<id>") and its source reference."""
    return {
        key: str(code) if code not in (None, "") else f"#{feature_id}",
        f"{key}_source": source or "",
    }


def shown(params: dict, key: str) -> str:
    """The lot named by params[key] as the message shows it, in the active language."""
    value = str(params.get(key, ""))
    if not _UNNAMED.fullmatch(value):
        return value
    return in_source(str(params.get(f"{key}_source") or "")) or _("without a code (see the map)")


def in_source(ref: str) -> str | None:
    """Where a feature is in the file it came from, as a planner finds it there (QGIS shows
    a GIS feature's number, AutoCAD an entity's handle); None when the reference says not."""
    gis = _GIS_REF.fullmatch(ref)
    if gis:
        values = {"number": gis["fid"], "file": gis["file"], "layer": gis["layer"]}
        if gis["file"].rsplit(".", 1)[0] == gis["layer"] or not gis["layer"]:
            return _("no. %(number)s in %(file)s") % values
        return _("no. %(number)s in %(file)s, layer %(layer)s") % values
    cad = _CAD_REF.fullmatch(ref)
    if cad:
        return _("with handle %(handle)s in %(file)s") % {
            "handle": cad["handle"],
            "file": cad["file"],
        }
    return None


def shown_lots(params: dict, *keys: str) -> dict:
    """`params` with the lots under `keys` named for the reader."""
    return {**params, **{key: shown(params, key) for key in keys if key in params}}
