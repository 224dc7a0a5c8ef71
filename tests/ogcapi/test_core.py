"""OGC API Features Part 1/2: landing, conformance, OpenAPI, collections, items, CRS."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from drf_spectacular.validation import validate_schema

from tests.conftest import HUE_X, HUE_Y
from tests.ogcapi.helpers import (
    assert_ring_close,
    codes,
    feature_id,
    get,
    get_json,
    lonlat_rings,
    replace_in_force,
)

pytestmark = pytest.mark.django_db
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


def test_landing_page_links(client):
    doc = get_json(client, "/ogcapi/")
    rels = {link["rel"]: link for link in doc["links"]}
    assert {"self", "service-desc", "service-doc", "conformance", "data"} <= set(rels)
    assert rels["service-desc"]["href"].endswith("/ogcapi/api")
    assert rels["data"]["href"].endswith("/ogcapi/collections")


def test_openapi_document_is_valid_and_describes_items(client):
    response, body = get(client, "/ogcapi/api")
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    doc = json.loads(body)
    validate_schema(doc)  # the official OpenAPI 3.0 JSON schema bundled by drf-spectacular
    items = doc["paths"]["/collections/{collectionId}/items"]["get"]
    names = {p["$ref"].rsplit("/", 1)[1] for p in items["parameters"]}
    assert {"bbox", "bbox-crs", "limit", "offset", "datetime", "crs", "filter"} <= names
    limit = doc["components"]["parameters"]["limit"]["schema"]
    assert (limit["default"], limit["maximum"]) == (100, 10000)
    assert "interval" in doc["components"]["parameters"]["datetime"]["description"]


def test_conformance_declares_the_parts_supported(client):
    conforms = set(get_json(client, "/ogcapi/conformance")["conformsTo"])
    for uri in (
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    ):
        assert uri in conforms


def test_collection_extent_and_crs(client, plan_in_force):
    doc = get_json(client, "/ogcapi/collections/landuse")
    minx, miny, maxx, maxy = doc["extent"]["spatial"]["bbox"][0]
    assert 107.5 < minx < maxx < 107.7
    assert 16.4 < miny < maxy < 16.5
    assert doc["extent"]["temporal"]["interval"][0][0].startswith(str(datetime.now(UTC).year))
    assert doc["storageCrs"] == "http://www.opengis.net/def/crs/EPSG/0/9214"
    assert doc["crs"][0] == CRS84
    for srid in (4326, 3857, 9214, 4756, 9210, 9218):
        assert f"http://www.opengis.net/def/crs/EPSG/0/{srid}" in doc["crs"]
    listed = get_json(client, "/ogcapi/collections")["collections"]
    assert {"landuse", "landuse.inforce"} <= {c["id"] for c in listed}


def test_items_geojson_geometry_matches_postgis(client, plan_in_force):
    response, body = get(client, "/ogcapi/collections/landuse/items")
    assert response["Content-Type"] == "application/geo+json"
    assert response["Content-Crs"] == f"<{CRS84}>"
    doc = json.loads(body)
    assert (doc["numberMatched"], doc["numberReturned"]) == (2, 2)
    assert doc["timeStamp"].endswith("Z")
    by_code = {f["properties"]["code"]: f for f in doc["features"]}
    assert by_code["A1"]["properties"]["name"] == "Đất ở mới"
    ring = by_code["A1"]["geometry"]["coordinates"][0]
    assert_ring_close(ring, lonlat_rings(feature_id("A1")), 1e-7)


def test_crs_9214_returns_storage_coordinates(client, plan_in_force):
    url = "/ogcapi/collections/landuse/items?code=A1&crs=http://www.opengis.net/def/crs/EPSG/0/9214"
    response, body = get(client, url)
    assert response["Content-Crs"] == "<http://www.opengis.net/def/crs/EPSG/0/9214>"
    ring = json.loads(body)["features"][0]["geometry"]["coordinates"][0]
    xs, ys = {round(x, 3) for x, _ in ring}, {round(y, 3) for _, y in ring}
    assert xs == {HUE_X, HUE_X + 100}
    assert ys == {HUE_Y, HUE_Y + 100}


def test_crs_4326_uri_is_latitude_first(client, plan_in_force):
    url = "/ogcapi/collections/landuse/items?code=A1&crs=http://www.opengis.net/def/crs/EPSG/0/4326"
    ring = get_json(client, url)["features"][0]["geometry"]["coordinates"][0]
    expected = [[lat, lon] for lon, lat in lonlat_rings(feature_id("A1"))]
    assert_ring_close(ring, expected, 1e-7)


def test_bbox_in_crs84_and_in_storage_crs(client, plan_in_force):
    ring = lonlat_rings(feature_id("A1"))
    lon, lat = ring[0][0] + 0.0001, ring[0][1] + 0.0001  # inside A1 only
    doc = get_json(client, f"/ogcapi/collections/landuse/items?bbox={lon},{lat},{lon},{lat}")
    assert codes(doc) == {"A1"}
    box = f"{HUE_X + 150},{HUE_Y + 10},{HUE_X + 160},{HUE_Y + 20}"
    crs = "http://www.opengis.net/def/crs/EPSG/0/9214"
    doc = get_json(client, f"/ogcapi/collections/landuse/items?bbox={box}&bbox-crs={crs}")
    assert codes(doc) == {"A2"}
    world = get_json(client, "/ogcapi/collections/landuse/items?bbox=-180,-90,180,90")
    assert codes(world) == {"A1", "A2"}
    elsewhere = get_json(client, "/ogcapi/collections/landuse/items?bbox=0,0,1,1")
    assert elsewhere["numberMatched"] == 0


def test_paging_links(client, plan_in_force):
    first = get_json(client, "/ogcapi/collections/landuse/items?limit=1")
    assert (first["numberMatched"], first["numberReturned"]) == (2, 1)
    rels = {link["rel"]: link["href"] for link in first["links"]}
    assert "prev" not in rels
    assert "offset=1" in rels["next"]
    second = get_json(client, rels["next"].split("testserver", 1)[1])
    rels2 = {link["rel"]: link["href"] for link in second["links"]}
    assert "next" not in rels2
    assert "offset=0" in rels2["prev"]
    assert codes(first) | codes(second) == {"A1", "A2"}
    assert codes(first) != codes(second)


def test_single_item_and_html(client, plan_in_force):
    pk = feature_id("A1")
    doc = get_json(client, f"/ogcapi/collections/landuse/items/{pk}")
    assert doc["id"] == pk
    assert doc["properties"]["code"] == "A1"
    response, body = get(client, f"/ogcapi/collections/landuse/items/{pk}", Accept="text/html")
    assert response["Content-Type"].startswith("text/html")
    assert "Đất ở mới" in body.decode()
    response, body = get(client, "/ogcapi/collections/landuse/items?f=html")
    assert response.status_code == 200
    assert "A2" in body.decode()


def test_html_escapes_attribute_text(client, planner, reviewer):
    from tests.conftest import make_plan, square

    hostile = "<script>alert(1)</script>"
    make_plan(planner, reviewer, "xss", [(square(HUE_X, HUE_Y, 10), {"code": hostile, "function": "DO"})],
              approve=True)  # fmt: skip
    _, body = get(client, "/ogcapi/collections/landuse/items?f=html")
    assert hostile not in body.decode()
    assert "&lt;script&gt;" in body.decode()


def test_etag_and_not_modified(client, plan_in_force):
    for url in ("/ogcapi/", "/ogcapi/collections", "/ogcapi/collections/landuse",
                "/ogcapi/collections/landuse/items?limit=1"):  # fmt: skip
        response, _ = get(client, url)
        etag = response["ETag"]
        assert response["Cache-Control"].startswith("public")
        again, body = get(client, url, **{"If-None-Match": etag})
        assert again.status_code == 304
        assert body == b""
        other, _ = get(client, url, **{"If-None-Match": '"other"'})
        assert other.status_code == 200


def test_etag_of_items_changes_with_a_new_approval(client, plan_in_force, planner, reviewer):
    from tests.conftest import make_plan, square

    before, _ = get(client, "/ogcapi/collections/landuse/items")
    make_plan(planner, reviewer, "later", [(square(HUE_X, HUE_Y, 5), {"code": "C1", "function": "DO"})],
              approve=True)  # fmt: skip
    after, body = get(client, "/ogcapi/collections/landuse/items",
                      **{"If-None-Match": before["ETag"]})  # fmt: skip
    assert after.status_code == 200
    assert "C1" in codes(json.loads(body))


def test_accept_negotiation(client, plan_in_force):
    response, _ = get(client, "/ogcapi/collections", Accept="text/html,*/*;q=0.8")
    assert response["Content-Type"].startswith("text/html")
    response, _ = get(client, "/ogcapi/collections", Accept="application/json")
    assert response["Content-Type"] == "application/json"
    response, body = get(client, "/ogcapi/collections", Accept="application/xml")
    assert response.status_code == 406
    assert json.loads(body)["code"] == "NotAcceptable"
    response, _ = get(client, "/ogcapi/collections?f=xml")
    assert response.status_code == 406


def test_the_openapi_document_answers_the_type_its_link_names(client, plan_in_force):
    """QA walk: the landing page's service-desc type (with `;version=3.0`) answered 406."""
    _, body = get(client, "/ogcapi/")
    link = next(x for x in json.loads(body)["links"] if x["rel"] == "service-desc")
    response, document = get(client, "/ogcapi/api", Accept=link["type"])
    assert response.status_code == 200
    assert json.loads(document)["openapi"].startswith("3.0")


@pytest.mark.parametrize("query", ["f=json&f=html", "limit=2&limit=3", "bbox=1,2,3,4&bbox=1,2,3,5"])
def test_a_parameter_given_twice_is_refused(client, plan_in_force, query):
    """QA walk: one of the values was used, unsaid (`f=json&f=html` answered HTML)."""
    response, body = get(client, f"/ogcapi/collections/landuse/items?{query}")
    assert response.status_code == 400
    assert json.loads(body)["code"] == "InvalidParameterValue"
    assert "more than once: " + query.split("=")[0] in json.loads(body)["description"]


def test_datetime_selects_the_plan_in_force_then(client, plan_in_force, planner, reviewer):
    first, switch = datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 6, 1, tzinfo=UTC)
    replace_in_force(plan_in_force, planner, reviewer, first, switch)
    url = "/ogcapi/collections/landuse.inforce/items?datetime="
    assert codes(get_json(client, url + "2025-01-15")) == {"A1", "A2"}
    assert codes(get_json(client, url + "2025-07-01T00:00:00Z")) == {"N1"}
    assert codes(get_json(client, url + "2024-06-01/2025-05-31")) == {"A1", "A2"}
    assert codes(get_json(client, url + "2023-12-31")) == set()
    assert codes(get_json(client, "/ogcapi/collections/landuse.inforce/items")) == {"N1"}
