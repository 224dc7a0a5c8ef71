"""WFS 2.0/1.1 over HTTP: capabilities, schema, GetFeature in GML and GeoJSON, paging,
filters, CRS and axis order, stored queries, the /ows dispatch."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from tests.conftest import HUE_X, HUE_Y
from tests.wfs.helpers import GML32, NS, WFS20, call, xml

pytestmark = [pytest.mark.django_db(transaction=True)]


def _wfs(live_server, **params: str) -> tuple[int, dict[str, str], bytes]:
    return call(f"{live_server.url}/wfs", {"SERVICE": "WFS", "VERSION": "2.0.0", **params})


def _geojson(live_server, **params: str) -> dict:
    status, _headers, body = _wfs(
        live_server, REQUEST="GetFeature", OUTPUTFORMAT="application/json", **params
    )
    assert status == 200, body[:500]
    return json.loads(body)


def test_capabilities_list_types_with_crs(live_server, plan_in_force):
    status, headers, body = _wfs(live_server, REQUEST="GetCapabilities")
    assert status == 200
    root = xml(body)
    names = [e.text for e in root.iter(f"{{{WFS20}}}Name")]
    assert "planning:landuse" in names
    assert "planning:landuse.inforce" in names
    assert root.findtext(f".//{{{WFS20}}}DefaultCRS") == "urn:ogc:def:crs:EPSG::9214"
    assert "urn:ogc:def:crs:EPSG::4756" in [e.text for e in root.iter(f"{{{WFS20}}}OtherCRS")]
    lower = root.findtext(".//{http://www.opengis.net/ows/1.1}LowerCorner").split()
    assert 107.5 < float(lower[0]) < 107.7
    assert 16.4 < float(lower[1]) < 16.5
    assert "Cache-Control" not in headers or "private" not in headers["Cache-Control"]


def test_ows_dispatches_wfs(live_server, plan_in_force):
    status, _, body = call(
        f"{live_server.url}/ows", {"service": "wfs", "request": "GetCapabilities"}
    )
    assert status == 200
    assert b"WFS_Capabilities" in body


def test_describe_feature_type_lists_properties(live_server, plan_in_force):
    status, _, body = _wfs(live_server, REQUEST="DescribeFeatureType", TYPENAMES="planning:landuse")
    assert status == 200
    root = xml(body)
    elements = {
        e.get("name"): e.get("type") for e in root.iter("{http://www.w3.org/2001/XMLSchema}element")
    }
    assert elements["geom"] == "gml:MultiSurfacePropertyType"
    assert elements["code"] == "xs:string"
    assert elements["area"] == "xs:double"
    assert elements["storeys_max"] == "xs:integer"


def test_getfeature_gml_has_features_and_vietnamese_text(live_server, plan_in_force):
    status, headers, body = _wfs(live_server, REQUEST="GetFeature", TYPENAMES="landuse")
    assert status == 200
    assert headers["Content-Type"].startswith("application/gml+xml")
    root = xml(body)
    assert root.get("numberMatched") == "2"
    assert root.get("numberReturned") == "2"
    features = root.findall(f"{{{WFS20}}}member/{{{NS}}}landuse")
    assert {f.findtext(f"{{{NS}}}code") for f in features} == {"A1", "A2"}
    assert "Đất ở mới" in [f.findtext(f"{{{NS}}}name") for f in features]
    assert all(f.get(f"{{{GML32}}}id").startswith("landuse.") for f in features)
    poslist = root.findtext(f".//{{{GML32}}}posList").split()
    assert HUE_X - 1 < float(poslist[0]) < HUE_X + 201
    assert HUE_Y - 1 < float(poslist[1]) < HUE_Y + 101


def test_srsname_urn_4326_is_lat_lon_in_gml(live_server, plan_in_force):
    _, _, body = _wfs(
        live_server,
        REQUEST="GetFeature",
        TYPENAMES="landuse",
        SRSNAME="urn:ogc:def:crs:EPSG::4326",
        COUNT="1",
    )
    root = xml(body)
    polygon = next(root.iter(f"{{{GML32}}}MultiSurface"))
    assert polygon.get("srsName") == "urn:ogc:def:crs:EPSG::4326"
    lat, lon = (float(v) for v in root.findtext(f".//{{{GML32}}}posList").split()[:2])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_SetSRID("
            "ST_MakePoint(%s, %s), 9214), 4326) p) t",
            [HUE_X, HUE_Y],
        )
        x, y = cursor.fetchone()
    assert abs(lat - y) < 0.01
    assert abs(lon - x) < 0.01


def test_geojson_crs84_with_properties(live_server, plan_in_force):
    data = _geojson(live_server, TYPENAMES="landuse", SORTBY="code DESC")
    assert data["type"] == "FeatureCollection"
    assert data["numberMatched"] == 2
    assert [f["properties"]["code"] for f in data["features"]] == ["A2", "A1"]
    lon, lat = data["features"][1]["geometry"]["coordinates"][0][0][0]
    assert 107.5 < lon < 107.7
    assert 16.4 < lat < 16.5
    assert data["features"][1]["properties"]["name"] == "Đất ở mới"


def test_paging_with_next_link(live_server, plan_in_force):
    data = _geojson(live_server, TYPENAMES="landuse", COUNT="1", SORTBY="code")
    assert data["numberReturned"] == 1
    assert data["features"][0]["properties"]["code"] == "A1"
    _status, _, body = _wfs(
        live_server, REQUEST="GetFeature", TYPENAMES="landuse", COUNT="1", SORTBY="code"
    )
    next_url = xml(body).get("next")
    assert next_url
    assert "STARTINDEX=1" in next_url
    assert xml(body).get("previous") is None  # the first page
    _, _, body = call(next_url)
    codes = [e.text for e in xml(body).iter(f"{{{NS}}}code")]
    assert codes == ["A2"]
    assert xml(body).get("next") is None
    # The page before (QA walk: only `next` was given), back to the first feature.
    previous_url = xml(body).get("previous")
    assert "STARTINDEX=0" in previous_url
    _, _, body = call(previous_url)
    assert [e.text for e in xml(body).iter(f"{{{NS}}}code")] == ["A1"]
    second = _geojson(live_server, TYPENAMES="landuse", COUNT="1", SORTBY="code", STARTINDEX="1")
    assert [link["rel"] for link in second["links"]] == ["prev"]
    assert "STARTINDEX=0" in second["links"][0]["href"]
    assert [link["rel"] for link in data["links"]] == ["next"]


def test_hits_counts_only(live_server, plan_in_force):
    _, _, body = _wfs(live_server, REQUEST="GetFeature", TYPENAMES="landuse", RESULTTYPE="hits")
    root = xml(body)
    assert root.get("numberMatched") == "2"
    assert root.get("numberReturned") == "0"
    assert len(root) == 0


def test_filter_fes20_attribute_and_bbox(live_server, plan_in_force):
    fes = (
        '<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0"><fes:PropertyIsEqualTo>'
        "<fes:ValueReference>function</fes:ValueReference><fes:Literal>CX</fes:Literal>"
        "</fes:PropertyIsEqualTo></fes:Filter>"
    )
    data = _geojson(live_server, TYPENAMES="landuse", FILTER=fes)
    assert [f["properties"]["code"] for f in data["features"]] == ["A2"]
    bbox = f"{HUE_X + 10},{HUE_Y + 10},{HUE_X + 20},{HUE_Y + 20},urn:ogc:def:crs:EPSG::9214"
    data = _geojson(live_server, TYPENAMES="landuse", BBOX=bbox)
    assert [f["properties"]["code"] for f in data["features"]] == ["A1"]


def test_filter_like_and_spatial_envelope_latlon(live_server, plan_in_force):
    like = (
        '<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0"><fes:PropertyIsLike '
        'wildCard="*" singleChar="." escapeChar="!"><fes:ValueReference>name'
        "</fes:ValueReference><fes:Literal>Đất*</fes:Literal></fes:PropertyIsLike></fes:Filter>"
    )
    data = _geojson(live_server, TYPENAMES="landuse", FILTER=like)
    assert [f["properties"]["code"] for f in data["features"]] == ["A1"]
    lot = _geojson(live_server, TYPENAMES="landuse", SORTBY="code")["features"][1]
    lon, lat = lot["geometry"]["coordinates"][0][0][0]  # a corner of A2 (in A1's east edge)
    spatial = (
        '<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0" '
        'xmlns:gml="http://www.opengis.net/gml/3.2"><fes:BBOX><fes:ValueReference>geom'
        '</fes:ValueReference><gml:Envelope srsName="urn:ogc:def:crs:EPSG::4326">'
        f"<gml:lowerCorner>{lat - 1e-4} {lon + 3e-4}</gml:lowerCorner>"
        f"<gml:upperCorner>{lat + 1e-4} {lon + 5e-4}</gml:upperCorner>"
        "</gml:Envelope></fes:BBOX></fes:Filter>"
    )
    data = _geojson(live_server, TYPENAMES="landuse", FILTER=spatial)
    assert [f["properties"]["code"] for f in data["features"]] == ["A2"]


def test_number_filter_compares_numbers(live_server, planner, reviewer):
    from tests.conftest import make_plan, square

    make_plan(
        planner,
        reviewer,
        "nums",
        [
            (square(HUE_X, HUE_Y, 10), {"code": "N9", "function": "DO", "area": 9}),
            (square(HUE_X + 20, HUE_Y, 10), {"code": "N10", "function": "DO", "area": 10.5}),
        ],
        approve=True,
    )
    fes = (
        '<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0"><fes:PropertyIsGreaterThan>'
        "<fes:ValueReference>area</fes:ValueReference><fes:Literal>10</fes:Literal>"
        "</fes:PropertyIsGreaterThan></fes:Filter>"
    )
    data = _geojson(live_server, TYPENAMES="landuse", FILTER=fes)
    assert [f["properties"]["code"] for f in data["features"]] == ["N10"]


def test_resource_id_and_get_feature_by_id(live_server, plan_in_force):
    data = _geojson(live_server, TYPENAMES="landuse", SORTBY="code")
    rid = data["features"][0]["id"]
    only = _geojson(live_server, RESOURCEID=rid)
    assert [f["id"] for f in only["features"]] == [rid]
    status, _, body = _wfs(
        live_server,
        REQUEST="GetFeature",
        STOREDQUERY_ID="urn:ogc:def:query:OGC-WFS::GetFeatureById",
        ID=rid,
    )
    assert status == 200
    assert [e.text for e in xml(body).iter(f"{{{NS}}}code")] == ["A1"]
    status, _, _ = _wfs(
        live_server,
        REQUEST="GetFeature",
        STOREDQUERY_ID="urn:ogc:def:query:OGC-WFS::GetFeatureById",
        ID="landuse.999999999",
    )
    assert status == 404
    _, _, body = _wfs(live_server, REQUEST="ListStoredQueries")
    assert b"GetFeatureById" in body
    _, _, body = _wfs(live_server, REQUEST="DescribeStoredQueries")
    assert b'name="ID"' in body


def test_property_name_and_get_property_value(live_server, plan_in_force):
    data = _geojson(live_server, TYPENAMES="landuse", PROPERTYNAME="code")
    assert all(set(f["properties"]) == {"code"} for f in data["features"])
    status, _, body = _wfs(
        live_server,
        REQUEST="GetPropertyValue",
        TYPENAMES="landuse",
        VALUEREFERENCE="function",
        SORTBY="code",
    )
    assert status == 200
    assert [e.text for e in xml(body).iter(f"{{{WFS20}}}member")] == ["DO", "CX"]


def test_xml_post_getfeature(live_server, plan_in_force):
    body = (
        b'<wfs:GetFeature service="WFS" version="2.0.0" outputFormat="application/json" '
        b'xmlns:wfs="http://www.opengis.net/wfs/2.0" xmlns:fes="http://www.opengis.net/fes/2.0">'
        b'<wfs:Query typeNames="planning:landuse"><fes:Filter><fes:PropertyIsEqualTo>'
        b"<fes:ValueReference>code</fes:ValueReference><fes:Literal>A2</fes:Literal>"
        b"</fes:PropertyIsEqualTo></fes:Filter></wfs:Query></wfs:GetFeature>"
    )
    status, _, answer = call(
        f"{live_server.url}/wfs", data=body, headers={"Content-Type": "application/xml"}
    )
    assert status == 200, answer[:400]
    assert [f["properties"]["code"] for f in json.loads(answer)["features"]] == ["A2"]


def test_wfs_110_getfeature_gml311(live_server, plan_in_force):
    status, headers, body = call(
        f"{live_server.url}/wfs",
        {
            "SERVICE": "WFS",
            "VERSION": "1.1.0",
            "REQUEST": "GetFeature",
            "TYPENAME": "landuse",
            "MAXFEATURES": "1",
        },
    )
    assert status == 200
    assert headers["Content-Type"].startswith("text/xml; subtype=gml/3.1.1")
    root = xml(body)
    assert root.get("numberOfFeatures") == "1"
    assert len(root.findall("{http://www.opengis.net/gml}featureMember")) == 1


def test_bracketed_type_names_are_one_query(live_server, plan_in_force):
    """WFS 2.0's KVP form for one query's type names, "(planning:landuse)", as some clients
    send it; several bracketed lists (several queries, joins) are refused, not merged."""
    plain = _geojson(live_server, TYPENAMES="planning:landuse")
    bracketed = _geojson(live_server, TYPENAMES="(planning:landuse)")
    assert bracketed["numberMatched"] == plain["numberMatched"] > 0
    status, _, body = _wfs(
        live_server,
        REQUEST="GetFeature",
        TYPENAMES="(planning:landuse)(planning:roads)",
    )
    assert status == 400
    assert b'locator="typeNames"' in body
    assert b"Only one query is supported" in body
    status, _, body = _wfs(live_server, REQUEST="GetFeature", TYPENAMES="(landuse,roads)")
    assert status == 400  # a join, not the union that "landuse,roads" asks for
    assert b"Joins are not supported" in body


def test_bracketed_property_names_and_sort_keys(live_server, plan_in_force):
    plain = _geojson(live_server, TYPENAMES="landuse", PROPERTYNAME="code", SORTBY="code DESC")
    bracketed = _geojson(
        live_server, TYPENAMES="(landuse)", PROPERTYNAME="(code)", SORTBY="(code DESC)"
    )
    assert bracketed["features"] == plain["features"]
    assert [f["properties"] for f in plain["features"]] == [{"code": "A2"}, {"code": "A1"}]
