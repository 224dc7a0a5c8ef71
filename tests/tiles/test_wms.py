"""WMS through a real client (OWSLib) against a live server, real PostGIS and Mapnik."""

from __future__ import annotations

from urllib.error import HTTPError

import pytest
from owslib.wms import WebMapService

from planning.layer_kinds import KINDS
from tests.conftest import HUE_X, HUE_Y
from tests.tiles.helpers import CX, DO, GD, colours, fetch, png, rgb_at, to_3857, to_wgs84

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("catalogue")]
REQUIRED_CRS = {"EPSG:4326", "EPSG:3857", "EPSG:4756", "EPSG:9214"}


@pytest.mark.parametrize("version", ["1.1.1", "1.3.0"])
def test_capabilities_parse_with_owslib(live_server, plan_in_force, version):
    wms = WebMapService(f"{live_server.url}/ows", version=version)
    assert {"plans", *KINDS} <= set(wms.contents)
    assert REQUIRED_CRS <= set(wms["plans"].crsOptions)
    minx, miny, maxx, maxy = wms["landuse"].boundingBoxWGS84
    lon, lat = to_wgs84(HUE_X + 50, HUE_Y + 50)
    assert minx < lon < maxx  # the extent of the lots in Hue
    assert miny < lat < maxy
    assert maxx - minx < 0.01


def _getmap_9214(live_server, version: str = "1.3.0"):
    """400 × 600 m around both lots and the draft, 1 m per pixel."""
    wms = WebMapService(f"{live_server.url}/ows", version=version)
    bbox = (HUE_X - 100, HUE_Y - 100, HUE_X + 300, HUE_Y + 500)
    response = wms.getmap(
        layers=["plans"],
        srs="EPSG:9214",
        bbox=bbox,
        size=(400, 600),
        format="image/png",
        transparent=True,
    )
    return png(response.read())


def test_getmap_in_storage_crs_shows_only_the_plan_in_force(live_server, plan_in_force, draft_plan):
    image = _getmap_9214(live_server)
    # pixel (col, row) of storage point (x, y): col = x - minx, row = maxy - y
    assert rgb_at(image, 150, 450) == (*DO, 255)  # lot A1 centre
    assert rgb_at(image, 250, 450) == (*CX, 255)  # lot A2 centre
    assert rgb_at(image, 50, 300)[3] == 0  # outside any lot: transparent
    assert rgb_at(image, 150, 150)[3] == 0  # the draft lot is not public
    assert GD not in colours(image)


def test_getmap_in_web_mercator(live_server, plan_in_force, draft_plan):
    x, y = to_3857(HUE_X + 50, HUE_Y + 50)
    half = 250.0
    wms = WebMapService(f"{live_server.url}/ows", version="1.3.0")
    response = wms.getmap(
        layers=["plans"],
        srs="EPSG:3857",
        bbox=(x - half, y - half, x + half, y + half),
        size=(500, 500),
        format="image/png",
        transparent=True,
    )
    image = png(response.read())
    assert rgb_at(image, 250, 250) == (*DO, 255)
    assert rgb_at(image, 5, 5)[3] == 0
    assert GD not in colours(image)


def test_getmap_in_vn2000_geographic_axis_order(live_server, plan_in_force):
    """EPSG:4756 is lat/lon: WMS 1.3.0 BBOX is minlat,minlon,maxlat,maxlon."""
    from pyproj import Transformer

    from planning.crs import proj4_for

    to_geo = Transformer.from_crs(proj4_for(9214), proj4_for(4756), always_xy=True)
    lon, lat = to_geo.transform(HUE_X + 50, HUE_Y + 50)
    d = 0.002
    url = (
        f"{live_server.url}/ows?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=plans"
        f"&STYLES=&CRS=EPSG:4756&BBOX={lat - d},{lon - d},{lat + d},{lon + d}"
        f"&WIDTH=200&HEIGHT=200&FORMAT=image/png&TRANSPARENT=TRUE"
    )
    _, _, body = fetch(url)
    image = png(body)
    assert rgb_at(image, 100, 100) == (*DO, 255)


def test_getmap_wms_111(live_server, plan_in_force, draft_plan):
    image = _getmap_9214(live_server, "1.1.1")
    assert rgb_at(image, 150, 450) == (*DO, 255)
    assert GD not in colours(image)


def test_oversized_getmap_is_an_ogc_exception(live_server, settings):
    url = (
        f"{live_server.url}/ows?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=plans"
        f"&STYLES=&CRS=EPSG:3857&BBOX=0,0,1,1&WIDTH={settings.PLANNING_WMS_MAX_SIZE + 1}"
        f"&HEIGHT=10&FORMAT=image/png"
    )
    with pytest.raises(HTTPError) as caught:
        fetch(url)
    assert caught.value.code == 400
    body = caught.value.read()
    assert b"ServiceException" in body
    assert b"InvalidParameterValue" in body


def test_unknown_layer_is_passed_through_as_ogc_exception(live_server, plan_in_force):
    url = (
        f"{live_server.url}/ows?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=nope"
        f"&STYLES=&CRS=EPSG:3857&BBOX=0,0,1,1&WIDTH=10&HEIGHT=10&FORMAT=image/png"
    )
    with pytest.raises(HTTPError) as caught:
        fetch(url)
    assert caught.value.code == 400  # MapProxy says 500; the mount makes client errors 400
    assert b"LayerNotDefined" in caught.value.read()
