"""WMS 1.3.0 and WMTS 1.0 capabilities validated against the official OGC schemas, offline."""

from __future__ import annotations

import pytest

from tests.ogc_schemas import needs_schemas, validate
from tests.tiles.helpers import fetch

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("catalogue")]


@needs_schemas
def test_wms_130_capabilities_validate(live_server, plan_in_force):
    """By its schemaLocation: WMS 1.3.0 plus the SLD GetLegendGraphic extension."""
    _, _, body = fetch(f"{live_server.url}/ows?SERVICE=WMS&REQUEST=GetCapabilities&VERSION=1.3.0")
    validate(body)


@needs_schemas
@pytest.mark.parametrize(
    "path", ["/wmts?REQUEST=GetCapabilities", "/ows?SERVICE=WMTS&REQUEST=GetCapabilities",
             "/wmts/1.0.0/WMTSCapabilities.xml"],
)  # fmt: skip
def test_wmts_capabilities_validate(live_server, plan_in_force, path):
    _, _, body = fetch(f"{live_server.url}{path}")
    validate(body, "http://schemas.opengis.net/wmts/1.0/wmtsGetCapabilities_response.xsd")
    # No GetFeatureInfo: MapProxy's Mapnik sources answer none over WMTS (WMS does).
    assert b"GetFeatureInfo" not in body
    assert b'resourceType="FeatureInfo"' not in body
    assert b'<ows:Operation name="GetTile">' in body
