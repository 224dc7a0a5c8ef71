"""What differs between WFS 2.0.0 (GML 3.2, OWS 1.1, FES 2.0) and 1.1.0 (GML 3.1.1, OWS 1.0,
Filter 1.1): namespaces, schema locations, output formats and element names."""

from __future__ import annotations

from dataclasses import dataclass

from tiles.wfs.errors import WfsError

NS = "http://planning.local/wfs"  # the namespace of the served feature types
PREFIX = "planning"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XLINK = "http://www.w3.org/1999/xlink"
XS = "http://www.w3.org/2001/XMLSchema"
GEOJSON = "application/json"
GEOJSON_ALIASES = {"application/json", "application/geo+json", "json", "geojson"}


@dataclass(frozen=True)
class Profile:
    version: str
    wfs: str
    wfs_schema: str
    gml: str
    gml_schema: str
    ows: str
    fes: str
    gml_format: str
    gml_aliases: frozenset[str]
    member: str  # element wrapping each feature, as prefix:name

    @property
    def is_v2(self) -> bool:
        return self.version == "2.0.0"


V2 = Profile(
    "2.0.0",
    "http://www.opengis.net/wfs/2.0",
    "http://schemas.opengis.net/wfs/2.0/wfs.xsd",
    "http://www.opengis.net/gml/3.2",
    "http://schemas.opengis.net/gml/3.2.1/gml.xsd",
    "http://www.opengis.net/ows/1.1",
    "http://www.opengis.net/fes/2.0",
    "application/gml+xml; version=3.2",
    frozenset(
        {
            "application/gml+xml;version=3.2",
            "text/xml;subtype=gml/3.2",
            "gml32",
            "text/xml;subtype=gml/3.2.1",
            "application/gml+xml",
        }
    ),
    "wfs:member",
)
V11 = Profile(
    "1.1.0",
    "http://www.opengis.net/wfs",
    "http://schemas.opengis.net/wfs/1.1.0/wfs.xsd",
    "http://www.opengis.net/gml",
    "http://schemas.opengis.net/gml/3.1.1/base/gml.xsd",
    "http://www.opengis.net/ows",
    "http://www.opengis.net/ogc",
    "text/xml; subtype=gml/3.1.1",
    frozenset({"text/xml;subtype=gml/3.1.1", "gml3", "text/xml"}),
    "gml:featureMember",
)
PROFILES = {p.version: p for p in (V2, V11)}


def output_format(profile: Profile, text: str | None) -> str:
    """'gml' or 'geojson' from an OUTPUTFORMAT value (spaces and case ignored)."""
    if not text:
        return "gml"
    value = "".join(text.split()).lower()
    if value in GEOJSON_ALIASES:
        return "geojson"
    if value in profile.gml_aliases or value == "".join(profile.gml_format.split()).lower():
        return "gml"
    raise WfsError(f"Output format {text[:80]!r} is not offered.", locator="outputFormat")
