"""Offline validation against the official OGC schemas (shared by the service tests).

/work/shared/ogc-schemas holds the schemas; the resolver maps their URLs to the local
copies, so nothing is fetched from the network. `validate_all` follows the document's
xsi:schemaLocation, which matters where one document mixes namespaces (WMS 1.3.0
capabilities with the SLD GetLegendGraphic extension operation).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

SCHEMAS = Path("/work/shared/ogc-schemas")
PREFIXES = {
    "http://schemas.opengis.net/": SCHEMAS / "ogc",
    "http://www.w3.org/": SCHEMAS / "w3c",
}
XSI = "{http://www.w3.org/2001/XMLSchema-instance}"
needs_schemas = pytest.mark.skipif(not SCHEMAS.is_dir(), reason="OGC schemas not available")


class OfflineSchemas(etree.Resolver):
    """Maps the schema URLs to the local copies; nothing is fetched from the network."""

    def resolve(self, system_url, public_id, context):
        for prefix, folder in PREFIXES.items():
            if system_url.startswith(prefix):
                return self.resolve_filename(str(folder / system_url[len(prefix) :]), context)
        return None


def offline_parser() -> etree.XMLParser:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(OfflineSchemas())
    return parser


def schema(url: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(url, offline_parser()))


def _combined(locations: list[tuple[str, str]]) -> etree.XMLSchema:
    xs = "http://www.w3.org/2001/XMLSchema"
    root = etree.Element(f"{{{xs}}}schema", nsmap={"xs": xs})
    for namespace, url in locations:
        etree.SubElement(root, f"{{{xs}}}import", namespace=namespace, schemaLocation=url)
    document = etree.fromstring(etree.tostring(root), offline_parser())
    return etree.XMLSchema(document)


def validate(document: bytes, against: str | etree.XMLSchema | None = None) -> None:
    """Fail the test unless `document` is valid against a schema (given, or by its URL);
    without one, against the schemas its schemaLocation names."""
    tree = etree.fromstring(document, etree.XMLParser(no_network=True, resolve_entities=False))
    if isinstance(against, etree.XMLSchema):
        checker = against
    elif against is not None:
        checker = schema(against)
    else:
        pairs = (tree.get(f"{XSI}schemaLocation") or "").split()
        checker = _combined(list(zip(pairs[::2], pairs[1::2], strict=True)))
    if not checker.validate(tree):
        pytest.fail("\n".join(str(e) for e in checker.error_log)[:3000])
