"""Parsing the CAD layer mapping a user gives: JSON text, a JSON file, or a dict."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

from django.utils.translation import gettext as _

from importers.cad.text import unescape
from planning.errors import InvalidInput

# A mapping target that is not a layer kind of its own: building lines (chỉ giới xây dựng) are
# features of the red-line layer whose `type` says so, as threed.envelopes tells them apart.
BUILDING_LINES = "buildlines"
LINE_TYPES = {"redlines": "red line", BUILDING_LINES: "building line"}


def target_kind(target: str) -> str:
    """The planning layer kind a mapping target's features go to."""
    return "redlines" if target == BUILDING_LINES else target


def target_attributes(target: str) -> dict[str, str]:
    """Attributes every feature of a mapping target gets unless it has its own."""
    return {"type": LINE_TYPES[target]} if target in LINE_TYPES else {}


def target_label(target: str) -> str:
    """The target's name as the mapping page and the report show it."""
    from planning.layer_kinds import KINDS

    if target == BUILDING_LINES:
        return str(_("Building lines"))
    if target == "redlines":  # as a target beside building lines: the red lines alone
        return str(_("Red lines"))
    kind = KINDS.get(target)
    return str(kind.label) if kind else target


def layer_name(name: str) -> str:
    """A layer name as the importers list it: AutoCAD's \\U+XXXX escapes decoded (as the
    readers decode layer names), NFC. Presets saved with escaped names, or typed on a
    keyboard that writes decomposed letters, still name the same layer."""
    return unicodedata.normalize("NFC", unescape(name))


def layer_key(name: str) -> str:
    """What a mapping compares layer names by: AutoCAD's and MapInfo's layer names are
    case-insensitive."""
    return unicodedata.normalize("NFC", layer_name(name).upper())


def parse_mapping(value: str | dict | None) -> dict[str, str]:
    """{CAD layer: planning kind or "ignore"}; "*" maps every layer not named. Layer names
    come back as layer_name reads them."""
    if value is None or value == "":
        raise InvalidInput(_('Give the CAD layer mapping, e.g. {"LOTS": "landuse"}.'))
    if isinstance(value, dict):
        data = value
    else:
        text = value.strip()
        if not text.startswith("{") and Path(text).is_file():
            text = Path(text).read_text(encoding="utf-8")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(_("The mapping is not valid JSON: %(e)s") % {"e": exc}) from exc
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise InvalidInput(_("The mapping must be a JSON object of CAD layer → kind."))
    return _named(data)


def _named(data: dict[str, str]) -> dict[str, str]:
    """The mapping under layer_name's names; two spellings of one layer must agree."""
    named: dict[str, str] = {}
    kinds: dict[str, tuple[str, str]] = {}  # layer_key -> (name as given, kind)
    for given, kind in data.items():
        key = layer_key(given)
        if key in kinds and kinds[key][1] != kind:
            raise InvalidInput(
                _("The mapping names layer %(layer)s twice, as %(first)s and as %(second)s.")
                % {"layer": repr(layer_name(given)), "first": kinds[key][1], "second": kind}
            )
        kinds[key] = (given, kind)
        named[layer_name(given)] = kind
    return named
