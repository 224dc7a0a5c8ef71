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
def test_wmts_capabilities_validate(live_server, plan_in_force):
    _, _, body = fetch(f"{live_server.url}/wmts?REQUEST=GetCapabilities")
    validate(body, "http://schemas.opengis.net/wmts/1.0/wmtsGetCapabilities_response.xsd")
