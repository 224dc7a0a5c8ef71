"""WMS 1.3.0 and WMTS 1.0 capabilities validated against the official OGC schemas, offline."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from tests.tiles.helpers import fetch

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("catalogue")]
SCHEMAS = Path("/work/shared/ogc-schemas")
PREFIXES = {
    "http://schemas.opengis.net/": SCHEMAS / "ogc",
    "http://www.w3.org/": SCHEMAS / "w3c",
}


class OfflineSchemas(etree.Resolver):
    """Maps the schema URLs to the local copies; nothing is fetched from the network."""

    def resolve(self, system_url, public_id, context):
        for prefix, folder in PREFIXES.items():
            if system_url.startswith(prefix):
                return self.resolve_filename(str(folder / system_url[len(prefix) :]), context)
        return None


def _schema(url: str) -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(OfflineSchemas())
    return etree.XMLSchema(etree.parse(url, parser))


def _validate(document: bytes, schema_url: str) -> None:
    schema = _schema(schema_url)
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    tree = etree.fromstring(document, parser)
    if not schema.validate(tree):
        pytest.fail("\n".join(str(e) for e in schema.error_log))


@pytest.mark.skipif(not SCHEMAS.is_dir(), reason="OGC schemas not available")
def test_wms_130_capabilities_validate(live_server, plan_in_force):
    _, _, body = fetch(f"{live_server.url}/ows?SERVICE=WMS&REQUEST=GetCapabilities&VERSION=1.3.0")
    _validate(body, "http://schemas.opengis.net/wms/1.3.0/capabilities_1_3_0.xsd")


@pytest.mark.skipif(not SCHEMAS.is_dir(), reason="OGC schemas not available")
def test_wmts_capabilities_validate(live_server, plan_in_force):
    _, _, body = fetch(f"{live_server.url}/wmts?REQUEST=GetCapabilities")
    _validate(body, "http://schemas.opengis.net/wmts/1.0/wmtsGetCapabilities_response.xsd")
