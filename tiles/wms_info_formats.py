"""The INFO_FORMATs of GetFeatureInfo: HTML, GeoJSON, GML 3.1.1 and plain text.

Every value comes from user data (attribute values, project codes), so HTML is escaped,
XML is built with lxml (property names are allow-listed XML names, see
tiles.feature_types.SAFE_NAME) and ST_AsGML fragments are parsed with a parser that
resolves no entities and reads no network.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.utils.html import escape
from lxml import etree

from tiles.wms_featureinfo import GML_FORMATS, Hit

GML_NS = "http://www.opengis.net/gml"
PLAN_NS = "urn:x-planning:features"
INFO_FORMATS = (
    "text/html",
    "application/json",
    "application/geo+json",
    "application/vnd.ogc.gml",
    "text/xml",
    "application/gml+xml",
    "text/plain",
)
_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def _fid(hit: Hit) -> str:
    return f"{hit.kind}.{hit.id}"


def _fields(hit: Hit) -> dict[str, object]:
    return {**hit.properties, "layer": hit.kind, "project": hit.project, "revision": hit.revision}


def as_html(hits: list[Hit]) -> tuple[bytes, str]:
    parts = ['<!DOCTYPE html><html><head><meta charset="utf-8"><title>GetFeatureInfo</title>']
    parts.append("</head><body>")
    if not hits:
        parts.append("<p>Không có đối tượng / No features</p>")
    for hit in hits:
        parts.append(f'<table class="feature" id="{escape(_fid(hit))}">')
        for name, value in _fields(hit).items():
            shown = "" if value is None else str(value)
            parts.append(f"<tr><th>{escape(name)}</th><td>{escape(shown)}</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "".join(parts).encode("utf-8"), "text/html; charset=utf-8"


def as_geojson(hits: list[Hit]) -> tuple[bytes, str]:
    """A GeoJSON FeatureCollection; geometries in lon/lat WGS 84 as RFC 7946 requires."""
    features = [
        {
            "type": "Feature",
            "id": _fid(hit),
            "geometry": json.loads(hit.geometry) if hit.geometry else None,
            "properties": _fields(hit),
        }
        for hit in hits
    ]
    body = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
    return body.encode("utf-8"), "application/json"


def as_geojson_typed(hits: list[Hit]) -> tuple[bytes, str]:
    """as_geojson answered as the media type asked for (application/geo+json)."""
    body, _ = as_geojson(hits)
    return body, "application/geo+json"


def _gml_geometry(fragment: str) -> etree._Element:
    """An ST_AsGML fragment (prefix gml undeclared) as an element, parsed safely."""
    wrapped = f'<w xmlns:gml="{GML_NS}">{fragment}</w>'
    return etree.fromstring(wrapped.encode("utf-8"), _SAFE_PARSER)[0]


def as_gml(hits: list[Hit]) -> tuple[bytes, str]:
    """GML 3.1.1: a gml:FeatureCollection of plan:<kind> members with their geometry."""
    nsmap = {"gml": GML_NS, "plan": PLAN_NS}
    root = etree.Element(f"{{{GML_NS}}}FeatureCollection", nsmap=nsmap)
    for hit in hits:
        member = etree.SubElement(root, f"{{{GML_NS}}}featureMember")
        feature = etree.SubElement(member, f"{{{PLAN_NS}}}{hit.kind}")
        feature.set(f"{{{GML_NS}}}id", _fid(hit))
        for name, value in _fields(hit).items():
            etree.SubElement(feature, f"{{{PLAN_NS}}}{name}").text = (
                "" if value is None else str(value)
            )
        if hit.geometry:
            geometry = etree.SubElement(feature, f"{{{PLAN_NS}}}geometry")
            geometry.append(_gml_geometry(hit.geometry))
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return body, "application/vnd.ogc.gml"


def as_text(hits: list[Hit]) -> tuple[bytes, str]:
    lines = [f"GetFeatureInfo results: {len(hits)} feature(s)"]
    for hit in hits:
        lines.append(f"Feature {_fid(hit)}:")
        lines.extend(f"  {name} = {value!r}" for name, value in _fields(hit).items())
    return ("\n".join(lines) + "\n").encode("utf-8"), "text/plain; charset=utf-8"


def formatter(info_format: str) -> Callable[[list[Hit]], tuple[bytes, str]]:
    if info_format in GML_FORMATS:
        return as_gml
    return {
        "text/html": as_html,
        "application/json": as_geojson,
        "application/geo+json": as_geojson_typed,
        "text/plain": as_text,
    }[info_format]
