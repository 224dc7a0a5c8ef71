"""A RESTful-looking WMTS path in a layout the server does not offer is answered as such: 404
with the tile template of the capabilities (its ResourceURL). Seven segments used to be
taken for a feature info request whatever they held, so a KVP-style
/wmts/1.0.0/{Layer}/{Style}/{TileMatrixSet}/{TileMatrix}/{TileRow}/{TileCol}.png heard that
GetFeatureInfo is not offered. A path that is a feature info request keeps that answer."""

from __future__ import annotations

import re

import pytest
from lxml import etree

pytestmark = pytest.mark.django_db
OWS11 = "{http://www.opengis.net/ows/1.1}"
WMTS = "{http://www.opengis.net/wmts/1.0}"


def ows_exception(body: bytes) -> tuple[str | None, str]:
    (item,) = etree.fromstring(body).findall(f"{OWS11}Exception")
    return item.get("exceptionCode"), item.findtext(f"{OWS11}ExceptionText") or ""


def tile_template(client) -> str:
    """The tile ResourceURL template of the land-use layer, without scheme and host."""
    document = etree.fromstring(client.get("/wmts/1.0.0/WMTSCapabilities.xml").content)
    for layer in document.iter(f"{WMTS}Layer"):
        if layer.findtext(f"{OWS11}Identifier") != "landuse":
            continue
        for url in layer.iter(f"{WMTS}ResourceURL"):
            if url.get("resourceType") == "tile":
                return re.sub(r"^https?://[^/]+", "", url.get("template"))
    raise AssertionError("no tile ResourceURL of landuse")


@pytest.mark.parametrize(
    "path",
    [
        "1.0.0/landuse/default/webmercator/17/59451/104712.png",  # the QA walk's
        "landuse/webmercator/17/59451/104712/x/y.png",
        "1.0.0/landuse/webmercator/17/59451/104712/3.png",
    ],
)
def test_a_path_in_another_layout_is_404_with_the_tile_template(client, plan_in_force, path):
    response = client.get(f"/wmts/{path}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404, response.content
    code, text = ows_exception(response.content)
    assert code == "InvalidParameterValue"
    assert "GetFeatureInfo" not in text
    offered = tile_template(client).replace("/landuse/", "/{Layer}/")
    assert offered == "/wmts/{Layer}/{TileMatrixSet}/{TileMatrix}/{TileCol}/{TileRow}.png"
    assert offered in text
    assert "/wmts/1.0.0/WMTSCapabilities.xml" in text


def test_only_a_feature_info_path_hears_it_is_not_offered(client, plan_in_force):
    info = client.get("/wmts/landuse/webmercator/17/104712/59451/3/7.html")
    assert info.status_code == 400
    code, text = ows_exception(info.content)
    assert code == "OperationNotSupported"
    assert text.startswith("GetFeatureInfo is not offered by this WMTS")
    # The same number of segments with names where the template has numbers is no request.
    other = client.get("/wmts/1.0.0/landuse/default/webmercator/17/104712/59451.png")
    assert other.status_code == 404
    assert ows_exception(other.content)[0] == "InvalidParameterValue"
