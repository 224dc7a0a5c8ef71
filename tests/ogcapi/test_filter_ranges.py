"""Boxes and geometries inside CQL2 filters (text and JSON) and the bbox/bbox-crs
parameters are checked alike: absurd coordinates are a 400 problem naming the problem,
never a 500 or the generic "cannot be evaluated" of a PostGIS failure; a valid box far from
Viet Nam matches nothing.

Before: latitude 95 or 1e12 reached PostGIS ("The query cannot be evaluated on this
collection."), 1e400 (infinity) in CQL2 JSON, longitude 500 and 1e300 in the storage CRS
silently matched nothing, and a valid point over Africa was refused as unevaluable."""

from __future__ import annotations

import json
import subprocess
from urllib.parse import urlencode

import pytest
from owslib.ogcapi.features import Features
from rest_framework.authtoken.models import Token

from tests.conftest import HUE_X, HUE_Y
from tests.ogcapi.helpers import codes, feature_id, get, get_json, lonlat_rings
from tests.ogcapi.test_clients import gdal_env

ITEMS = "/ogcapi/collections/landuse/items"
LAT_FIRST = "http://www.opengis.net/def/crs/EPSG/0/4326"
STORAGE = "http://www.opengis.net/def/crs/EPSG/0/9214"
MERCATOR = "http://www.opengis.net/def/crs/EPSG/0/3857"
EUROPE = (2, 48, 3, 49)
LEAKS = (b"transform", b"psycopg", b"PostGIS", b"Traceback", b"B1", b"draft", b"evaluated")


def url(collection: str = "landuse", **params: str) -> str:
    return f"/ogcapi/collections/{collection}/items?{urlencode(params)}"


def cql2_json(geometry: object, op: str = "s_intersects") -> dict[str, str]:
    document = {"op": op, "args": [{"property": "geometry"}, geometry]}
    return {"filter-lang": "cql2-json", "filter": json.dumps(document)}


def ring(west: float, south: float, east: float, north: float) -> str:
    return f"({west} {south}, {east} {south}, {east} {north}, {west} {north}, {west} {south})"


def box_wkt(*box: float) -> str:
    return f"POLYGON({ring(*box)})"


def near_a1() -> tuple[float, float, float, float]:
    """A small lon/lat box inside lot A1 (a corner of it, moved inwards)."""
    lon, lat = lonlat_rings(feature_id("A1"))[0]
    return lon + 0.0001, lat + 0.0001, lon + 0.0002, lat + 0.0002


def assert_problem(response, body: bytes, *fragments: str) -> None:
    assert response.status_code == 400, body[:400]
    assert response["Content-Type"].startswith("application/json")
    problem = json.loads(body)
    assert problem["code"] == "InvalidParameterValue"
    for fragment in fragments:
        assert fragment in problem["description"], problem
    for leak in LEAKS:
        assert leak not in body, body


OUT_OF_RANGE = {
    "text BBOX at 1e12": (
        {"filter": "S_INTERSECTS(geometry, BBOX(1e12, 1e12, 2e12, 2e12))"},
        ["Filter geometry latitudes must lie between -90 and 90"],
    ),
    "lon/lat given to a latitude-first filter-crs": (
        {"filter": "S_INTERSECTS(geometry, BBOX(107.58, 16.46, 107.59, 16.47))",
         "filter-crs": LAT_FIRST},
        ["latitudes must lie between -90 and 90", "this CRS lists latitude first"],
    ),
    "BBOX operator with longitude 1000": (
        {"filter": "BBOX(geometry, 1000, 16, 1001, 17)"},
        ["Filter geometry longitudes must lie between -180 and 180"],
    ),
    "point at latitude 95": (
        {"filter": "S_WITHIN(geometry, POINT(106 95))"},
        ["Filter geometry latitudes must lie between -90 and 90"],
    ),
    "JSON bbox with 1e400 (infinity)": (
        {"filter-lang": "cql2-json",
         "filter": '{"op": "s_intersects", "args": [{"property": "geometry"}, '
                   '{"bbox": [1e400, 1, 2, 3]}]}'},
        ["Filter geometry coordinates must be finite numbers"],
    ),
    "JSON point with NaN": (
        {"filter-lang": "cql2-json",
         "filter": '{"op": "s_intersects", "args": [{"property": "geometry"}, '
                   '{"type": "Point", "coordinates": [NaN, 16]}]}'},
        ["Filter geometry coordinates must be finite numbers"],
    ),
    "JSON point at longitude 500": (
        cql2_json({"type": "Point", "coordinates": [500, 16]}, "s_within"),
        ["Filter geometry longitudes must lie between -180 and 180"],
    ),
    "1e300 in the storage CRS": (
        {"filter": "S_INTERSECTS(geometry, POINT(1e300 1e300))", "filter-crs": STORAGE},
        ["Filter geometry lies outside the area EPSG:9214 can describe"],
    ),
    "self-intersecting polygon": (
        {"filter": "S_INTERSECTS(geometry, POLYGON((107 16, 108 17, 108 16, 107 17, 107 16)))"},
        ["Filter geometry is not a valid geometry", "Self-intersection"],
    ),
    "bbox lon/lat in a latitude-first bbox-crs": (
        {"bbox": "107.58,16.46,107.59,16.47", "bbox-crs": LAT_FIRST},
        ["bbox latitudes must lie between -90 and 90", "latitude first"],
    ),
    "bbox at 1e12 in the storage CRS": (
        {"bbox": "1e12,1e12,2e12,2e12", "bbox-crs": STORAGE},
        ["bbox lies outside the area EPSG:9214 can describe"],
    ),
    "bbox with inf": ({"bbox": "-inf,1,2,3"}, ["bbox values must be finite numbers"]),
}  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(OUT_OF_RANGE))
def test_out_of_range_is_a_problem_naming_it(client, plan_in_force, case):
    params, fragments = OUT_OF_RANGE[case]
    response, body = get(client, url(**params), HTTP_ACCEPT_LANGUAGE="en")
    assert_problem(response, body, *fragments)


FAR_AWAY = {
    "text BBOX in Europe": {"filter": f"S_INTERSECTS(geometry, BBOX{EUROPE})"},
    "Europe, latitude-first filter-crs": {
        "filter": "S_INTERSECTS(geometry, BBOX(48, 2, 49, 3))", "filter-crs": LAT_FIRST,
    },
    "JSON bbox in Europe": cql2_json({"bbox": list(EUROPE)}),
    # PostGIS cannot project these into the VN-2000 Mercator: refused as unevaluable before.
    "point in Africa at the equator": {"filter": "S_INTERSECTS(geometry, POINT(15 0))"},
    "Africa in Web Mercator": {
        "filter": "S_INTERSECTS(geometry, BBOX(1669792, 0, 2226389, 557305))",
        "filter-crs": MERCATOR,
    },
    "bbox in Europe": {"bbox": "2,48,3,49"},
    "bbox in Africa, Web Mercator": {"bbox": "1669792,0,2226389,557305", "bbox-crs": MERCATOR},
}  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(FAR_AWAY))
def test_valid_box_far_away_matches_nothing(client, plan_in_force, case):
    doc = get_json(client, url(**FAR_AWAY[case]))
    assert doc["numberMatched"] == 0
    assert doc["features"] == []


@pytest.mark.django_db
def test_big_and_small_geometries_keep_their_meaning(client, plan_in_force):
    world = box_wkt(-180, -90, 180, 90)
    assert codes(get_json(client, url(filter=f"S_WITHIN(geometry, {world})"))) == {"A1", "A2"}
    europe = box_wkt(*EUROPE)
    assert codes(get_json(client, url(filter=f"NOT S_INTERSECTS(geometry, {europe})"))) == {
        "A1",
        "A2",
    }
    near = near_a1()
    both = f"MULTIPOLYGON(({ring(*near)}), ({ring(*EUROPE)}))"
    assert codes(get_json(client, url(filter=f"S_INTERSECTS(geometry, {both})"))) == {"A1"}
    # Cut to its part in A1 it would lie inside A1: the speck left in place of Europe keeps
    # "A1 contains it" false, as it is.
    assert codes(get_json(client, url(filter=f"S_CONTAINS(geometry, {both})"))) == set()
    assert codes(get_json(client, url(filter=f"S_CONTAINS(geometry, {box_wkt(*near)})"))) == {"A1"}


@pytest.mark.django_db
def test_draft_never_leaks_through_filter_errors(client, plan_in_force, draft_plan, planner):
    bad = {"filter": "S_INTERSECTS(geometry, BBOX(106, 16, 107, 17))", "filter-crs": LAT_FIRST}
    hidden, hidden_body = get(client, url("landuse.draft", **bad), HTTP_ACCEPT_LANGUAGE="en")
    absent, absent_body = get(client, url("landuse.nosuch", **bad), HTTP_ACCEPT_LANGUAGE="en")
    assert hidden.status_code == absent.status_code == 404
    assert hidden_body == absent_body
    assert_problem(*get(client, url(**bad), HTTP_ACCEPT_LANGUAGE="en"), "latitude first")
    # A valid box around the draft lot B1 (and A1): anonymous callers get A1 only.
    around = f"BBOX({HUE_X - 10}, {HUE_Y - 10}, {HUE_X + 50}, {HUE_Y + 350})"
    query = url(filter=f"S_INTERSECTS(geometry, {around})", **{"filter-crs": STORAGE})
    assert codes(get_json(client, query)) == {"A1"}
    token = {"Authorization": f"Token {Token.objects.create(user=planner).key}"}
    assert codes(get_json(client, query, **token)) == {"A1", "B1"}
    response, body = get(client, url(**bad), **token)
    assert_problem(response, body, "latitude first")


@pytest.mark.django_db(transaction=True)
def test_owslib_filters_out_of_range_and_far_away(live_server, plan_in_force):
    api = Features(f"{live_server.url}/ogcapi")
    with pytest.raises(RuntimeError) as refused:
        api.collection_items("landuse", filter="S_INTERSECTS(geometry, POINT(106 95))")
    problem = json.loads(str(refused.value))
    assert problem["code"] == "InvalidParameterValue"
    assert "latitudes must lie between -90 and 90" in problem["description"]
    far = api.collection_items("landuse", **cql2_json({"bbox": list(EUROPE)}))
    assert far["numberMatched"] == 0
    near = api.collection_items("landuse", **cql2_json({"bbox": list(near_a1())}))
    assert [f["properties"]["code"] for f in near["features"]] == ["A1"]
    lon_lat = [107.58, 16.46, 107.59, 16.47]
    with pytest.raises(RuntimeError) as refused:
        api.collection_items("landuse", bbox=lon_lat, **{"bbox-crs": LAT_FIRST})
    assert "latitude first" in json.loads(str(refused.value))["description"]


def _ogrinfo(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["ogrinfo", "-ro", "-al", "-q", f"OAPIF:{url}/ogcapi", "landuse", *args],
        capture_output=True, text=True, env=gdal_env(), timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_gdal_spatial_filter_far_away_and_out_of_range(live_server, plan_in_force):
    """GDAL's OAPIF driver sends -spat as the bbox parameter (CRS84)."""
    far = _ogrinfo(live_server.url, "-spat", *map(str, EUROPE))
    assert far.returncode == 0, far.stderr
    assert "ERROR" not in far.stderr, far.stderr
    assert "OGRFeature(landuse)" not in far.stdout
    near = _ogrinfo(live_server.url, "-spat", *map(str, near_a1()))
    assert near.returncode == 0, near.stderr
    assert near.stdout.count("OGRFeature(landuse)") == 1
    assert "code (String) = A1" in near.stdout
