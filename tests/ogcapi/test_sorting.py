"""`sortby` on items (OGC API Records' sorting, as pygeoapi and STAC clients send it) and the
sortables it may name: numbers sort as numbers, features without a value come last either
way, ties and pages stay in id order, and a name that is not a sortable is a 400."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from owslib.ogcapi.features import Features

from planning.models import Feature
from tests.conftest import HUE_X, HUE_Y, declare_lot_schema, make_plan, square
from tests.ogcapi.helpers import get, get_json

pytestmark = pytest.mark.django_db
COLLECTION = "/ogcapi/collections/landuse"
ITEMS = f"{COLLECTION}/items"
# Areas whose text order (10000 < 2500 < 900) is not their number order.
AREAS = {"C1": 900, "C2": 10000, "C3": 2500, "C4": 2500}


@pytest.fixture
def lots(plan_in_force, planner, reviewer):
    """A1 (DO) and A2 (CX) without an area, four lots with areas, and C5 whose area is a
    JSON null, as imports store a missing value (jsonb orders null before every value)."""
    lots = [
        (square(HUE_X + 1000 + 60 * n, HUE_Y, 50), {"code": code, "function": "CX", "area": area})
        for n, (code, area) in enumerate(AREAS.items())
    ]
    lots.append((square(HUE_X + 1300, HUE_Y, 50), {"code": "C5", "function": "CX", "area": None}))
    declare_lot_schema(make_plan(planner, reviewer, "areas", lots, approve=True))


def order(client, sortby: str, **extra: str) -> list[str]:
    query = "&".join([f"sortby={sortby}", *(f"{k}={v}" for k, v in extra.items())])
    return [f["properties"]["code"] for f in get_json(client, f"{ITEMS}?{query}")["features"]]


def test_numbers_sort_as_numbers_and_missing_values_come_last(client, lots):
    assert order(client, "area") == ["C1", "C3", "C4", "C2", "A1", "A2", "C5"]
    assert order(client, "-area") == ["C2", "C3", "C4", "C1", "A1", "A2", "C5"]


def test_plus_written_as_is_or_escaped_is_ascending(client, lots):
    ascending = order(client, "code")
    assert ascending == ["A1", "A2", "C1", "C2", "C3", "C4", "C5"]
    assert order(client, "+code") == ascending  # a bare + arrives as a space
    assert order(client, quote("+code")) == ascending
    assert order(client, "-code") == ascending[::-1]


def test_several_keys(client, lots):
    assert order(client, "function,-code") == ["C5", "C4", "C3", "C2", "C1", "A2", "A1"]


def test_pages_follow_the_order_through_next_links(client, lots):
    expected = order(client, "-area")
    seen, url = [], f"{ITEMS}?sortby=-area&limit=4"
    while url:
        page = get_json(client, url)
        seen += [f["properties"]["code"] for f in page["features"]]
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
    assert seen == expected


@pytest.mark.parametrize(
    "sortby",
    ["geometry", "nosuch", "", "-", "code,", "code;DROP TABLE planning_feature", "attributes"],
)
def test_what_is_not_a_sortable_is_a_400(client, lots, sortby):
    response, body = get(client, f"{ITEMS}?sortby={quote(sortby)}")
    assert response.status_code == 400, body[:300]
    problem = json.loads(body)
    assert problem["code"] == "InvalidParameterValue"
    assert "sortby" in problem["description"]
    assert Feature.objects.count() == 7


def test_a_drafts_attribute_is_no_sortable_for_others(client, lots, draft_plan, planner):
    layer = draft_plan.layers.get()
    layer.attribute_schema = [{"name": "secret_note", "type": "string"}]
    layer.save()
    sortables = get_json(client, f"{COLLECTION}/sortables")["properties"]
    assert "secret_note" not in sortables
    response, body = get(client, f"{ITEMS}?sortby=secret_note")
    assert response.status_code == 400
    assert b"secret" in body  # the caller's own word, echoed; nothing else is said
    client.force_login(planner)
    assert "secret_note" in get_json(client, f"{COLLECTION}/sortables")["properties"]
    assert order(client, "secret_note")  # the planner sorts by it


def test_the_sortables_document(client, lots):
    doc = get_json(client, f"{COLLECTION}/sortables")
    assert doc["$id"].endswith("/collections/landuse/sortables")
    assert "geometry" not in doc["properties"]
    assert doc["properties"]["area"]["type"] == "number"
    assert {"code", "function", "category", "project", "revision"} <= set(doc["properties"])
    links = get_json(client, COLLECTION)["links"]
    sortables = [link for link in links if link["rel"].endswith("/sortables")]
    assert sortables[0]["href"].endswith("/collections/landuse/sortables")
    api = get_json(client, "/ogcapi/api")
    items_params = {p["$ref"] for p in api["paths"]["/collections/{collectionId}/items"]["get"]
                    ["parameters"]}  # fmt: skip
    assert "#/components/parameters/sortby" in items_params
    assert "/collections/{collectionId}/sortables" in api["paths"]


def test_the_sortables_page_in_vietnamese(client, lots):
    _, body = get(client, f"{COLLECTION}/sortables?f=html", **{"Accept-Language": "vi"})
    page = body.decode()
    assert "<h1>Các thuộc tính sắp xếp được: " in page
    assert "Sortables" not in page
    _, body = get(client, f"{COLLECTION}?f=html", **{"Accept-Language": "vi"})
    assert ">Các thuộc tính sắp xếp được</a> (http://www.opengis.net/def/rel/ogc/1.0/sortables" in (
        body.decode()
    )


def test_owslib_sorts(live_server, lots):
    api = Features(f"{live_server.url}/ogcapi/")
    got = api.collection_items("landuse", sortby=("area", "desc"), limit=3)  # sends -area
    assert [f["properties"]["code"] for f in got["features"]] == ["C2", "C3", "C4"]
