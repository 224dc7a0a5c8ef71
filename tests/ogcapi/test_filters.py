"""Part 3 filters (CQL2 text and JSON), property parameters and hostile input."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from django.db import connection

from tests.conftest import HUE_X, HUE_Y, make_plan, square
from tests.ogcapi.helpers import codes, feature_id, get, get_json, lonlat_rings

pytestmark = pytest.mark.django_db
ITEMS = "/ogcapi/collections/landuse/items"


@pytest.fixture
def lots(plan_in_force, planner, reviewer):
    """A third lot with numbers, beside A1 (DO) and A2 (CX)."""
    make_plan(planner, reviewer, "numbers",
              [(square(HUE_X + 1000, HUE_Y, 50), {"code": "A3", "function": "DO", "area": 2500,
                                                  "storeys_max": 5})],
              approve=True)  # fmt: skip


def cql(text: str, lang: str = "cql2-text", status: int = 200) -> str:
    return f"{ITEMS}?filter-lang={lang}&filter={quote(text)}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("code = 'A1'", {"A1"}),
        ("function = 'DO'", {"A1", "A3"}),
        ("function = 'DO' AND NOT code = 'A1'", {"A3"}),
        ("code = 'A2' OR area > 2000", {"A2", "A3"}),
        ("area >= 2500 AND storeys_max < 6", {"A3"}),
        ("code IN ('A1', 'A3')", {"A1", "A3"}),
        ("code LIKE 'A%'", {"A1", "A2", "A3"}),
        ("area BETWEEN 2000 AND 3000", {"A3"}),
        ("area IS NULL", {"A1", "A2"}),
        ("code <> 'A1'", {"A2", "A3"}),
    ],
)
def test_cql2_text_selects_the_right_lots(client, lots, text, expected):
    assert codes(get_json(client, cql(text))) == expected


def test_cql2_text_spatial(client, lots):
    lon, lat = lonlat_rings(feature_id("A2"))[0]
    point = f"POINT({lon + 0.0002} {lat + 0.0002})"
    assert codes(get_json(client, cql(f"S_INTERSECTS(geometry, {point})"))) == {"A2"}
    box = f"BBOX({lon + 0.0001}, {lat + 0.0001}, {lon + 0.0002}, {lat + 0.0002})"
    assert codes(get_json(client, cql(f"S_INTERSECTS(geometry, {box})"))) == {"A2"}
    storage = f"POINT({HUE_X + 10} {HUE_Y + 10})"
    url = cql(f"S_INTERSECTS(geometry, {storage})") + "&filter-crs=EPSG:9214"
    assert codes(get_json(client, url)) == {"A1"}


def test_cql2_json(client, lots):
    lon, lat = lonlat_rings(feature_id("A1"))[0]
    both = {
        "op": "and",
        "args": [
            {"op": "=", "args": [{"property": "function"}, "DO"]},
            {"op": "s_intersects", "args": [{"property": "geometry"},
                                            {"bbox": [lon + 0.0001, lat + 0.0001,
                                                      lon + 0.0002, lat + 0.0002]}]},
        ],
    }  # fmt: skip
    assert codes(get_json(client, cql(json.dumps(both), "cql2-json"))) == {"A1"}
    number = {"op": ">", "args": [{"property": "area"}, 100]}
    assert codes(get_json(client, cql(json.dumps(number), "cql2-json"))) == {"A3"}


def test_property_parameters(client, lots):
    assert codes(get_json(client, f"{ITEMS}?code=A1")) == {"A1"}
    assert codes(get_json(client, f"{ITEMS}?function=DO&storeys_max=5")) == {"A3"}
    assert codes(get_json(client, f"{ITEMS}?function=DO&area=2500.0")) == {"A3"}


def test_sql_in_a_literal_stays_a_literal(client, lots):
    doc = get_json(client, cql("code = '; DROP TABLE planning_feature; --'"))
    assert doc["numberMatched"] == 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM planning_feature")
        assert cursor.fetchone()[0] == 3


@pytest.mark.parametrize(
    "url",
    [
        cql("code = 'x'; DROP TABLE planning_feature"),
        cql("__class__ = 1"),
        cql("attributes__code = 'A1'"),
        cql("layer = 1"),
        cql("nosuch = 'A1'"),
        cql("casei(code) = 'a1'"),
        cql("area * 2 > 3"),
        cql("'a' = 'a'"),
        cql("S_INTERSECTS(code, POINT(1 2))"),
        cql("geometry = 'x'"),
        cql("S_INTERSECTS(geometry, POLYGON((1 2, 3 4)))"),
        cql("code = 'A1'", lang="cql1"),
        cql('{"op": "=", "args": [{"property": "code"}]}', "cql2-json"),
        cql('{"op": "=", "args": [{"property": "__class__"}, 1]}', "cql2-json"),
        cql("[" * 5000 + "]" * 5000, "cql2-json"),
        cql('"x"', "cql2-json"),
        cql("{", "cql2-json"),
        f"{ITEMS}?bbox=1,2,3",
        f"{ITEMS}?bbox=a,b,c,d",
        f"{ITEMS}?bbox=3,2,1,4",
        f"{ITEMS}?bbox=nan,1,2,3",
        f"{ITEMS}?bbox=1,2,3,4&bbox-crs=EPSG:2000",
        f"{ITEMS}?limit=abc",
        f"{ITEMS}?limit=0",
        f"{ITEMS}?offset=-1",
        f"{ITEMS}?crs=EPSG:27700",
        f"{ITEMS}?crs=nonsense",
        f"{ITEMS}?datetime=2024-13-45",
        f"{ITEMS}?datetime=2025/2024",
        f"{ITEMS}?__class__=x",
        f"{ITEMS}?attributes__code=A1",
        f"{ITEMS}?storeys_max=many",
        f"{ITEMS}?unknown=1",
        "/ogcapi/collections?foo=bar",
    ],
)
def test_hostile_input_is_a_client_error(client, lots, url):
    response, body = get(client, url)
    assert response.status_code == 400, body[:300]
    problem = json.loads(body)
    assert problem["code"] == "InvalidParameterValue"
    assert problem["description"]


@pytest.mark.parametrize(
    "url",
    [
        "/ogcapi/collections/nosuch",
        "/ogcapi/collections/nosuch/items",
        "/ogcapi/collections/landuse/items/abc",
        "/ogcapi/collections/landuse/items/99999999",
        "/ogcapi/collections/landuse/items/" + "9" * 40,
        "/ogcapi/collections/..%2F..%2Fetc/items",
        "/ogcapi/nothing/here",
    ],
)
def test_unknown_resources_are_404_problems(client, lots, url):
    response, body = get(client, url)
    assert response.status_code == 404
    assert json.loads(body)["code"] == "NotFound"


def test_limit_is_capped(client, lots):
    doc = get_json(client, f"{ITEMS}?limit=999999")
    assert doc["numberReturned"] == 3
