"""The extent a layer without features advertises (QA walk: an empty annotation layer
advertised all of Viet Nam in the WMS and WMTS capabilities, the world in its TileJSON).

A layer with no features in force advertises the extent of the plans in force, where a
client zooming to it finds the plan it belongs to; only when nothing is in force does a
layer advertise Viet Nam. WMS, WMTS and the vector tiles' TileJSON agree, and so do the WFS
feature types and OGC API collections of an empty kind (tests/tiles/test_one_catalogue.py).
"""

from __future__ import annotations

import pytest
from owslib.wms import WebMapService
from owslib.wmts import WebMapTileService

from planning.actions import ApproveRevision, SubmitRevision
from planning.models import Layer, Revision
from tests.conftest import HUE_X, HUE_Y, make_plan, square
from tests.tiles.helpers import to_wgs84
from tiles.datasource import VIETNAM_WGS84

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("catalogue")]


@pytest.fixture
def with_empty_annotation(planner, reviewer) -> Revision:
    """A plan in force: two lots and an annotation layer without any text."""
    revision = make_plan(
        planner,
        reviewer,
        "annotated",
        [
            (square(HUE_X, HUE_Y, 100), {"code": "A1", "function": "DO"}),
            (square(HUE_X + 100, HUE_Y, 100), {"code": "A2", "function": "CX"}),
        ],
        approve=False,
    )
    Layer.objects.create(revision=revision, kind="annotation", name="Ghi chú", created_by=planner)
    SubmitRevision(user=planner, revision=revision).execute()
    ApproveRevision(user=reviewer, revision=revision, decision_number="2/QĐ-UBND").execute()
    return revision


def assert_around_the_lots(box) -> None:
    west, south, east, north = box
    lon, lat = to_wgs84(HUE_X + 100, HUE_Y + 50)
    assert west < lon < east
    assert south < lat < north
    assert east - west < 0.01, f"not the plan's extent: {box}"
    assert north - south < 0.01, f"not the plan's extent: {box}"


@pytest.mark.parametrize("version", ["1.1.1", "1.3.0"])
def test_wms_an_empty_layer_advertises_the_plans_in_force(
    live_server, with_empty_annotation, version
):
    wms = WebMapService(f"{live_server.url}/ows", version=version)
    assert_around_the_lots(wms["annotation"].boundingBoxWGS84)
    assert wms["annotation"].boundingBoxWGS84 == pytest.approx(wms["plans"].boundingBoxWGS84)
    assert wms["roads"].boundingBoxWGS84 == pytest.approx(wms["plans"].boundingBoxWGS84)


def test_wmts_an_empty_layer_advertises_the_plans_in_force(live_server, with_empty_annotation):
    wmts = WebMapTileService(f"{live_server.url}/wmts?SERVICE=WMTS&REQUEST=GetCapabilities")
    annotation, plans = wmts.contents["annotation"], wmts.contents["plans"]
    assert_around_the_lots(annotation.boundingBoxWGS84)
    assert annotation.boundingBoxWGS84 == pytest.approx(plans.boundingBoxWGS84)


def test_tilejson_of_an_empty_layer_advertises_the_plans_in_force(client, with_empty_annotation):
    annotation = client.get("/vtiles/annotation.json")
    assert annotation.status_code == 200  # the layer exists, with no feature
    assert_around_the_lots(annotation.json()["bounds"])
    assert annotation.json()["bounds"] == client.get("/vtiles/plans.json").json()["bounds"]


def test_with_nothing_in_force_every_service_advertises_viet_nam(live_server, client, catalogue):
    wms = WebMapService(f"{live_server.url}/ows", version="1.3.0")
    wmts = WebMapTileService(f"{live_server.url}/wmts?SERVICE=WMTS&REQUEST=GetCapabilities")
    for name in ("plans", "annotation"):
        assert wms[name].boundingBoxWGS84 == pytest.approx(VIETNAM_WGS84)
        assert wmts.contents[name].boundingBoxWGS84 == pytest.approx(VIETNAM_WGS84)
    assert client.get("/vtiles/plans.json").json()["bounds"] == pytest.approx(VIETNAM_WGS84)
