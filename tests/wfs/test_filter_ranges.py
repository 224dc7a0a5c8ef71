"""Boxes and geometries inside WFS filters (FES 2.0 and 1.1) are checked like the BBOX
parameter: absurd coordinates are an InvalidParameterValue on `filter` naming the problem,
never a 500 or a PostGIS message; a valid box far from Viet Nam matches nothing.

Before: latitude 106 from a swapped lat-first CRS, 1e12 in EPSG:4326, INF or a box over
Africa made PostGIS fail to transform (a 500); 1e12 in the storage CRS and longitude 200
silently matched nothing; a world box folded into a sliver of the VN-2000 Mercator."""

from __future__ import annotations

import json
import shutil
import subprocess
from urllib.parse import urlencode

import pytest
import shapely.geometry
from lxml import etree
from owslib.util import ServiceException
from owslib.wfs import WebFeatureService
from rest_framework.authtoken.models import Token

from tests.conftest import HUE_X, HUE_Y
from tests.wfs.helpers import OWS11, exception_code, gdal_env, xml

FES = "http://www.opengis.net/fes/2.0"
GML32 = "http://www.opengis.net/gml/3.2"
URN_4326 = "urn:ogc:def:crs:EPSG::4326"  # latitude first
STORAGE = "urn:ogc:def:crs:EPSG::9214"
CRS84 = "urn:ogc:def:crs:OGC:1.3:CRS84"
# Inside lot A1 of plan_in_force, lon/lat.
NEAR_A1 = (107.5801, 16.46825, 107.58048, 16.46861)
LEAKS = (b"transform", b"psycopg", b"PostGIS", b"Traceback", b"B1", b"draft")
needs_gdal = pytest.mark.skipif(not shutil.which("ogrinfo"), reason="GDAL tools missing")


def envelope(lower: str, upper: str, srs: str | None = URN_4326) -> str:
    """A FES 2.0 filter: BBOX of the geometry with a gml:Envelope."""
    srs_name = f' srsName="{srs}"' if srs else ""
    return (
        f'<fes:Filter xmlns:fes="{FES}" xmlns:gml="{GML32}"><fes:BBOX>'
        f"<fes:ValueReference>geom</fes:ValueReference><gml:Envelope{srs_name}>"
        f"<gml:lowerCorner>{lower}</gml:lowerCorner><gml:upperCorner>{upper}</gml:upperCorner>"
        "</gml:Envelope></fes:BBOX></fes:Filter>"
    )


def spatial(operator: str, gml: str, extra: str = "") -> str:
    """A FES 2.0 filter: `operator`(geom, gml) (+ a distance for DWithin)."""
    return (
        f'<fes:Filter xmlns:fes="{FES}" xmlns:gml="{GML32}"><fes:{operator}>'
        f"<fes:ValueReference>geom</fes:ValueReference>{gml}{extra}</fes:{operator}></fes:Filter>"
    )


def polygon(pos_list: str, srs: str) -> str:
    return (
        f'<gml:Polygon gml:id="p1" srsName="{srs}"><gml:exterior><gml:LinearRing>'
        f"<gml:posList>{pos_list}</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon>"
    )


def point(pos: str, srs: str) -> str:
    return f'<gml:Point gml:id="p1" srsName="{srs}"><gml:pos>{pos}</gml:pos></gml:Point>'


def box_polygon(west: float, south: float, east: float, north: float) -> str:
    """A lat-first (URN EPSG:4326) polygon of a lon/lat box."""
    ring = [(south, west), (north, west), (north, east), (south, east), (south, west)]
    return polygon(" ".join(f"{lat} {lon}" for lat, lon in ring), URN_4326)


def two_parts(inside: tuple, far: tuple) -> str:
    """A lat-first MultiSurface: one box near the lots, one far away."""
    members = "".join(
        f"<gml:surfaceMember>{box_polygon(*box).replace('p1', f'p{i}')}</gml:surfaceMember>"
        for i, box in enumerate((inside, far))
    )
    return f'<gml:MultiSurface gml:id="m1" srsName="{URN_4326}">{members}</gml:MultiSurface>'


def filter_11(lower: str, upper: str, srs: str) -> str:
    """A FES 1.1 filter (WFS 1.1.0): ogc:BBOX with a GML 3.1.1 Envelope."""
    return (
        '<ogc:Filter xmlns:ogc="http://www.opengis.net/ogc" xmlns:gml="http://www.opengis.net/gml">'
        f'<ogc:BBOX><ogc:PropertyName>geom</ogc:PropertyName><gml:Envelope srsName="{srs}">'
        f"<gml:lowerCorner>{lower}</gml:lowerCorner><gml:upperCorner>{upper}</gml:upperCorner>"
        "</gml:Envelope></ogc:BBOX></ogc:Filter>"
    )


def get_feature(client, headers=None, version="2.0.0", **params: str):
    query = {
        "SERVICE": "WFS",
        "VERSION": version,
        "REQUEST": "GetFeature",
        "TYPENAMES": "landuse",
        "OUTPUTFORMAT": "application/json",
        **params,
    }
    response = client.get(f"/wfs?{urlencode(query)}", HTTP_ACCEPT_LANGUAGE="en", **(headers or {}))
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, body


def codes(body: bytes) -> list[str]:
    return sorted(f["properties"]["code"] for f in json.loads(body)["features"])


def exception_text(body: bytes) -> str:
    return "".join(xml(body).itertext())


def assert_refused(status: int, body: bytes, *fragments: str) -> None:
    assert status == 400, body[:400]
    assert exception_code(body) == ("InvalidParameterValue", "filter")
    text = exception_text(body)
    for fragment in fragments:
        assert fragment in text, text
    for leak in LEAKS:
        assert leak not in body, body


OUT_OF_RANGE = {
    # lon/lat sent to a latitude-first CRS: latitude 107.58
    "swapped axes, latitude 107": (
        envelope(f"{NEAR_A1[0]} {NEAR_A1[1]}", f"{NEAR_A1[2]} {NEAR_A1[3]}"),
        ["latitudes must lie between -90 and 90", "this CRS lists latitude first"],
    ),
    "1e12 in EPSG:4326": (
        envelope("1e12 1e12", "2e12 2e12", "EPSG:4326"),
        ["latitudes must lie between -90 and 90"],
    ),
    "longitude 200": (envelope("10 200", "20 210"), ["longitudes must lie between -180 and 180"]),
    "1e12 in the storage CRS (no srsName)": (
        envelope("1e12 1e12", "2e12 2e12", None),
        ["lies outside the area EPSG:9214 can describe"],
    ),
    "NaN corner": (envelope("NaN 107", "17 108"), ["coordinates must be finite numbers"]),
    "INF corners": (envelope("-INF 107", "INF 108"), ["coordinates must be finite numbers"]),
    "Intersects polygon at 1e12": (
        spatial("Intersects", polygon("0 0 0 1e12 1e12 1e12 1e12 0 0 0", URN_4326)),
        ["latitudes must lie between -90 and 90"],
    ),
    "Within point latitude 106": (
        spatial("Within", point("106 16", URN_4326)),
        ["latitudes must lie between -90 and 90", "latitude first"],
    ),
    "DWithin point at 1e300 in the storage CRS": (
        spatial(
            "DWithin",
            point("1e300 1e300", STORAGE),
            '<fes:Distance uom="m">10</fes:Distance>',
        ),
        ["lies outside the area EPSG:9214 can describe"],
    ),
    "self-intersecting polygon": (
        spatial("Intersects", polygon("16 107 17 108 16 108 17 107 16 107", URN_4326)),
        ["is not a valid geometry", "Self-intersection"],
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(OUT_OF_RANGE))
def test_out_of_range_filter_is_invalid_parameter_value(client, plan_in_force, case):
    fes, fragments = OUT_OF_RANGE[case]
    status, body = get_feature(client, FILTER=fes)
    assert_refused(status, body, "Filter geometry", *fragments)


@pytest.mark.django_db
def test_fes11_filter_in_wfs_11_is_refused_with_an_ows10_report(client, plan_in_force):
    lat_first = f"{NEAR_A1[1]} {NEAR_A1[0]}", f"{NEAR_A1[3]} {NEAR_A1[2]}"
    swapped = filter_11(*lat_first, "http://www.opengis.net/def/crs/EPSG/0/4326")
    status, body = get_feature(client, version="1.1.0", FILTER=swapped.replace("16.4", "96.4"))
    assert_refused(status, body, "latitudes must lie between -90 and 90", "latitude first")
    assert etree.QName(xml(body)).namespace == "http://www.opengis.net/ows"
    status, body = get_feature(client, version="1.1.0", FILTER=swapped)
    assert status == 200, body[:400]
    assert codes(body) == ["A1"]


LON_LAT = f"{NEAR_A1[0]} {NEAR_A1[1]}", f"{NEAR_A1[2]} {NEAR_A1[3]}"
LAT_LON = f"{NEAR_A1[1]} {NEAR_A1[0]}", f"{NEAR_A1[3]} {NEAR_A1[2]}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "srs",
    [
        "urn:x-ogc:def:crs:EPSG:4326",
        "urn:x-ogc:def:crs:EPSG::4326",
        "urn:x-ogc:def:crs:EPSG:6.6:4326",
    ],
)
def test_wfs_11_urn_form_is_latitude_first_in_filters(client, plan_in_force, srs):
    status, body = get_feature(client, version="1.1.0", FILTER=filter_11(*LAT_LON, srs))
    assert status == 200, body[:400]
    assert codes(body) == ["A1"]


@pytest.mark.django_db
@pytest.mark.parametrize("version", ["1.1.0", "2.0.0"])
def test_short_epsg_4326_is_lon_lat_in_srsname_bbox_and_filters(client, plan_in_force, version):
    """GeoServer, GDAL and QGIS read "EPSG:4326" lon/lat in WFS: in SRSNAME, in the BBOX
    parameter and in a filter's srsName alike, so one request means one axis order."""
    west, south, east, north = NEAR_A1
    bbox = f"{west},{south},{east},{north},EPSG:4326"
    status, body = get_feature(client, version=version, SRSNAME="EPSG:4326", BBOX=bbox)
    assert status == 200, body[:400]
    assert codes(body) == ["A1"]
    lot = shapely.geometry.shape(json.loads(body)["features"][0]["geometry"])
    lon, lat = lot.representative_point().coords[0]
    assert 107 < lon < 108
    assert 16 < lat < 17
    envelope_filter = filter_11 if version == "1.1.0" else envelope
    status, body = get_feature(
        client, version=version, FILTER=envelope_filter(*LON_LAT, "EPSG:4326")
    )
    assert status == 200, body[:400]
    assert codes(body) == ["A1"]
    status, body = get_feature(client, version=version, FILTER=envelope_filter(*LAT_LON, URN_4326))
    assert status == 200, body[:400]
    assert codes(body) == ["A1"]  # the URN keeps the EPSG order: latitude first
    status, body = get_feature(
        client, version=version, BBOX=f"{south},{west},{north},{east},{URN_4326}"
    )
    assert status == 200, body[:400]
    assert codes(body) == ["A1"]


@pytest.mark.django_db
def test_xml_post_filter_is_refused_on_filter(client, plan_in_force):
    body = (
        f'<wfs:GetFeature service="WFS" version="2.0.0" xmlns:wfs="http://www.opengis.net/wfs/2.0"'
        ' outputFormat="application/json"><wfs:Query typeNames="landuse">'
        f"{envelope('106 16', '107 17')}</wfs:Query></wfs:GetFeature>"
    )
    response = client.post(
        "/wfs", data=body, content_type="application/xml", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert_refused(response.status_code, response.content, "latitude first")
    assert etree.QName(xml(response.content)).namespace == OWS11


FAR_AWAY = {
    "Europe, lat-first URN": envelope("48 2", "49 3"),
    "Europe, EPSG:4326": envelope("48 2", "49 3", "EPSG:4326"),
    # PostGIS cannot project these into the VN-2000 Mercator: they used to be a 500.
    "Africa at the equator": envelope("0 15", "5 20"),
    "Pacific, a point": spatial("Intersects", point("0 -165", URN_4326)),
    "Europe, in the storage CRS": envelope("-4443663 11324191", "-4275383 11462369", None),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(FAR_AWAY))
def test_valid_box_far_away_matches_nothing(client, plan_in_force, case):
    status, body = get_feature(client, FILTER=FAR_AWAY[case])
    assert status == 200, body[:400]
    assert json.loads(body)["numberMatched"] == 0


@pytest.mark.django_db
def test_plain_bbox_far_away_matches_nothing_too(client, plan_in_force):
    for box in ("2,48,3,49", "15,0,20,5"):  # Europe; Africa, which PostGIS cannot project
        status, body = get_feature(client, BBOX=f"{box},{CRS84}")
        assert status == 200, body[:400]
        assert json.loads(body)["numberMatched"] == 0
    status, body = get_feature(client, BBOX=f"-180,-90,180,90,{CRS84}")
    assert codes(body) == ["A1", "A2"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fes", "expected"),
    [
        # A world box is cut to the area around Viet Nam, not folded into a sliver.
        (spatial("Intersects", box_polygon(-180, -90, 180, 90)), ["A1", "A2"]),
        (spatial("Within", box_polygon(-180, -90, 180, 90)), ["A1", "A2"]),
        (spatial("Disjoint", box_polygon(2, 48, 3, 49)), ["A1", "A2"]),
        # No lot contains a geometry reaching beyond Viet Nam, cut or not.
        (spatial("Contains", box_polygon(100, 10, 130, 20)), []),
        (spatial("Intersects", box_polygon(*NEAR_A1)), ["A1"]),
        (spatial("Contains", box_polygon(*NEAR_A1)), ["A1"]),
        # Cut to its part in A1, this would be contained in A1: the speck left in place of
        # the part in Europe keeps the answer right.
        (spatial("Contains", two_parts(NEAR_A1, (2, 48, 3, 49))), []),
        (spatial("Intersects", two_parts(NEAR_A1, (2, 48, 3, 49))), ["A1"]),
    ],
)
def test_big_and_small_geometries_keep_their_meaning(client, plan_in_force, fes, expected):
    status, body = get_feature(client, FILTER=fes)
    assert status == 200, body[:400]
    assert codes(body) == expected


@pytest.mark.django_db
def test_draft_never_leaks_through_filter_errors(client, plan_in_force, draft_plan, planner):
    bad = envelope("106 16", "107 17")
    hidden = get_feature(client, TYPENAMES="landuse.draft", FILTER=bad)
    absent = get_feature(client, TYPENAMES="landuse.nosuch", FILTER=bad)
    assert hidden[0] == absent[0] == 400
    assert exception_code(hidden[1]) == exception_code(absent[1])
    assert exception_text(hidden[1]).replace("draft", "nosuch") == exception_text(absent[1])
    assert_refused(*get_feature(client, FILTER=bad), "latitude first")
    # A valid box around the draft lot B1 (with A1): anonymous callers get A1 only.
    around = f"{HUE_X - 10} {HUE_Y - 10}", f"{HUE_X + 50} {HUE_Y + 350}"
    status, body = get_feature(client, FILTER=envelope(*around, STORAGE))
    assert status == 200
    assert codes(body) == ["A1"]
    token = {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=planner).key}"}
    assert codes(get_feature(client, token, FILTER=envelope(*around, STORAGE))[1]) == ["A1", "B1"]
    status, body = get_feature(client, token, FILTER=bad)
    assert_refused(status, body, "latitude first")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("method", ["Get", "Post"])
def test_owslib_filter_out_of_range_and_far_away(live_server, plan_in_force, method):
    wfs = WebFeatureService(f"{live_server.url}/wfs", version="2.0.0", timeout=60)
    with pytest.raises(ServiceException) as refused:
        wfs.getfeature(
            typename=["planning:landuse"],
            filter=envelope(f"{NEAR_A1[0]} {NEAR_A1[1]}", f"{NEAR_A1[2]} {NEAR_A1[3]}"),
            method=method,
        )
    assert "latitudes must lie between -90 and 90" in str(refused.value)
    assert "latitude first" in str(refused.value)
    body = wfs.getfeature(
        typename=["planning:landuse"], filter=envelope("48 2", "49 3"), method=method
    ).read()
    assert xml(body).get("numberMatched") == "0"
    near = envelope(f"{NEAR_A1[1]} {NEAR_A1[0]}", f"{NEAR_A1[3]} {NEAR_A1[2]}")
    body = wfs.getfeature(typename=["planning:landuse"], filter=near, method=method).read()
    assert xml(body).get("numberMatched") == "1"


def _ogrinfo(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["ogrinfo", "-ro", "-al", f"WFS:{url}/wfs", "landuse", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=gdal_env(),
        check=False,
    )


@needs_gdal
@pytest.mark.django_db(transaction=True)
def test_gdal_spatial_filter_out_of_range_and_far_away(live_server, plan_in_force):
    """GDAL sends -spat (storage CRS) as a fes:BBOX in FILTER, with -where as fes:And."""
    refused = _ogrinfo(live_server.url, "-where", "code = 'A1'", "-spat", "0", "0", "1e12", "1e12")
    assert "HTTP error code : 400" in refused.stderr
    assert "code (String) = A1" not in refused.stdout
    europe = _ogrinfo(live_server.url, "-spat", "-4443663", "11324191", "-4275383", "11462369")
    assert europe.returncode == 0
    assert "ERROR" not in europe.stderr, europe.stderr
    assert "code (String)" not in europe.stdout
    near = _ogrinfo(live_server.url, "-spat", f"{HUE_X + 10}", f"{HUE_Y + 10}",
                    f"{HUE_X + 20}", f"{HUE_Y + 20}")  # fmt: skip
    assert "ERROR" not in near.stderr, near.stderr
    assert "code (String) = A1" in near.stdout
    assert "code (String) = A2" not in near.stdout


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("distance", "refused"),
    [("150", False), ("200000", False), ("201", True), ("-1", True), ("NaN", True)],
)
def test_distance_filters_stay_within_the_query_margin(client, plan_in_force, distance, refused):
    """Beyond about 200 km a geometry cut to the query area would measure from the wrong
    place, so DWithin and Beyond take distances up to that margin only."""
    units = "km" if distance in ("150", "201") else "m"
    fes = spatial(
        "DWithin",
        point(f"{HUE_X + 10} {HUE_Y + 10}", STORAGE),
        f'<fes:Distance uom="{units}">{distance}</fes:Distance>',
    )
    status, body = get_feature(client, FILTER=fes)
    if refused:
        assert_refused(status, body, "Filter distances must lie between 0 and 200 km")
    else:
        assert status == 200, body[:400]
        assert codes(body) == ["A1", "A2"]
