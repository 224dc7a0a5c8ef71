"""Capabilities additions (queryable, formats, LegendURL, TIME), GetLegendGraphic and bad
input: every malformed request is an OGC exception, never a server error."""

from __future__ import annotations

import io

import pytest
from lxml import etree
from owslib.wms import WebMapService
from PIL import Image

from tests.ogc_schemas import needs_schemas, validate
from tests.tiles.helpers import DO
from tests.wms.helpers import get, wms_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("catalogue")]
SAFE = etree.XMLParser(resolve_entities=False, no_network=True)
WMS = "{http://www.opengis.net/wms}"
XLINK = "{http://www.w3.org/1999/xlink}href"


def _caps(base: str, version: str = "1.3.0", headers: dict | None = None) -> bytes:
    url = f"{base}/ows?SERVICE=WMS&REQUEST=GetCapabilities&VERSION={version}"
    status, _, body = get(url, headers)
    assert status == 200, body
    return body


def test_capabilities_advertise_formats_legend_and_time(live_server, plan_in_force):
    root = etree.fromstring(_caps(live_server.url), SAFE)
    getmap = [f.text for f in root.find(f".//{WMS}GetMap").iter(f"{WMS}Format")]
    assert getmap == ["image/png", "image/jpeg", "image/png; mode=8bit"]
    layers = {el.findtext(f"{WMS}Name"): el for el in root.iter(f"{WMS}Layer")}
    plans = layers["plans"]
    assert plans.get("queryable") == "1"
    [dimension] = plans.findall(f"{WMS}Dimension")
    assert dimension.get("name") == "time"
    assert dimension.get("units") == "ISO8601"
    assert dimension.text.endswith("Z")
    legend = plans.find(f"{WMS}Style/{WMS}LegendURL/{WMS}OnlineResource").get(XLINK)
    assert "request=GetLegendGraphic" in legend
    assert "layer=plans" in legend
    status, headers, _body = get(legend if legend.startswith("http") else live_server.url + legend)
    assert status == 200
    assert headers["Content-Type"] == "image/png"


def test_capabilities_111_lists_the_time_extent(live_server, plan_in_force):
    wms = WebMapService(f"{live_server.url}/ows", version="1.1.1")
    assert wms["landuse"].queryable == 1
    assert wms["plans"].timepositions  # OWSLib reads <Extent name="time">
    assert "image/png; mode=8bit" in wms.getOperationByName("GetMap").formatOptions
    assert "default" in wms["plans"].styles
    assert wms["plans"].styles["default"]["legend"]


def test_legend_graphic_has_the_plan_colours_and_text(live_server, plan_in_force):
    url = f"{live_server.url}/wms?REQUEST=GetLegendGraphic&LAYER=landuse&FORMAT=image/png"
    status, _headers, body = get(url)
    assert status == 200
    image = Image.open(io.BytesIO(body)).convert("RGBA")
    found = {rgba[:3] for _, rgba in image.getcolors(1 << 20) if rgba[3] == 255}
    assert DO in found  # the swatch of the category in force
    assert (0, 0, 0) in found  # label text
    assert image.height >= 2 * 20  # DO and CX rows
    english = get(url + "&LANGUAGE=en")[2]
    assert english != body  # Vietnamese labels by default, English on request


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"BBOX": "10,10,0,0", "CRS": "EPSG:3857"}, "InvalidParameterValue"),  # reversed
        ({"BBOX": "0,0,0,0", "CRS": "EPSG:3857"}, "InvalidParameterValue"),  # empty
        ({"BBOX": "a,b,c,d"}, "InvalidParameterValue"),
        ({"BBOX": "nan,0,1,1"}, "InvalidParameterValue"),
        ({"BBOX": "1,2,3"}, "InvalidParameterValue"),
        ({"CRS": "EPSG:1234"}, "InvalidCRS"),
        ({"CRS": "EPSG:abc"}, "InvalidCRS"),
        ({"WIDTH": "-5"}, "InvalidParameterValue"),
        ({"WIDTH": "0"}, "InvalidParameterValue"),
        ({"HEIGHT": "99999999999999999999"}, "InvalidParameterValue"),
        ({"FORMAT": "image/gif"}, "InvalidFormat"),
        ({"LAYERS": ""}, "MissingParameterValue"),
        ({"LAYERS": "plans'--"}, "LayerNotDefined"),
        ({"STYLES": "fancy"}, "StyleNotDefined"),
        ({"BGCOLOR": "red"}, "InvalidParameterValue"),
        ({"TIME": "\x00"}, "InvalidDimensionValue"),
    ],
)
def test_bad_getmap_is_an_ogc_exception(live_server, plan_in_force, params, code):
    status, _, body = get(wms_url(live_server.url, **params))
    assert status == 400, body[:300]
    assert f'code="{code}"'.encode() in body


def test_bad_getmap_111_uses_srs_codes(live_server, plan_in_force):
    status, headers, body = get(wms_url(live_server.url, VERSION="1.1.1", CRS=None, SRS="EPSG:1"))
    assert status == 400
    assert headers["Content-Type"].startswith("application/vnd.ogc.se_xml")
    assert b'code="InvalidSRS"' in body


def test_forwarded_headers_do_not_reach_capabilities(live_server, plan_in_force):
    body = _caps(
        live_server.url,
        headers={"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": 'x"><a'},
    )
    root = etree.fromstring(body, SAFE)  # still well-formed: nothing was injected
    hrefs = {el.get(XLINK) for el in root.iter(f"{WMS}OnlineResource")}
    assert not any("evil" in h or h.startswith("x") for h in hrefs)
    host = live_server.url.split("//", 1)[1]
    assert any(host in h for h in hrefs)


def test_disallowed_host_is_refused(live_server, plan_in_force):
    status, _, _ = get(
        f"{live_server.url}/ows?SERVICE=WMS&REQUEST=GetCapabilities", {"Host": "evil.example"}
    )
    assert status == 400


@needs_schemas
def test_capabilities_130_still_validate_with_time(live_server, plan_in_force):
    validate(_caps(live_server.url))
