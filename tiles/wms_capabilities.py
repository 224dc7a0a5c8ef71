"""Additions to MapProxy's WMS capabilities for what the Django views answer themselves.

MapProxy writes the document (layers, CRSs, LegendURL from tiles.mapnik_source's
advertised legend); this module adds, at the places the WMS 1.1.1 DTD and the 1.3.0
schema require: `queryable="1"` on the named layers, the GetFeatureInfo formats
(tiles.wms_info_formats), the GetMap formats MapProxy cannot list, and the TIME dimension
with the approval instants (for a raster, those from its plan's approval on: before it the
name is LayerNotDefined). Rasters listed are those in force now, as the vector layers show
the plans in force now by default; a superseded raster stays requestable by name with a
TIME when it was in force, but is not listed. The document is MapProxy's own output,
still parsed with entities and network disabled.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db.models import BigIntegerField, Min
from django.db.models.functions import Coalesce
from lxml import etree

from planning.models import PUBLISHED_STATES, Revision, RevisionState
from rasters.models import RasterLayer
from tiles import raster_layers
from tiles.styles import STYLE_NAMES, STYLE_TITLES

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
# Children a Dimension must follow (both versions), by local name.
_BEFORE_DIMENSION = {
    "Name",
    "Title",
    "Abstract",
    "KeywordList",
    "CRS",
    "SRS",
    "EX_GeographicBoundingBox",
    "LatLonBoundingBox",
    "BoundingBox",
}


def approval_instants() -> list[datetime]:
    """Every moment the set of plans in force changed by an approval, oldest first."""
    rows = (
        Revision.objects.filter(
            state__in=[RevisionState.APPROVED, RevisionState.SUPERSEDED],
            approved_at__isnull=False,
        )
        .order_by("approved_at")
        .values_list("approved_at", flat=True)
        .distinct()
    )
    return [moment for moment in rows if moment is not None]


def raster_starts() -> dict[str, datetime]:
    """When each listed raster came into force: the first approval of a revision holding
    a copy of its scan (the name is the scan's since then)."""
    firsts = (
        RasterLayer.objects.filter(revision__state__in=PUBLISHED_STATES)
        .annotate(scan=Coalesce("lineage", "id", output_field=BigIntegerField()))
        .values("scan")
        .annotate(first=Min("revision__approved_at"))
    )
    first_of = {row["scan"]: row["first"] for row in firsts if row["first"] is not None}
    listed = raster_layers.public_rasters()
    return {r.layer_name: first_of[r.lineage_id] for r in listed if r.lineage_id in first_of}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _child(element: etree._Element, name: str) -> etree._Element | None:
    return next((c for c in element if _local(c) == name), None)


def _insert_after_last(layer: etree._Element, new: list[etree._Element]) -> None:
    position = 0
    for index, child in enumerate(layer):
        if _local(child) in _BEFORE_DIMENSION:
            position = index + 1
    for offset, element in enumerate(new):
        layer.insert(position + offset, element)


def _time_elements(ns: str, version: str, values: list[str]) -> list[etree._Element]:
    default = values[-1]
    if version == "1.3.0":
        dim = etree.Element(
            f"{ns}Dimension", name="time", units="ISO8601", default=default, nearestValue="0"
        )
        dim.text = ",".join(values)
        return [dim]
    dim = etree.Element("Dimension", name="time", units="ISO8601")
    extent = etree.Element("Extent", name="time", default=default, nearestValue="0")
    extent.text = ",".join(values)
    return [dim, extent]


def _formats(root: etree._Element, ns: str, operation: str, formats: tuple[str, ...]) -> None:
    """Make `formats` the Format list of an operation of the Request section."""
    for element in root.iter(f"{ns}{operation}"):
        for old in [c for c in element if _local(c) == "Format"]:
            element.remove(old)
        for index, name in enumerate(formats):
            new = etree.Element(f"{ns}Format")
            new.text = name
            element.insert(index, new)


def _add_named_styles(layer: etree._Element, ns: str) -> None:
    """Every named style but the default (MapProxy lists that one), after the last Style."""
    existing = [c for c in layer if _local(c) == "Style"]
    names = {_local_text(s, "Name") for s in existing}
    position = layer.index(existing[-1]) + 1 if existing else len(layer)
    for name in STYLE_NAMES:
        if name in names or name == "default":
            continue
        style = etree.Element(f"{ns}Style")
        etree.SubElement(style, f"{ns}Name").text = name
        etree.SubElement(style, f"{ns}Title").text = STYLE_TITLES[name]
        layer.insert(position, style)
        position += 1


def _local_text(element: etree._Element, name: str) -> str | None:
    child = _child(element, name)
    return child.text if child is not None else None


def amend(
    body: bytes,
    version: str,
    layer_names: set[str],
    formats: dict[str, tuple[str, ...]],
) -> bytes:
    """The capabilities document with queryable layers, operation formats and TIME added.

    `formats` maps an operation (GetMap, GetFeatureInfo) to the formats it offers.
    """
    tree = etree.fromstring(body, _PARSER).getroottree()
    root = tree.getroot()
    ns = "{http://www.opengis.net/wms}" if version == "1.3.0" else ""
    for operation, offered in formats.items():
        _formats(root, ns, operation, offered)
    instants = approval_instants()
    starts = raster_starts()
    for layer in root.iter(f"{ns}Layer"):
        name = _child(layer, "Name")
        if name is None or name.text not in layer_names:
            continue
        layer.set("queryable", "1")
        start = starts.get(name.text)
        values = [iso(m) for m in instants if start is None or m >= start]
        if values:
            _insert_after_last(layer, _time_elements(ns, version, values))
        _add_named_styles(layer, ns)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
