"""Each collection links (`describedby`) to the JSON Schema of its features: every published
property with its type, so a client that fixes a layer's fields before reading knows the
ones the first page of items lacks. GDAL's OAPIF driver used to drop them (it sampled the
first page only); the items themselves validate against the schema."""

from __future__ import annotations

import json
import subprocess

import pytest
from jsonschema import Draft201909Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT201909
from rest_framework.authtoken.models import Token

from planning.models import Feature, Layer
from tests.clashing_plans import clashing_plans
from tests.conftest import HUE_X, HUE_Y, make_plan, square
from tests.ogcapi.helpers import get, get_json
from tests.ogcapi.test_clients import gdal_env
from tests.ogcapi.test_published_schema import PUBLISHED

pytestmark = pytest.mark.django_db
SCHEMA = "/ogcapi/collections/landuse/schemas/feature"
GEOMETRY = "https://geojson.org/schema/Geometry.json"
# The items' geometries are checked elsewhere; here only that one is a GeoJSON geometry
# object, without fetching geojson.org's schema.
_GEOMETRY_SHAPE = {"type": "object", "required": ["type", "coordinates"]}


@pytest.fixture
def plans(plan_in_force, planner, reviewer):
    return clashing_plans(planner, reviewer)


def _validator(schema: dict) -> Draft201909Validator:
    geometry = Resource.from_contents(_GEOMETRY_SHAPE, default_specification=DRAFT201909)
    return Draft201909Validator(schema, registry=Registry().with_resource(GEOMETRY, geometry))


def test_the_collection_links_its_feature_schema(client, plans):
    links = get_json(client, "/ogcapi/collections/landuse")["links"]
    described = [link for link in links if link["rel"].lower() == "describedby"]
    # The registered spelling, and the one GDAL 3.6 (Debian 12) matches exactly.
    assert [link["rel"] for link in described] == ["describedby", "describedBy"]
    for link in described:
        assert (link["href"], link["type"]) == (
            f"http://testserver{SCHEMA}", "application/schema+json"
        )  # fmt: skip
    response, _ = get(client, SCHEMA)
    assert response["Content-Type"] == "application/schema+json"


def test_the_schema_lists_every_published_property_with_its_type(client, plans):
    schema = get_json(client, SCHEMA)
    Draft201909Validator.check_schema(schema)
    properties = schema["properties"]["properties"]["properties"]
    assert list(properties) == PUBLISHED[1:]  # every name of the queryables but geometry
    assert (properties["AREA_1"]["type"], properties["Zone"]["type"]) == ("number", "string")
    assert "AREA" in properties["AREA_1"]["description"]
    assert "catalogue" in properties["category"]["description"]
    _, html = get(client, f"{SCHEMA}?f=html")
    assert "Uploaded attribute AREA, renamed" in html.decode()


def test_every_item_validates_against_the_schema(client, plans):
    # A stored null is left out of the item, as the schema says, not sent as null.
    s2 = Feature.objects.get(attributes__code="S2")
    s2.attributes = {**s2.attributes, "Zone": None}
    s2.save(update_fields=["attributes"])
    validator = _validator(get_json(client, SCHEMA))
    features = get_json(client, "/ogcapi/collections/landuse/items")["features"]
    assert len(features) == 5
    for feature in features:
        errors = [error.message for error in validator.iter_errors(feature)]
        assert not errors, (feature["properties"], errors)
    s2_item = next(f for f in features if f["properties"]["code"] == "S2")
    assert "Zone" not in s2_item["properties"]
    # The schema is what it checks: an undeclared or mistyped property fails.
    assert not validator.is_valid({**features[0], "properties": {"Secret_Field": "x"}})
    assert not validator.is_valid({**features[0], "properties": {"AREA_1": "big"}})


def test_draft_names_stay_with_their_planners(client, plans, planner):
    _, body = get(client, SCHEMA)
    assert b"Secret_Field" not in body
    get_json(client, "/ogcapi/collections/landuse.secret/schemas/feature", status=404)
    headers = {"Authorization": f"Token {Token.objects.create(user=planner).key}"}
    private = get_json(client, SCHEMA, **headers)["properties"]["properties"]["properties"]
    assert list(private)[-2:] == ["Secret_Field", "zone_2"]


def _ogr2ogr(live_server, tmp_path, *options: str) -> dict[str, dict]:
    out = tmp_path / "out.json"
    out.unlink(missing_ok=True)
    url = f"OAPIF:{live_server.url}/ogcapi"
    result = subprocess.run(
        ["ogr2ogr", "-f", "GeoJSON", str(out), url, "landuse", "-oo", "PAGE_SIZE=1", *options],
        capture_output=True, text=True, env=gdal_env(), timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    features = json.loads(out.read_text(encoding="utf-8"))["features"]
    return {f["properties"]["code"]: f["properties"] for f in features}


@pytest.mark.django_db(transaction=True)
def test_gdal_takes_the_columns_the_first_page_lacks_from_the_schema(live_server, plans, tmp_path):
    # One feature per page: the first (A1) has none of the uploaded attributes.
    lots = _ogr2ogr(live_server, tmp_path)
    assert set(lots) == {"A1", "A2", "S1", "S2", "C1"}
    assert (lots["S1"]["category"], lots["S1"]["AREA_1"], lots["S1"]["Zone"]) == (
        "TMDV", 1234.5, "north"
    )  # fmt: skip
    assert (lots["C1"]["ZONE_1"], lots["C1"]["Code_1"]) == ("east", "c-1")
    # Without the schema, GDAL fixes the fields from A1 alone and loses the others.
    sampled = _ogr2ogr(live_server, tmp_path, "-oo", "IGNORE_SCHEMA=YES")
    assert "AREA_1" not in sampled["S1"]


@pytest.fixture
def mixed_types(plan_in_force, planner, reviewer):
    """`DIENTICH` declared integer by one plan and number by another (DBF N(10,0) and
    N(12,2)); `SOTANG` integer by one and text by another (a MapInfo Char column: "3-5")."""
    whole = make_plan(planner, reviewer, "whole",
                      [(square(HUE_X + 600, HUE_Y, 50),
                        {"code": "W1", "function": "DO", "DIENTICH": 56, "SOTANG": 3})],
                      approve=True)  # fmt: skip
    decimal = make_plan(planner, reviewer, "decimal",
                        [(square(HUE_X + 700, HUE_Y, 50),
                          {"code": "D1", "function": "DO", "DIENTICH": 56.7, "SOTANG": "3-5"})],
                        approve=True)  # fmt: skip
    Layer.objects.filter(revision=whole).update(
        attribute_schema=[
            {"name": "code", "type": "string"},
            {"name": "DIENTICH", "type": "integer"},
            {"name": "SOTANG", "type": "integer"},
        ]
    )
    Layer.objects.filter(revision=decimal).update(
        attribute_schema=[
            {"name": "code", "type": "string"},
            {"name": "DIENTICH", "type": "number"},
            {"name": "SOTANG", "type": "string"},
        ]
    )


def test_the_schema_types_are_those_every_declaration_honours(client, mixed_types):
    properties = get_json(client, SCHEMA)["properties"]["properties"]["properties"]
    assert properties["DIENTICH"]["type"] == "number"
    assert properties["SOTANG"]["type"] == "string"
    queryables = get_json(client, "/ogcapi/collections/landuse/queryables")["properties"]
    assert (queryables["DIENTICH"]["type"], queryables["SOTANG"]["type"]) == ("number", "string")


@pytest.mark.django_db(transaction=True)
def test_gdal_keeps_values_of_mixed_declarations(live_server, mixed_types, tmp_path):
    lots = _ogr2ogr(live_server, tmp_path)
    # Published narrower, GDAL read 56.7 as 56 and "3-5" as 3 without a word.
    assert (lots["D1"]["DIENTICH"], lots["D1"]["SOTANG"]) == (56.7, "3-5")
    assert (lots["W1"]["DIENTICH"], lots["W1"]["SOTANG"]) == (56, "3")


@pytest.mark.parametrize("name", ["items", "keys", "values"])
def test_html_pages_show_a_property_named_like_a_dict_method(client, planner, reviewer, name):
    plan = make_plan(planner, reviewer, "odd",
                     [(square(HUE_X, HUE_Y, 50), {"code": "O1", "function": "DO", name: "x-1"})],
                     approve=True)  # fmt: skip
    Layer.objects.filter(revision=plan).update(
        attribute_schema=[{"name": "code", "type": "string"}, {"name": name, "type": "string"}]
    )
    item = Feature.objects.get(layer__revision=plan).pk
    collection = "/ogcapi/collections/landuse"
    for url in (f"{collection}/queryables", f"{collection}/schemas/feature",
                f"{collection}/items", f"{collection}/items/{item}"):  # fmt: skip
        response, body = get(client, f"{url}?f=html")
        assert response.status_code == 200, (url, body[:300])
        assert name.encode() in body
    _, items_page = get(client, f"{collection}/items?f=html")
    assert f"{name} = x-1".encode() in items_page
