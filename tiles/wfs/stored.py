"""Stored queries: only the mandatory GetFeatureById of WFS 2.0."""

from __future__ import annotations

from lxml import etree

from tiles.wfs.errors import WfsError
from tiles.wfs.profiles import NS, PREFIX, V2
from tiles.wfs.request import GET_FEATURE_BY_ID

TITLE = "Get feature by identifier"


def list_stored_queries(type_names: list[str]) -> bytes:
    root = etree.Element(
        f"{{{V2.wfs}}}ListStoredQueriesResponse", nsmap={"wfs": V2.wfs, PREFIX: NS}
    )
    query = etree.SubElement(root, f"{{{V2.wfs}}}StoredQuery", id=GET_FEATURE_BY_ID)
    etree.SubElement(query, f"{{{V2.wfs}}}Title").text = TITLE
    for name in type_names:
        etree.SubElement(query, f"{{{V2.wfs}}}ReturnFeatureType").text = f"{PREFIX}:{name}"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def describe_stored_queries(ids: list[str], type_names: list[str]) -> bytes:
    for query_id in ids:
        if query_id != GET_FEATURE_BY_ID:
            raise WfsError(f"Unknown stored query {query_id[:80]!r}.", locator="STOREDQUERY_ID")
    root = etree.Element(
        f"{{{V2.wfs}}}DescribeStoredQueriesResponse",
        nsmap={"wfs": V2.wfs, "xs": "http://www.w3.org/2001/XMLSchema", PREFIX: NS},
    )
    description = etree.SubElement(
        root, f"{{{V2.wfs}}}StoredQueryDescription", id=GET_FEATURE_BY_ID
    )
    etree.SubElement(description, f"{{{V2.wfs}}}Title").text = TITLE
    etree.SubElement(description, f"{{{V2.wfs}}}Parameter", name="ID", type="xs:string")
    expression = etree.SubElement(
        description,
        f"{{{V2.wfs}}}QueryExpressionText",
        isPrivate="true",
        language="urn:ogc:def:queryLanguage:OGC-WFS::WFSQueryExpression",
        returnFeatureTypes=" ".join(f"{PREFIX}:{n}" for n in type_names),
    )
    expression.text = None
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
