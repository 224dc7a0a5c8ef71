"""WFS documents validated against the official schemas, offline: capabilities, the
DescribeFeatureType XSD (itself a valid schema), and GetFeature GML with both."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from tests.ogc_schemas import needs_schemas, offline_parser, schema, validate
from tests.wfs.helpers import call

pytestmark = [pytest.mark.django_db(transaction=True)]


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
    return etree.XMLSchema(etree.parse(str(tmp_path / "wrapper.xsd"), offline_parser()))


@needs_schemas
def test_capabilities_valid_wfs20(live_server, plan_in_force):
    validate(
        _wfs(live_server, REQUEST="GetCapabilities"), "http://schemas.opengis.net/wfs/2.0/wfs.xsd"
    )


@needs_schemas
def test_describe_feature_type_is_a_schema(live_server, plan_in_force, tmp_path):
    xsd = _wfs(live_server, REQUEST="DescribeFeatureType", TYPENAMES="landuse")
    (tmp_path / "features.xsd").write_bytes(xsd)
    assert schema(str(tmp_path / "features.xsd")) is not None


@needs_schemas
@pytest.mark.parametrize("srs", ["", "urn:ogc:def:crs:EPSG::4326", "EPSG:3857"])
def test_getfeature_gml_validates(live_server, plan_in_force, tmp_path, srs):
    xsd = _wfs(live_server, REQUEST="DescribeFeatureType", TYPENAMES="landuse")
    combined = _combined(xsd, tmp_path)
    params = {"REQUEST": "GetFeature", "TYPENAMES": "landuse"}
    if srs:
        params["SRSNAME"] = srs
    validate(_wfs(live_server, **params), combined)


@needs_schemas
def test_a_middle_page_with_next_and_previous_validates(live_server, plan_in_force, tmp_path):
    combined = _combined(
        _wfs(live_server, REQUEST="DescribeFeatureType", TYPENAMES="landuse"), tmp_path
    )
    page = _wfs(live_server, REQUEST="GetFeature", TYPENAMES="landuse", COUNT="1", STARTINDEX="1")
    assert b" previous=" in page
    validate(page, combined)


def _wfs11(live_server, **params: str) -> tuple[int, bytes]:
    status, _, body = call(
        f"{live_server.url}/wfs", {"SERVICE": "WFS", "VERSION": "1.1.0", **params}
    )
    return status, body


@needs_schemas
def test_wfs11_filter_capabilities_are_valid_filter_11(live_server, plan_in_force):
    """WFS 1.1's schema set does not load in libxml2 (filter 1.1 declares GML twice), so
    its Filter_Capabilities are validated against filterCapabilities.xsd alone: Filter 1.1
    offers no multi-geometry operands."""
    status, body = _wfs11(live_server, REQUEST="GetCapabilities")
    assert status == 200, body[:500]
    ogc = "http://www.opengis.net/ogc"
    capabilities = etree.fromstring(body).find(f"{{{ogc}}}Filter_Capabilities")
    assert capabilities is not None
    operands = capabilities.findall(f".//{{{ogc}}}GeometryOperand")
    assert [operand.text for operand in operands][:2] == ["gml:Envelope", "gml:Point"]
    validate(
        etree.tostring(capabilities),
        schema("http://schemas.opengis.net/filter/1.1.0/filterCapabilities.xsd"),
    )


@needs_schemas
def test_wfs11_exception_report_is_valid_ows_10(live_server, plan_in_force):
    status, body = _wfs11(live_server, REQUEST="DescribeFeatureType", TYPENAME="planning:nope")
    assert status == 400, body[:500]
    assert etree.fromstring(body).get("language") == "en"
    validate(body, "http://schemas.opengis.net/ows/1.0.0/owsExceptionReport.xsd")


def test_wfs11_reads_its_own_urn_form_of_a_crs(live_server, plan_in_force):
    """urn:x-ogc:def:crs:EPSG:4326, the form WFS 1.1 examples use, is latitude first."""
    params = {"REQUEST": "GetFeature", "TYPENAME": "planning:landuse"}
    status, body = _wfs11(live_server, SRSNAME="urn:x-ogc:def:crs:EPSG:4326", **params)
    assert status == 200, body[:500]
    gml = "http://www.opengis.net/gml"
    first = etree.fromstring(body).find(f".//{{{gml}}}posList")
    if first is None:
        first = etree.fromstring(body).find(f".//{{{gml}}}pos")
    lat, lon = (float(value) for value in first.text.split()[:2])
    assert 16 < lat < 17
    assert 107 < lon < 108
