"""WMTS requests (KVP and RESTful paths), checked before MapProxy sees them.

MapProxy reads TileMatrix, TileRow, TileCol, I and J with int(): a letter there is an
uncaught ValueError, a 500. It also answers a missing or unknown REQUEST and missing
parameters with 500 NoApplicableCode, and a REST path that fits none of its templates with
a plain-text 500. So every WMTS request is checked here first, and a bad one gets an OWS 1.1
ExceptionReport (the WMTS 1.0 format) with its code and a locator naming the parameter.
Valid requests go on to MapProxy unchanged; its own answers (TileOutOfRange, bad format …)
are left to it. GetFeatureInfo is not offered (see NO_FEATURE_INFO).
"""

from __future__ import annotations

import re

from django.http import HttpResponse
from lxml import etree

from planning.errors import PlanningError
from tiles.mapproxy_config import GRIDS, public_layer
from tiles.ows_exceptions import OWS11, OwsError, exception_report

CAPABILITIES_PATH = "1.0.0/WMTSCapabilities.xml"
OPERATIONS = ("GetCapabilities", "GetTile")
TILE_PARAMETERS = ("Layer", "Style", "Format", "TileMatrixSet", "TileMatrix", "TileRow", "TileCol")
# MapProxy lists GetFeatureInfo in every WMTS capabilities document, but its Mapnik sources
# answer none: the operation is taken out of the document and refused, pointing to WMS.
NO_FEATURE_INFO = (
    "GetFeatureInfo is not offered by this WMTS: ask WMS GetFeatureInfo at /ows "
    "(SERVICE=WMS) for the features under a pixel."
)
# The styles MapProxy's WMTS capabilities list for every layer; MapProxy itself ignores
# the value, so another one would get the default tile where WMTS 1.0 wants an exception.
# An empty Style is MapProxy's default as well (see _missing).
OFFERED_STYLES = ("default",)
_OWS = "http://www.opengis.net/ows/1.1"
_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)
# Row and column may be negative: MapProxy answers those TileOutOfRange itself.
_WHOLE_NUMBERS = {
    "TileMatrix": re.compile(r"\d{1,9}"),
    "TileRow": re.compile(r"-?\d{1,9}"),
    "TileCol": re.compile(r"-?\d{1,9}"),
    "I": re.compile(r"\d{1,5}"),
    "J": re.compile(r"\d{1,5}"),
}
# MapProxy's RESTful templates: a tile, and a feature info at pixel I, J of a tile.
_REST_PATH = re.compile(
    r"^(?P<Layer>[^/]+)/(?P<TileMatrixSet>[^/]+)/(?P<TileMatrix>[^/]+)/(?P<TileCol>[^/]+)"
    r"/(?P<TileRow>[^/.]+)(?:/(?P<I>[^/]+)/(?P<J>[^/.]+))?\.(?P<Format>\w+)$"
)


class WmtsError(OwsError):
    """A WMTS exception: OWS code, HTTP status and the parameter at fault."""


def report(error: PlanningError) -> HttpResponse:
    """The OWS 1.1 ExceptionReport of `error` (version 1.0.0, as WMTS 1.0 has it)."""
    return exception_report(
        error, namespace=OWS11, version="1.0.0", content_type="text/xml; charset=utf-8"
    )


def check_kvp(params: dict[str, str]) -> None:
    """Raise WmtsError unless a KVP request (upper-cased names) is one MapProxy can parse."""
    operation = _operation(params.get("REQUEST", "").strip())
    if operation == "GetCapabilities":
        return
    required = TILE_PARAMETERS
    missing = [name for name in required if _missing(params, name)]
    if missing:
        raise WmtsError(
            f"Missing parameters: {', '.join(missing)}.",
            "MissingParameterValue",
            locator=missing[0],
        )
    values = {name: params[name.upper()].strip() for name in required}
    _check_values(values, status=400)
    _check_style(values["Style"])


def check_rest(rest: str) -> bool:
    """Raise WmtsError unless `rest` (the path after /wmts/) is the capabilities document, a
    tile or a feature info MapProxy can serve; True for a tile."""
    if rest == CAPABILITIES_PATH:
        return False
    match = _REST_PATH.match(rest)
    if match is None:
        raise _no_such_resource()
    values = {name: value for name, value in match.groupdict().items() if value is not None}
    if "I" in values:
        # Seven segments fit the feature info template whatever they hold; only whole
        # numbers where it has them make one (not, say, a KVP-style version prefix).
        if not _whole_numbers(values):
            raise _no_such_resource()
        raise WmtsError(NO_FEATURE_INFO, "OperationNotSupported")
    _check_values(values, status=404)  # a path with letters for numbers names no tile
    return True


def _no_such_resource() -> WmtsError:
    return WmtsError(
        "No such WMTS resource: this server offers tiles at /wmts/{Layer}/{TileMatrixSet}/"
        "{TileMatrix}/{TileCol}/{TileRow}.png (the tile ResourceURL template of "
        f"/wmts/{CAPABILITIES_PATH}) and the capabilities document itself.",
        status=404,
    )


def _whole_numbers(values: dict[str, str]) -> bool:
    return all(pattern.fullmatch(values[name]) for name, pattern in _WHOLE_NUMBERS.items())


def without_feature_info(capabilities: bytes) -> bytes:
    """MapProxy's WMTS capabilities without the GetFeatureInfo operation it cannot serve."""
    root = etree.fromstring(capabilities, _SAFE_PARSER)
    for operation in root.iterfind(f".//{{{_OWS}}}Operation[@name='GetFeatureInfo']"):
        operation.getparent().remove(operation)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _operation(text: str) -> str:
    if not text:
        raise WmtsError("REQUEST is required.", "MissingParameterValue", locator="Request")
    if text.lower() == "getfeatureinfo":
        raise WmtsError(NO_FEATURE_INFO, "OperationNotSupported", locator="Request")
    for name in OPERATIONS:
        if name.lower() == text.lower():
            return name
    raise WmtsError(
        f"Request {text[:64]!r} is not supported; offered: {', '.join(OPERATIONS)}.",
        "OperationNotSupported",
        locator="Request",
    )


def _missing(params: dict[str, str], name: str) -> bool:
    """Absent; or empty, except Style (an empty Style is MapProxy's default style)."""
    value = params.get(name.upper())
    return value is None or (name != "Style" and not value.strip())


def _check_values(values: dict[str, str], *, status: int) -> None:
    """Tile indexes are whole numbers (else `status`); layer and matrix set exist (400)."""
    for name, pattern in _WHOLE_NUMBERS.items():
        if name in values and not pattern.fullmatch(values[name]):
            raise WmtsError(f"{name} must be a whole number.", locator=name, status=status)
    if values["TileMatrixSet"] not in GRIDS:
        raise WmtsError(
            f"Unknown TileMatrixSet {values['TileMatrixSet'][:64]!r}; offered: {', '.join(GRIDS)}.",
            locator="TileMatrixSet",
        )
    # Anonymous visibility: MapProxy serves only public layers, and a draft raster must be
    # as unknown as a name that does not exist.
    if public_layer(values["Layer"]) is None:
        raise WmtsError(f"Unknown layer {values['Layer'][:64]!r}.", locator="Layer")


def _check_style(style: str) -> None:
    """A style the layers offer (the RESTful template has none: its paths cannot name one)."""
    if style and style not in OFFERED_STYLES:
        raise WmtsError(
            f"Unknown Style {style[:64]!r}; offered: {', '.join(OFFERED_STYLES)}.",
            locator="Style",
        )
