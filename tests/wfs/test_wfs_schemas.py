"""WFS documents validated against the official schemas, offline: capabilities, the
DescribeFeatureType XSD (itself a valid schema), and GetFeature GML with both."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from tests.wfs.helpers import call

pytestmark = [pytest.mark.django_db(transaction=True)]
SCHEMAS = Path("/work/shared/ogc-schemas")
PREFIXES = {
    "http://schemas.opengis.net/": SCHEMAS / "ogc",
    "http://www.w3.org/": SCHEMAS / "w3c",
}
skip_offline = pytest.mark.skipif(not SCHEMAS.is_dir(), reason="OGC schemas not available")


class OfflineSchemas(etree.Resolver):
    """Maps the schema URLs to the local copies; nothing is fetched from the network."""

    def resolve(self, system_url, public_id, context):
        for prefix, folder in PREFIXES.items():
            if system_url.startswith(prefix):
                return self.resolve_filename(str(folder / system_url[len(prefix) :]), context)
        return None


def _parser() -> etree.XMLParser:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(OfflineSchemas())
    return parser


def _validate(document: bytes, schema: etree.XMLSchema) -> None:
    tree = etree.fromstring(document, etree.XMLParser(no_network=True, resolve_entities=False))
    if not schema.validate(tree):
        pytest.fail("\n".join(str(e) for e in schema.error_log)[:3000])


def _wfs(live_server, **params: str) -> bytes:
    status, _, body = call(
        f"{live_server.url}/wfs", {"SERVICE": "WFS", "VERSION": "2.0.0", **params}
    )
    assert status == 200, body[:500]
    return body


def _combined(xsd: bytes, tmp_path: Path) -> etree.XMLSchema:
    """The feature schema plus WFS 2.0, through one wrapper schema importing both."""
    (tmp_path / "features.xsd").write_bytes(xsd)
    wrapper = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'targetNamespace="urn:wrapper" elementFormDefault="qualified">'
        '<xs:import namespace="http://www.opengis.net/wfs/2.0" '
        'schemaLocation="http://schemas.opengis.net/wfs/2.0/wfs.xsd"/>'
        '<xs:import namespace="http://planning.local/wfs" '
        f'schemaLocation="{(tmp_path / "features.xsd").as_uri()}"/></xs:schema>'
    )
    (tmp_path / "wrapper.xsd").write_text(wrapper)
    return etree.XMLSchema(etree.parse(str(tmp_path / "wrapper.xsd"), _parser()))


@skip_offline
def test_capabilities_valid_wfs20(live_server, plan_in_force):
    schema = etree.XMLSchema(etree.parse("http://schemas.opengis.net/wfs/2.0/wfs.xsd", _parser()))
    _validate(_wfs(live_server, REQUEST="GetCapabilities"), schema)


@skip_offline
def test_describe_feature_type_is_a_schema(live_server, plan_in_force, tmp_path):
    xsd = _wfs(live_server, REQUEST="DescribeFeatureType", TYPENAMES="landuse")
    (tmp_path / "features.xsd").write_bytes(xsd)
    schema = etree.XMLSchema(etree.parse(str(tmp_path / "features.xsd"), _parser()))
    assert schema is not None


@skip_offline
@pytest.mark.parametrize("srs", ["", "urn:ogc:def:crs:EPSG::4326", "EPSG:3857"])
def test_getfeature_gml_validates(live_server, plan_in_force, tmp_path, srs):
    xsd = _wfs(live_server, REQUEST="DescribeFeatureType", TYPENAMES="landuse")
    schema = _combined(xsd, tmp_path)
    params = {"REQUEST": "GetFeature", "TYPENAMES": "landuse"}
    if srs:
        params["SRSNAME"] = srs
    _validate(_wfs(live_server, **params), schema)
