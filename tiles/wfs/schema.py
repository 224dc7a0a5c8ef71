"""DescribeFeatureType: an XML Schema per feature type, from the allow-listed properties.

GML 3.2 for WFS 2.0, GML 3.1.1 for WFS 1.1; the geometry element's type follows the
layer kind (kinds of one geometry family are served as multi-geometries).
"""

from __future__ import annotations

from lxml import etree

from tiles.feature_types import FeatureType, Property
from tiles.wfs.profiles import NS, PREFIX, XS, Profile

XS_TYPES = {
    "string": "xs:string",
    "integer": "xs:integer",
    "number": "xs:double",
    "boolean": "xs:boolean",
    "datetime": "xs:dateTime",
}
GEOMETRY_TYPES = {
    "polygon": "gml:MultiSurfacePropertyType",
    "line": "gml:MultiCurvePropertyType",
    "point": "gml:MultiPointPropertyType",
    "any": "gml:GeometryPropertyType",
}


def describe(types: list[tuple[FeatureType, list[Property]]], profile: Profile) -> bytes:
    """The schema document describing `types`."""
    root = etree.Element(
        f"{{{XS}}}schema",
        nsmap={"xs": XS, "gml": profile.gml, PREFIX: NS},
        targetNamespace=NS,
        elementFormDefault="qualified",
        version="1.0",
    )
    etree.SubElement(
        root, f"{{{XS}}}import", namespace=profile.gml, schemaLocation=profile.gml_schema
    )
    feature_base = "gml:AbstractFeature" if profile.is_v2 else "gml:_Feature"
    for ftype, properties in types:
        type_name = f"{ftype.name.replace('.', '_')}_Type"
        etree.SubElement(
            root,
            f"{{{XS}}}element",
            name=ftype.name,
            type=f"{PREFIX}:{type_name}",
            substitutionGroup=feature_base,
        )
        complex_type = etree.SubElement(root, f"{{{XS}}}complexType", name=type_name)
        content = etree.SubElement(complex_type, f"{{{XS}}}complexContent")
        extension = etree.SubElement(content, f"{{{XS}}}extension", base="gml:AbstractFeatureType")
        sequence = etree.SubElement(extension, f"{{{XS}}}sequence")
        etree.SubElement(
            sequence,
            f"{{{XS}}}element",
            name="geom",
            type=GEOMETRY_TYPES.get(ftype.geometry, "gml:GeometryPropertyType"),
            minOccurs="0",
            maxOccurs="1",
        )
        for prop in properties:
            element = etree.SubElement(
                sequence,
                f"{{{XS}}}element",
                name=prop.name,
                type=XS_TYPES.get(prop.type, "xs:string"),
                minOccurs="0",
                maxOccurs="1",
            )
            if prop.description:
                note = etree.SubElement(element, f"{{{XS}}}annotation")
                etree.SubElement(note, f"{{{XS}}}documentation").text = prop.description
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def describe_content_type(profile: Profile) -> str:
    return "application/gml+xml; version=3.2" if profile.is_v2 else "text/xml; subtype=gml/3.1.1"
