"""The published feature schema over OGC API Features: `category` (the catalogue code) is a
queryable, filterable property of land-use collections, and uploaded attribute names that
clash with a published name (ignoring case) are published as `<name>_<n>`
(tests/clashing_plans.py): the same names as WFS in queryables, items, filters and property
parameters, for OWSLib and GDAL alike. Drafts' attribute names stay with their planners."""

from __future__ import annotations

import json
import subprocess
from urllib.parse import quote

import pytest
from owslib.ogcapi.features import Features
from rest_framework.authtoken.models import Token

from tests.clashing_plans import RENAMED, SHOP, clashing_plans
from tests.ogcapi.helpers import codes, feature_id, get, get_json
from tests.ogcapi.test_clients import gdal_env

pytestmark = pytest.mark.django_db
ITEMS = "/ogcapi/collections/landuse/items"
PUBLISHED = [
    "geometry", "code", "function", "area", "density", "far", "storeys_min", "storeys_max",
    "height_max", "category", "project", "revision", "name", "AREA_1", "Zone", "ZONE_1", "Code_1",
]  # fmt: skip


@pytest.fixture
def plans(plan_in_force, planner, reviewer):
    return clashing_plans(planner, reviewer)


def _by_code(collection: dict) -> dict[str, dict]:
    return {f["properties"]["code"]: f["properties"] for f in collection["features"]}


def test_queryables_publish_category_and_no_clashing_names(client, plans):
    doc = get_json(client, "/ogcapi/collections/landuse/queryables")
    assert list(doc["properties"]) == PUBLISHED
    assert len({n.casefold() for n in doc["properties"]}) == len(PUBLISHED)
    assert doc["properties"]["category"]["type"] == "string"
    assert "catalogue" in doc["properties"]["category"]["description"]
    assert doc["properties"]["AREA_1"]["type"] == "number"
    assert "AREA" in doc["properties"]["AREA_1"]["description"]
    _, html = get(client, "/ogcapi/collections/landuse/queryables?f=html")
    assert "Uploaded attribute AREA, renamed" in html.decode()
    project = get_json(client, "/ogcapi/collections/landuse.shp/queryables")
    assert list(project["properties"])[9:] == ["category", "project", "revision", "AREA_1", "Zone"]


def test_items_carry_category_and_the_published_names(client, plans):
    lots = _by_code(get_json(client, ITEMS))
    assert lots["S1"] == {"code": "S1", "function": SHOP, "category": "TMDV", "project": "shp",
                          "revision": 1, "AREA_1": 1234.5, "Zone": "north"}  # fmt: skip
    assert lots["C1"] == {"code": "C1", "function": "CX", "area": 500, "category": "CX",
                          "project": "cad", "revision": 1, "ZONE_1": "east",
                          "Code_1": "c-1"}  # fmt: skip
    one = get_json(client, f"{ITEMS}/{feature_id('S2')}")
    assert (one["properties"]["category"], one["properties"]["AREA_1"]) == ("OCT", 99.0)
    _, html = get(client, f"{ITEMS}?f=html&category=TMDV", **{"Accept-Language": "en"})
    assert (
        "category = TMDV; project = shp; revision = 1; AREA_1 = 1,234.5; Zone = north"
        in html.decode()
    )  # en grouping


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("filter=" + quote("category = 'TMDV'"), {"S1"}),
        ("filter=" + quote("category IN ('OCT', 'CX')"), {"A2", "C1", "S2"}),
        ("filter=" + quote("category LIKE 'T%' OR AREA_1 < 100"), {"S1", "S2"}),
        ("filter=" + quote("ZONE_1 = 'east' OR Zone = 'south'"), {"C1", "S2"}),
        ("filter=" + quote("Code_1 IS NULL AND category = 'CX'"), {"A2"}),
        ("filter-lang=cql2-json&filter="
         + quote(json.dumps({"op": "=", "args": [{"property": "category"}, "DO"]})), {"A1"}),
        ("category=OCT", {"S2"}),
        ("AREA_1=1234.5", {"S1"}),
    ],
)  # fmt: skip
def test_filters_and_property_parameters(client, plans, query, expected):
    assert codes(get_json(client, f"{ITEMS}?{query}")) == expected


@pytest.mark.parametrize("name", ["AREA", "ZONE", "Code", "Secret_Field"])
def test_clashing_and_draft_names_are_unknown(client, plans, name):
    url = f"{ITEMS}?filter=" + quote(f"{name} = 'x'")
    assert get_json(client, url, status=400)["description"] == f"Unknown property: {name}."
    get_json(client, f"{ITEMS}?{name}=x", status=400)


def test_drafts_names_stay_with_their_planners(client, plans, planner):
    for url in ("/ogcapi/collections/landuse/queryables", ITEMS, f"{ITEMS}?f=html"):
        _, body = get(client, url)
        assert b"Secret_Field" not in body
        assert b"zone_2" not in body
    headers = {"Authorization": f"Token {Token.objects.create(user=planner).key}"}
    private = get_json(client, "/ogcapi/collections/landuse/queryables", **headers)
    # The draft comes last: it never renames what is in force, its own `zone` gives way.
    assert list(private["properties"]) == [*PUBLISHED, "Secret_Field", "zone_2"]
    lots = _by_code(get_json(client, ITEMS, **headers))
    assert lots["X1"] == {"code": "X1", "function": "DO", "category": "DO", "project": "secret",
                          "revision": 1, "Secret_Field": "hush", "zone_2": "west"}  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_owslib_queryables_and_category_filter(live_server, plans):
    api = Features(f"{live_server.url}/ogcapi")
    assert list(api.collection_queryables("landuse")["properties"]) == PUBLISHED
    items = api.collection_items("landuse", filter="category='TMDV'")
    assert [f["properties"]["code"] for f in items["features"]] == ["S1"]
    assert items["features"][0]["properties"]["AREA_1"] == 1234.5


@pytest.mark.django_db(transaction=True)
def test_gdal_reads_every_column(live_server, plans, tmp_path):
    # GDAL takes the OAPIF fields from the first page: all five lots are on it here.
    out = tmp_path / "out.json"
    result = subprocess.run(
        ["ogr2ogr", "-f", "GeoJSON", str(out), f"OAPIF:{live_server.url}/ogcapi", "landuse"],
        capture_output=True, text=True, env=gdal_env(), timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "already exists" not in result.stderr, result.stderr
    lots = _by_code(json.loads(out.read_text(encoding="utf-8")))
    assert set(lots) == {"A1", "A2", "S1", "S2", "C1"}
    assert (lots["S1"]["category"], lots["S1"]["AREA_1"], lots["S1"]["Zone"]) == (
        "TMDV", 1234.5, "north"
    )  # fmt: skip
    assert (lots["C1"]["area"], lots["C1"]["ZONE_1"], lots["C1"]["Code_1"]) == (500, "east", "c-1")
    assert not set(RENAMED) & {key for lot in lots.values() for key in lot}
