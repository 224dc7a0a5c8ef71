"""GetFeatureInfo answered from PostGIS, driven by OWSLib and plain HTTP."""

from __future__ import annotations

import json
from base64 import b64encode

import pytest
from lxml import etree
from owslib.wms import WebMapService

from tests.conftest import HUE_X, HUE_Y, declare_lot_schema, make_plan, square
from tests.wms.helpers import A1_PIXEL, B1_PIXEL, BBOX_9214, EMPTY_PIXEL, SIZE, get, wms_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("catalogue")]
GML = "{http://www.opengis.net/gml}"
SAFE = etree.XMLParser(resolve_entities=False, no_network=True)


def _info(base: str, pixel: tuple[int, int], **params: object) -> tuple[int, dict, bytes]:
    query = {"REQUEST": "GetFeatureInfo", "QUERY_LAYERS": "plans", "I": pixel[0], "J": pixel[1]}
    query.update(params)
    return get(wms_url(base, **query))


@pytest.mark.parametrize("version", ["1.1.1", "1.3.0"])
def test_owslib_getfeatureinfo_json(live_server, plan_in_force, version):
    wms = WebMapService(f"{live_server.url}/ows", version=version)
    assert wms["plans"].queryable == 1
    formats = wms.getOperationByName("GetFeatureInfo").formatOptions
    assert {"text/html", "application/json", "application/vnd.ogc.gml", "text/plain"} <= set(
        formats
    )
    response = wms.getfeatureinfo(
        layers=["plans"],
        srs="EPSG:9214",
        bbox=BBOX_9214,
        size=SIZE,
        format="image/png",
        query_layers=["plans"],
        info_format="application/json",
        xy=A1_PIXEL,
    )
    collection = json.loads(response.read())
    [feature] = collection["features"]
    assert feature["properties"]["code"] == "A1"
    assert feature["properties"]["category"] == "DO"
    assert feature["properties"]["project"] == "inforce"
    assert feature["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    lon, lat = feature["geometry"]["coordinates"][0][0][:2]
    assert 107.0 < lon < 108.0
    assert 16.0 < lat < 17.0


def test_feature_count_at_a_shared_edge(live_server, plan_in_force):
    """The edge between A1 and A2 is within tolerance of both; FEATURE_COUNT caps the list."""
    edge = (200, 450)
    _, _, one = _info(live_server.url, edge, INFO_FORMAT="application/json")
    _, _, two = _info(live_server.url, edge, INFO_FORMAT="application/json", FEATURE_COUNT=5)
    assert len(json.loads(one)["features"]) == 1
    codes = {f["properties"]["code"] for f in json.loads(two)["features"]}
    assert codes == {"A1", "A2"}


def test_geojson_is_answered_as_the_type_asked_for(live_server, plan_in_force):
    """QA walk: INFO_FORMAT=application/geo+json answered Content-Type application/json."""
    status, headers, body = _info(live_server.url, A1_PIXEL, INFO_FORMAT="application/geo+json")
    assert status == 200
    assert headers["Content-Type"] == "application/geo+json"
    assert [f["properties"]["code"] for f in json.loads(body)["features"]] == ["A1"]
    _, headers, _ = _info(live_server.url, A1_PIXEL, INFO_FORMAT="application/json")
    assert headers["Content-Type"] == "application/json"


def test_empty_pixel_and_plain_text(live_server, plan_in_force):
    declare_lot_schema(plan_in_force)  # `name` is published, as an import declares it
    status, headers, body = _info(live_server.url, EMPTY_PIXEL, INFO_FORMAT="text/plain")
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain")
    assert b"0 feature(s)" in body
    _, _, body = _info(live_server.url, A1_PIXEL, INFO_FORMAT="text/plain")
    assert "code = 'A1'" in body.decode()
    assert "Đất ở mới" in body.decode()


def test_html_is_escaped(live_server, planner, reviewer):
    evil = '<script>alert("x")</script>'
    evil_plan = make_plan(
        planner,
        reviewer,
        "evil",
        [(square(HUE_X, HUE_Y, 100), {"code": "E1", "function": "DO", "name": evil})],
        approve=True,
    )
    declare_lot_schema(evil_plan)
    status, headers, body = _info(live_server.url, A1_PIXEL, INFO_FORMAT="text/html")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert b"<script>" not in body
    assert b"&lt;script&gt;" in body


@pytest.mark.parametrize(
    ("info_format", "version", "crs"),
    [
        ("application/vnd.ogc.gml", "1.1.1", "EPSG:9214"),
        ("text/xml", "1.3.0", "EPSG:9214"),
        ("text/xml", "1.3.0", "EPSG:4326"),
    ],
)
def test_gml_311(live_server, plan_in_force, info_format, version, crs):
    from tests.tiles.helpers import to_wgs84

    if crs == "EPSG:4326":  # 1.3.0: latitude first
        (lon0, lat0), (lon1, lat1) = to_wgs84(*BBOX_9214[:2]), to_wgs84(*BBOX_9214[2:])
        bbox = f"{lat0},{lon0},{lat1},{lon1}"
    else:
        bbox = ",".join(str(v) for v in BBOX_9214)
    i_name, j_name = ("X", "Y") if version == "1.1.1" else ("I", "J")
    url = wms_url(
        live_server.url,
        REQUEST="GetFeatureInfo",
        VERSION=version,
        CRS=crs if version == "1.3.0" else None,
        SRS=crs if version == "1.1.1" else None,
        BBOX=bbox,
        QUERY_LAYERS="plans",
        INFO_FORMAT=info_format,
        **{i_name: A1_PIXEL[0], j_name: A1_PIXEL[1]},
    )
    status, headers, body = get(url)
    assert status == 200, body
    assert headers["Content-Type"].startswith(info_format)
    root = etree.fromstring(body, SAFE)
    assert root.tag == f"{GML}FeatureCollection"
    [polygon] = root.iter(f"{GML}Polygon")
    srid = crs.split(":")[1]
    assert polygon.get("srsName") == f"urn:ogc:def:crs:EPSG::{srid}"
    first = [float(v) for v in next(root.iter(f"{GML}posList")).text.split()[:2]]
    if crs == "EPSG:4326":
        assert 16.0 < first[0] < 17.0
        assert 107.0 < first[1] < 108.0
    else:
        assert abs(first[0] - HUE_X) < 101
        assert abs(first[1] - HUE_Y) < 101
    assert [e.text for e in root.iter("{urn:x-planning:features}code")] == ["A1"]


def test_drafts_only_for_their_readers(live_server, plan_in_force, draft_plan, planner):
    status, headers, body = _info(live_server.url, B1_PIXEL, INFO_FORMAT="application/json")
    assert status == 200
    assert json.loads(body)["features"] == []
    assert "private" not in headers.get("Cache-Control", "")
    basic = "Basic " + b64encode(b"planner_t:pw-planner-test").decode()
    status, headers, body = get(
        wms_url(
            live_server.url,
            REQUEST="GetFeatureInfo",
            QUERY_LAYERS="plans",
            I=B1_PIXEL[0],
            J=B1_PIXEL[1],
            INFO_FORMAT="application/json",
        ),
        headers={"Authorization": basic},
    )
    assert status == 200
    assert [f["properties"]["code"] for f in json.loads(body)["features"]] == ["B1"]
    assert headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"QUERY_LAYERS": "landuse"}, "LayerNotQueryable"),  # not in LAYERS
        ({"QUERY_LAYERS": "nope"}, "LayerNotDefined"),
        ({"QUERY_LAYERS": ""}, "MissingParameterValue"),
        ({"I": "abc"}, "InvalidPoint"),
        ({"I": "-1"}, "InvalidPoint"),
        ({"J": str(SIZE[1])}, "InvalidPoint"),
        ({"INFO_FORMAT": "application/x-evil"}, "InvalidFormat"),
        ({"FEATURE_COUNT": "zero"}, "InvalidParameterValue"),
    ],
)
def test_bad_featureinfo_requests(live_server, plan_in_force, params, code):
    query = {"INFO_FORMAT": "application/json", **params}
    status, _, body = _info(live_server.url, A1_PIXEL, **query)
    assert status == 400
    assert f'code="{code}"'.encode() in body
