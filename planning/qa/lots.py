"""How a finding names a lot: by what the planner can find again, not by a database id.

A rule stores a lot as its code, or "#<feature id>" when it has none (kept as it always was,
for whatever reads the stored parameters), with the feature's source reference beside it
under "<key>_source" ("lots.shp#lots:12" from a GIS file, "plan.dxf#1A2F" from a drawing:
importers.service, importers.cad.build). The message shows a lot without a code by its place
in the source file ("no. 12 in lots.shp", "with handle 1A2F in plan.dxf"); the finding also
carries the lot's geometry, so the review map shows it. Those words follow the noun "lot" of
the message ("lot with handle 1A2F in plan.dxf"), so a message naming several lots takes
them as one phrase (`listed`): "lots A1 and A2", "lot A1 and the lot with handle 3B in
plan.dxf", never "lots A1 and with handle 3B".
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

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


def listed(params: dict, *keys: str) -> str:
    """The lots under `keys` as one phrase of the active language: the coded ones together
    behind one noun ("lots A1 and A2"), each other one as a lot of its own ("the lot with
    handle 3B in plan.dxf"), e.g. "lots A1, A2 and the lot no. 4 in lots.shp"."""
    present = [key for key in keys if key in params]
    unnamed = {key for key in present if _UNNAMED.fullmatch(str(params[key]))}
    codes = [str(params[key]) for key in present if key not in unnamed]
    where = [shown(params, key) for key in present if key in unnamed]
    others = [_("the lot %(where)s") % {"where": place} for place in where]
    phrases = []
    if codes:
        # With other lots after them, the codes are only separated by commas: one "and"
        # joins the whole list ("lots A1, A2 and the lot …").
        joined = ", ".join(codes) if others else _and_joined(codes)
        phrases.append(ngettext("lot %(codes)s", "lots %(codes)s", len(codes)) % {"codes": joined})
    return _and_joined(phrases + others)


def _and_joined(items: list[str]) -> str:
    """One item, "a and b" or "a, b and c", in the active language."""
    if len(items) < 2:
        return "".join(items)
    return _("%(items)s and %(last)s") % {"items": ", ".join(items[:-1]), "last": items[-1]}
