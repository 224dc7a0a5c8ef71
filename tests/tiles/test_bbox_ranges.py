"""Out-of-range bounding boxes are the client's mistake: 400 with a clear message (an OGC
exception report for WMS/WFS, JSON for the REST API), never a 500 from PostGIS failing to
transform them. The QA walkthrough's three requests, plus what must keep working."""

from __future__ import annotations

import json
import urllib.parse

import pytest
from lxml import etree
from owslib.util import ServiceException
from owslib.wfs import WebFeatureService

from tests.wfs.helpers import call, exception_code

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("catalogue")]
OGC = "{http://www.opengis.net/ogc}"
# Inside lot A1 of plan_in_force, lon/lat (its 100 m square at EPSG:9214 HUE_X, HUE_Y).
NEAR_A1 = (107.5801, 16.46825, 107.58048, 16.46861)


def _wms_exception(body: bytes) -> tuple[str | None, str]:
    root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
    assert root.tag == f"{OGC}ServiceExceptionReport", body[:300]
    item = root.find(f"{OGC}ServiceException")
    return item.get("code"), item.text or ""


def test_rest_features_bbox_latitude_beyond_the_pole(live_server, plan_in_force):
    status, headers, body = call(f"{live_server.url}/api/features/?bbox=107,95,108,96")
    assert status == 400, body[:300]
    assert headers["Content-Type"].startswith("application/json")
    error = json.loads(body)
    assert error["code"] == "InvalidParameterValue"
    assert "latitudes must lie between -90 and 90" in error["detail"]
    status, _, body = call(f"{live_server.url}/api/features/?bbox=-181,16,107,17")
    assert status == 400
    assert "longitudes must lie between -180 and 180" in json.loads(body)["detail"]
    status, _, body = call(
        f"{live_server.url}/api/features/?bbox={','.join(str(v) for v in NEAR_A1)}"
    )
    assert status == 200, body[:300]
    assert [f["properties"]["code"] for f in json.loads(body)["features"]] == ["A1"]


def test_wms_getfeatureinfo_with_latitude_200(live_server, plan_in_force):
    """WMS 1.3.0 in EPSG:4326 is latitude first: BBOX=95,200,96,201 has latitudes 95-96."""
    query = (
        "SERVICE=WMS&VERSION=1.3.0&REQUEST=GetFeatureInfo&LAYERS=plans&QUERY_LAYERS=plans"
        "&STYLES=&CRS=EPSG:4326&BBOX=95,200,96,201&WIDTH=256&HEIGHT=256&I=1&J=1"
        "&INFO_FORMAT=application/json"
    )
    status, _, body = call(f"{live_server.url}/ows?{query}")
    assert status == 400, body[:300]
    code, message = _wms_exception(body)
    assert code == "InvalidParameterValue"
    assert "BBOX: bbox latitudes must lie between -90 and 90" in message
    assert "latitude first" in message
    lat0, lon0, lat1, lon1 = NEAR_A1[1], NEAR_A1[0], NEAR_A1[3], NEAR_A1[2]
    fixed = query.replace("BBOX=95,200,96,201", f"BBOX={lat0},{lon0},{lat1},{lon1}")
    status, _, body = call(f"{live_server.url}/ows?{fixed.replace('I=1&J=1', 'I=128&J=128')}")
    assert status == 200, body[:300]
    assert [f["properties"]["code"] for f in json.loads(body)["features"]] == ["A1"]


def test_wms_getmap_beyond_the_world_in_web_mercator_still_draws(live_server, plan_in_force):
    """Projected boxes are only checked for being on Earth: zoomed-out web clients ask for
    more than the world in EPSG:3857, and get a map."""
    query = {
        "SERVICE": "WMS",
        "VERSION": "1.3.0",
        "REQUEST": "GetMap",
        "LAYERS": "plans",
        "STYLES": "",
        "CRS": "EPSG:3857",
        "BBOX": "-30000000,-30000000,30000000,30000000",
        "WIDTH": "64",
        "HEIGHT": "64",
        "FORMAT": "image/png",
    }
    status, headers, body = call(f"{live_server.url}/ows", query)
    assert status == 200, body[:300]
    assert {k.lower(): v for k, v in headers.items()}["content-type"] == "image/png"
    assert body.startswith(b"\x89PNG")


def test_wfs_urn_4326_bbox_given_lon_lat_is_refused(live_server, plan_in_force):
    """urn:ogc:def:crs:EPSG::4326 is latitude first, so 107.583 is a latitude: refused with
    InvalidParameterValue on bbox, not guessed at. OWSLib swaps a yx CRS's bbox itself, so
    handing it (lat, lon) sends exactly the QA walkthrough's request."""
    url = f"{live_server.url}/wfs"
    wfs = WebFeatureService(url, version="2.0.0")
    with pytest.raises(ServiceException) as refused:
        wfs.getfeature(
            typename=["planning:landuse"],
            bbox=(16.465, 107.583, 16.467, 107.586, "urn:ogc:def:crs:EPSG::4326"),
            outputFormat="application/json",
        )
    assert "latitudes must lie between -90 and 90" in str(refused.value)
    query = {
        "SERVICE": "WFS",
        "VERSION": "2.0.0",
        "REQUEST": "GetFeature",
        "TYPENAMES": "landuse",
        "BBOX": "107.583,16.465,107.586,16.467,urn:ogc:def:crs:EPSG::4326",
    }
    status, _, body = call(url, query)
    assert status == 400, body[:300]
    assert exception_code(body) == ("InvalidParameterValue", "bbox")
    assert b"latitude first" in body
    lat_first = f"{NEAR_A1[1]},{NEAR_A1[0]},{NEAR_A1[3]},{NEAR_A1[2]},urn:ogc:def:crs:EPSG::4326"
    status, _, body = call(url, {**query, "BBOX": lat_first, "OUTPUTFORMAT": "application/json"})
    assert status == 200, body[:300]
    assert [f["properties"]["code"] for f in json.loads(body)["features"]] == ["A1"]


def test_wfs_projected_bbox_off_the_earth_is_refused(live_server, plan_in_force):
    status, _, body = call(
        f"{live_server.url}/wfs",
        {
            "SERVICE": "WFS",
            "VERSION": "2.0.0",
            "REQUEST": "GetFeature",
            "TYPENAMES": "landuse",
            "BBOX": "0,0,1e12,1e12,urn:ogc:def:crs:EPSG::32648",
        },
    )
    assert status == 400, body[:300]
    assert exception_code(body) == ("InvalidParameterValue", "bbox")
    assert b"outside the area EPSG:32648 can describe" in body


def test_ogcapi_items_use_the_same_check(live_server, plan_in_force):
    base = f"{live_server.url}/ogcapi/collections/landuse/items"
    status, _, body = call(f"{base}?{urllib.parse.urlencode({'bbox': '107,95,108,96'})}")
    assert status == 400, body[:300]
    assert "latitudes must lie between -90 and 90" in body.decode()
    status, _, body = call(f"{base}?bbox=-180,-90,180,90&f=json")
    assert status == 200, body[:300]
    assert {f["properties"]["code"] for f in json.loads(body)["features"]} == {"A1", "A2"}
