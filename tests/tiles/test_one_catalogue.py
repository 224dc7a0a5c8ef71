"""One catalogue of layers for every service (QA walk: WMS listed the infrastructure and
annotation layers without features in force, WFS and OGC API Features did not, so a type
name an integrator configured came and went with the data).

WMS and WMTS layers, WFS feature types and OGC API collections name every published layer
kind (tiles.feature_types.published_kinds); an empty one answers every request as empty,
with the extent of the plans in force, else Viet Nam. A kind holding only a draft is
listed empty to everyone else: nothing of the draft shows through schemas, counts,
extents or errors.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from django.contrib.gis.geos import LineString, MultiLineString
from lxml import etree
from owslib.ogcapi.features import Features
from owslib.wfs import WebFeatureService
from owslib.wms import WebMapService

from planning.layer_kinds import KINDS
from planning.models import Feature, Layer, Revision
from tests.conftest import HUE_X, HUE_Y, declare_lot_schema, make_plan, square
from tests.ogcapi.helpers import get, get_json
from tests.tiles.helpers import to_wgs84
from tests.wfs.helpers import gdal_env
from tiles.datasource import VIETNAM_WGS84

pytestmark = pytest.mark.usefixtures("catalogue")
needs_gdal = pytest.mark.skipif(not shutil.which("ogrinfo"), reason="GDAL tools missing")
XS = "{http://www.w3.org/2001/XMLSchema}"
OWS11 = "{http://www.opengis.net/ows/1.1}"
WFS20 = "{http://www.opengis.net/wfs/2.0}"
SECRET = "secret_note"  # an attribute only the draft's road declares
DRAFT_ROAD_X = HUE_X + 20_000  # far east of the plan in force: an extent would show it


@pytest.fixture
def draft_road(plan_in_force, planner, reviewer) -> Feature:
    """The plan in force (land use only) and a draft holding the only road anywhere."""
    declare_lot_schema(plan_in_force)
    draft = make_plan(
        planner,
        reviewer,
        "roaddraft",
        [(square(DRAFT_ROAD_X, HUE_Y, 50), {"code": "R1", "function": "DO"})],
        approve=False,
    )
    layer = Layer.objects.create(
        revision=draft,
        kind="roads",
        name="Đường",
        created_by=planner,
        attribute_schema=[{"name": SECRET, "type": "string"}],
        feature_count=1,
    )
    line = LineString((DRAFT_ROAD_X, HUE_Y), (DRAFT_ROAD_X + 500, HUE_Y + 500))
    return Feature.objects.create(
        layer=layer, geom=MultiLineString(line), attributes={SECRET: "hidden"}
    )


def kinds_of(names) -> set[str]:
    """The kinds among layer / type / collection names (not `plans`, projects, rasters)."""
    return {name.removeprefix("planning:") for name in names} & set(KINDS)


def wfs(client, **params) -> tuple[int, bytes]:
    response = client.get("/wfs", {"SERVICE": "WFS", "VERSION": "2.0.0", **params})
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, body


@pytest.mark.django_db(transaction=True)
def test_every_service_lists_the_same_kinds(live_server, draft_road):
    wms = WebMapService(f"{live_server.url}/ows", version="1.3.0")
    listed = {"WMS": kinds_of(wms.contents)}
    for version in ("2.0.0", "1.1.0"):
        wfs_ = WebFeatureService(f"{live_server.url}/wfs", version=version, timeout=60)
        listed[f"WFS {version}"] = kinds_of(wfs_.contents)
    api = Features(f"{live_server.url}/ogcapi")
    listed["OGC API"] = kinds_of(c["id"] for c in api.collections()["collections"])
    assert listed == {service: set(KINDS) for service in listed}, listed
    assert api.collection_items("infrastructure")["numberMatched"] == 0
    assert api.collection_items("roads")["features"] == []


@pytest.mark.django_db(transaction=True)
@needs_gdal
@pytest.mark.parametrize("driver", ["WFS", "OAPIF"])
def test_gdal_opens_an_empty_kind(live_server, draft_road, driver):
    path = "/wfs" if driver == "WFS" else "/ogcapi"
    result = subprocess.run(
        ["ogrinfo", "-ro", "-so", f"{driver}:{live_server.url}{path}", "roads"],
        capture_output=True, text=True, env=gdal_env(), timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Feature Count: 0" in result.stdout, result.stdout
    assert SECRET not in result.stdout


@pytest.mark.django_db
def test_wfs_answers_an_empty_kind(client, draft_road):
    status, body = wfs(client, REQUEST="DescribeFeatureType", TYPENAMES="planning:roads")
    assert status == 200, body[:300]
    names = {e.get("name") for e in etree.fromstring(body).iter(f"{XS}element")}
    assert {"roads", "geom", "name", "width", "section"} <= names
    assert SECRET not in names
    for output in ("application/gml+xml; version=3.2", "application/json"):
        status, body = wfs(client, REQUEST="GetFeature", TYPENAMES="roads", OUTPUTFORMAT=output)
        assert status == 200, body[:300]
        assert b"hidden" not in body
        if output == "application/json":
            assert (json.loads(body)["numberMatched"], json.loads(body)["features"]) == (0, [])
        else:
            assert etree.fromstring(body).get("numberMatched") == "0"
    status, body = wfs(client, REQUEST="GetFeature", TYPENAMES="roads", RESULTTYPE="hits")
    assert (status, etree.fromstring(body).get("numberMatched")) == (200, "0")


@pytest.mark.django_db
def test_a_draft_in_an_empty_kind_is_as_absent_as_no_feature(client, draft_road):
    by_id = "urn:ogc:def:query:OGC-WFS::GetFeatureById"
    hidden = wfs(client, REQUEST="GetFeature", STOREDQUERY_ID=by_id, ID=f"roads.{draft_road.pk}")
    absent = wfs(client, REQUEST="GetFeature", STOREDQUERY_ID=by_id, ID="roads.999999999")
    assert hidden[0] == absent[0] == 404
    assert hidden[1] == absent[1]
    item, hidden_body = get(client, f"/ogcapi/collections/roads/items/{draft_road.pk}")
    nothing, absent_body = get(client, "/ogcapi/collections/roads/items/999999999")
    assert item.status_code == nothing.status_code == 404
    assert hidden_body == absent_body


@pytest.mark.django_db
def test_ogc_api_answers_an_empty_kind(client, draft_road):
    collection = get_json(client, "/ogcapi/collections/roads")
    assert collection["id"] == "roads"
    assert collection["extent"]["temporal"]["interval"] == [[None, None]]  # never in force
    items = get_json(client, "/ogcapi/collections/roads/items")
    assert (items["numberMatched"], items["numberReturned"], items["features"]) == (0, 0, [])
    for path in ("queryables", "schemas/feature"):
        schema = get_json(client, f"/ogcapi/collections/roads/{path}")
        assert SECRET not in json.dumps(schema)
    for path in ("", "/items", "/queryables", "/schemas/feature"):
        response, body = get(client, f"/ogcapi/collections/roads{path}?f=html")
        assert response.status_code == 200, (path, body[:300])
        assert SECRET.encode() not in body


def wfs_extents(client) -> dict[str, list[float]]:
    status, body = wfs(client, REQUEST="GetCapabilities")
    assert status == 200
    boxes = {}
    for element in etree.fromstring(body).iter(f"{WFS20}FeatureType"):
        box = element.find(f"{OWS11}WGS84BoundingBox")
        corners = [
            box.findtext(f"{OWS11}{corner}").split() for corner in ("LowerCorner", "UpperCorner")
        ]
        boxes[element.findtext(f"{WFS20}Name").removeprefix("planning:")] = [
            float(v) for v in corners[0] + corners[1]
        ]
    return boxes


def ogcapi_extents(client) -> dict[str, list[float]]:
    listed = get_json(client, "/ogcapi/collections")["collections"]
    return {c["id"]: c["extent"]["spatial"]["bbox"][0] for c in listed}


@pytest.mark.django_db
def test_an_empty_kind_advertises_the_plans_in_force_not_the_draft(client, draft_road):
    draft_lon, _ = to_wgs84(DRAFT_ROAD_X, HUE_Y)
    lot_lon, lot_lat = to_wgs84(HUE_X + 100, HUE_Y + 50)
    for extents in (wfs_extents(client), ogcapi_extents(client)):
        assert extents["roads"] == pytest.approx(extents["landuse"]), extents
        assert extents["annotation"] == pytest.approx(extents["landuse"]), extents
        west, south, east, north = extents["roads"]
        assert west < lot_lon < east < draft_lon
        assert south < lot_lat < north


@pytest.mark.django_db
def test_with_nothing_in_force_an_empty_kind_advertises_viet_nam(client, catalogue):
    for extents in (wfs_extents(client), ogcapi_extents(client)):
        assert set(extents) == set(KINDS)
        for box in extents.values():
            assert box == pytest.approx(VIETNAM_WGS84)


@pytest.mark.django_db
def test_a_project_type_still_needs_a_visible_feature(client, draft_road):
    """Projects come and go with plans: `roads.inforce` (a plan without roads) and the
    draft's `roads.roaddraft` stay unknown, as before; so does a kind with an empty project
    code (`landuse.` was a second name of `landuse`)."""
    for name in ("roads.inforce", "roads.roaddraft", "landuse.", "roads.", "nosuch"):
        status, body = wfs(client, REQUEST="DescribeFeatureType", TYPENAMES=name)
        assert status == 400, name
        assert b"Unknown feature type" in body, name
        response, _ = get(client, f"/ogcapi/collections/{name}")
        assert response.status_code == 404, name
    assert Revision.objects.filter(project__code="roaddraft").get().state == "draft"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetCapabilities", "/ogcapi/collections?f=json"]
)
def test_empty_types_share_one_extent_query(client, plan_in_force, url):
    """Most kinds are empty in a plan: each asks for its own extent, and the fallback over
    everything the caller sees is computed once, not once per empty kind (review: 14
    extent scans per request over 300,000 lots)."""
    from django.contrib.auth.models import AnonymousUser
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tiles.feature_types import feature_types

    types = feature_types(AnonymousUser())  # the kinds and the project's own land-use type
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    extents = [q["sql"] for q in queries.captured_queries if "ST_Extent" in q["sql"]]
    assert len(extents) == len(types) + 1
