"""Placements in Viet Nam beyond the EPSG areas of use of VN-2000 (code review): those
areas end at the mainland coast (about 109.5°E), so control points in Hoàng Sa or Trường
Sa, mapped in VN-2000 like any district, were refused as "outside the area where the CRS
is used", and so was a whole-country overview placed in the deployment's provincial zone
(the georeferencing page always sends the storage CRS as target_crs). Where a CRS is used
in Viet Nam, the whole of planning.extent.VIETNAM_LONLAT is now taken; absurd placements
stay refused (tests.rasters.test_implausible_placement)."""

from __future__ import annotations

import pytest
from pyproj import CRS, Transformer
from rest_framework.test import APIClient

from rasters.models import GeoreferenceMethod, RasterLayer
from tests.rasters.conftest import unplaced_scan
from tests.rasters.test_implausible_placement import HEIGHT, WIDTH, _place, _refused

ISLANDS = {"hoang-sa": (112.0, 16.5), "truong-sa": (114.0, 10.0)}
# The VN-2000 systems: geographic, TM-3 (EPSG and this project's 9205-9218), UTM 48N.
VN2000 = ["EPSG:4756", "EPSG:5899", "EPSG:3405", "EPSG:9217", "EPSG:9214"]


def points_at(crs: str, lon: float, lat: float) -> list[list[float]]:
    """Three control points placing the 400 × 300 scan with pixels of about 0.5 m, its
    upper-left corner at lon/lat, in `crs`."""
    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
    pixel = 0.5 / 111_000 if CRS.from_user_input(crs).is_geographic else 0.5
    return [
        [0, 0, x, y],
        [WIDTH, 0, x + WIDTH * pixel, y],
        [0, HEIGHT, x, y - HEIGHT * pixel],
    ]


@pytest.fixture
def client(planner) -> APIClient:
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(planner)
    return api


@pytest.fixture
def raw_scan(tmp_path, draft_plan, client) -> RasterLayer:
    """An unplaced 400 × 300 scan.png uploaded to the draft through the API."""
    return unplaced_scan(client, draft_plan, tmp_path)


@pytest.mark.parametrize("island", list(ISLANDS))
@pytest.mark.parametrize("crs", VN2000)
def test_a_scan_of_the_islands_is_placed_in_vn2000(client, raw_scan, crs, island):
    lon, lat = ISLANDS[island]
    response = _place(client, raw_scan, points_at(crs, lon, lat), crs=crs)
    assert response.status_code == 200, response.content
    west, _south, _east, north = response.json()["bounds_wgs84"]
    assert (west, north) == pytest.approx((lon, lat), abs=0.01)
    assert response.json()["crs"] == crs
    raw_scan.refresh_from_db()
    assert raw_scan.georeference_method == GeoreferenceMethod.CONTROL_POINTS


@pytest.mark.parametrize("island", list(ISLANDS))
def test_web_map_clicks_on_the_islands_are_placed_in_the_hue_zone(client, raw_scan, island):
    """As the georeferencing page sends them: web mercator, placed in the storage CRS."""
    lon, lat = ISLANDS[island]
    points = points_at("EPSG:3857", lon, lat)
    response = _place(client, raw_scan, points, crs="EPSG:3857", target_crs="EPSG:9214")
    assert response.status_code == 200, response.content
    assert response.json()["crs"] == "EPSG:9214"


def test_an_overview_of_the_whole_country_is_placed_in_the_hue_zone(client, raw_scan, settings):
    """A 400 × 300 overview from Lai Châu to Trường Sa (pixels of about 4 km), clicked on
    the web map; beyond VIETNAM_LONLAT (the Philippines, 121°E) stays refused."""
    beyond = points_at("EPSG:9214", 121.0, 14.5)
    _refused(client, raw_scan, settings, beyond, "outside the area where EPSG:9214 is used")
    to_mercator = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    corners = [(102.2, 23.4), (115.5, 23.4), (102.2, 7.5)]
    (x0, y0), (x1, _), (_, y2) = (to_mercator.transform(*c) for c in corners)
    points = [[0, 0, x0, y0], [WIDTH, 0, x1, y0], [0, HEIGHT, x0, y2]]
    response = _place(client, raw_scan, points, crs="EPSG:3857", target_crs="EPSG:9214")
    assert response.status_code == 200, response.content
    west, south, east, north = response.json()["bounds_wgs84"]
    assert (west, east) == pytest.approx((102.2, 115.5), abs=0.5)
    assert (south, north) == pytest.approx((7.5, 23.4), abs=0.5)
