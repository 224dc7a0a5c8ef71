"""Rasters in WMS, XYZ and GetFeatureInfo: at the right place, only when visible.

Driven over HTTP against the live server (MapProxy and Mapnik render from the COG);
pixel checks at known coordinates, in the storage CRS and in web mercator.
"""

from __future__ import annotations

import io
import json
from base64 import b64encode
from urllib.parse import urlencode

import numpy as np
import pytest
from PIL import Image
from pyproj import Transformer

from planning.actions import ApproveRevision, SubmitRevision
from planning.crs import proj4_for
from rasters.importing import import_raster
from tests.conftest import HUE_X, HUE_Y, make_plan
from tests.rasters.conftest import SCAN_SIZE, SCAN_TRANSFORM, pattern, write_tiff
from tests.wms.helpers import get

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("private_tile_cache"),
]
BASIC_PLANNER = "Basic " + b64encode(b"planner_t:pw-planner-test").decode()
JPEG_TOLERANCE = 12


def _raster_plan(planner, reviewer, path, code, *, approve, kind="scan"):
    revision = make_plan(planner, reviewer, code, [], approve=False)
    raster = import_raster(
        user=planner, revision=revision, path=path, filename=path.name, name=code, kind=kind
    ).raster
    if approve:
        SubmitRevision(user=planner, revision=revision).execute()
        ApproveRevision(
            user=reviewer, revision=revision, decision_number="2/QĐ", supersede_overlaps=True
        ).execute()
    return raster


@pytest.fixture
def scan_in_force(planner, reviewer, scan_geotiff):
    return _raster_plan(planner, reviewer, scan_geotiff, "scan-old", approve=True)


@pytest.fixture
def scan_draft(planner, reviewer, tmp_path):
    width, height = SCAN_SIZE
    path = write_tiff(
        tmp_path / "draft.tif",
        pattern(width, height)[::-1].copy(),  # distinct colours: blue-ish pattern
        transform=SCAN_TRANSFORM,
        crs="EPSG:9214",
    )
    return _raster_plan(planner, reviewer, path, "scan-draft", approve=False)


def _getmap(
    base, layer, *, crs="EPSG:9214", bbox=None, size=SCAN_SIZE, headers=None, path="/ows", **extra
):
    t = SCAN_TRANSFORM
    width, height = SCAN_SIZE
    box = bbox or (t.c, t.f - height * 0.5, t.c + width * 0.5, t.f)
    query = {
        "SERVICE": "WMS",
        "VERSION": "1.3.0",
        "REQUEST": "GetMap",
        "LAYERS": layer,
        "STYLES": "",
        "CRS": crs,
        "BBOX": ",".join(f"{v:.6f}" for v in box),
        "WIDTH": size[0],
        "HEIGHT": size[1],
        "FORMAT": "image/png",
        "TRANSPARENT": "TRUE",
        **extra,
    }
    return get(f"{base}{path}?{urlencode(query)}", headers)


def _rgba(body: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(body)).convert("RGBA")).astype(int)


def _expected(col: int, row: int) -> np.ndarray:
    width, height = SCAN_SIZE
    return pattern(width, height)[:, row, col].astype(int)


def test_getmap_in_storage_crs_shows_each_scan_pixel_in_place(live_server, scan_in_force):
    status, _headers, body = _getmap(live_server.url, scan_in_force.layer_name)
    assert status == 200, body[:300]
    image = _rgba(body)
    for col, row in [(10, 10), (200, 150), (390, 20), (30, 290), (333, 222)]:
        assert image[row, col, 3] == 255
        assert np.abs(image[row, col, :3] - _expected(col, row)).max() <= JPEG_TOLERANCE


def test_getmap_in_web_mercator_at_known_coordinates(live_server, scan_in_force):
    """Reprojected by Mapnik: a scan pixel's centre, moved to EPSG:3857 with the VN-2000
    shift, is drawn in that pixel's colour."""
    to_3857 = Transformer.from_crs(proj4_for(9214), "EPSG:3857", always_xy=True)
    t = SCAN_TRANSFORM
    width, height = SCAN_SIZE
    minx, miny = to_3857.transform(t.c - 20, t.f - height * 0.5 - 20)
    maxx, maxy = to_3857.transform(t.c + width * 0.5 + 20, t.f + 20)
    size = (480, 380)
    status, _, body = _getmap(
        live_server.url,
        scan_in_force.layer_name,
        crs="EPSG:3857",
        bbox=(minx, miny, maxx, maxy),
        size=size,
    )
    assert status == 200
    image = _rgba(body)
    checked = 0
    for col, row in [(40, 40), (200, 150), (360, 260), (100, 250)]:
        x, y = t @ (col + 0.5, row + 0.5)
        mx, my = to_3857.transform(x, y)
        i = int((mx - minx) / (maxx - minx) * size[0])
        j = int((maxy - my) / (maxy - miny) * size[1])
        # Colours change by ~0.64 per pixel: allow two pixels of placement error.
        assert np.abs(image[j, i, :3] - _expected(col, row)).max() <= JPEG_TOLERANCE + 4
        checked += 1
    assert checked == 4
    assert image[2, 2, 3] == 0  # outside the scan: transparent


def test_xyz_tile_and_capabilities_list_the_raster_in_force(live_server, scan_in_force):
    status, _, caps = get(f"{live_server.url}/ows?SERVICE=WMS&REQUEST=GetCapabilities")
    assert status == 200
    assert f"<Name>{scan_in_force.layer_name}</Name>".encode() in caps
    status, _, wmts = get(f"{live_server.url}/wmts/1.0.0/WMTSCapabilities.xml")
    assert status == 200
    assert f"<ows:Identifier>{scan_in_force.layer_name}</ows:Identifier>".encode() in wmts
    lon, lat = Transformer.from_crs(proj4_for(9214), "EPSG:4326", always_xy=True).transform(
        HUE_X + 50, HUE_Y + 75
    )
    z = 17
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - np.arcsinh(np.tan(np.radians(lat))) / np.pi) / 2 * n)
    status, _headers, body = get(
        f"{live_server.url}/tiles/{scan_in_force.layer_name}/{z}/{x}/{y}.png"
    )
    assert status == 200
    assert _rgba(body)[..., 3].max() == 255


def test_draft_raster_is_invisible_anonymously_and_visible_to_its_planner(
    live_server, scan_draft, planner
):
    name = scan_draft.layer_name
    status, _, body = _getmap(live_server.url, name)
    assert status == 400
    assert b"LayerNotDefined" in body
    _, _, caps = get(f"{live_server.url}/ows?SERVICE=WMS&REQUEST=GetCapabilities")
    assert name.encode() not in caps
    _, _, wmts = get(f"{live_server.url}/wmts/1.0.0/WMTSCapabilities.xml")
    assert name.encode() not in wmts
    status, _, _ = get(f"{live_server.url}/tiles/{name}/17/0/0.png")
    assert status == 404
    status, headers, body = _getmap(live_server.url, name, headers={"Authorization": BASIC_PLANNER})
    assert status == 200
    assert headers["Cache-Control"] == "private, no-store"
    image = _rgba(body)
    assert image[150, 200, 3] == 255
    expected = pattern(*SCAN_SIZE)[::-1][:, 150, 200].astype(int)
    assert np.abs(image[150, 200, :3] - expected).max() <= JPEG_TOLERANCE


def test_outsider_does_not_see_the_draft_raster(live_server, scan_draft, outsider):
    auth = "Basic " + b64encode(b"outsider_t:pw-outsider-test").decode()
    status, _, body = _getmap(
        live_server.url, scan_draft.layer_name, headers={"Authorization": auth}
    )
    assert status == 400
    assert b"LayerNotDefined" in body


def test_draft_raster_stays_private_on_the_other_paths(live_server, scan_draft, planner):
    """GetFeatureInfo, GetLegendGraphic, the REST API and the web map's raster list refuse
    the draft anonymously; a planner's map of another moment (TIME) shows the plans in
    force then, so not their draft."""
    name, base = scan_draft.layer_name, live_server.url
    info = {"QUERY_LAYERS": name, "I": "5", "J": "5", "INFO_FORMAT": "application/json"}
    status, _, body = _getmap(base, name, REQUEST="GetFeatureInfo", **info)
    assert (status, b"LayerNotDefined" in body) == (400, True)
    status, _, body = get(f"{base}/ows?SERVICE=WMS&REQUEST=GetLegendGraphic&LAYER={name}")
    assert b"LayerNotDefined" in body
    assert get(f"{base}/api/rasters/{scan_draft.pk}/")[0] == 404
    assert get(f"{base}/api/rasters/{scan_draft.pk}/image.png")[0] == 404
    listed = json.loads(get(f"{base}/api/rasters/map/")[2])["rasters"]
    assert scan_draft.pk not in [r["id"] for r in listed]
    auth = {"Authorization": BASIC_PLANNER}
    assert scan_draft.pk in [
        r["id"] for r in json.loads(get(f"{base}/api/rasters/map/", auth)[2])["rasters"]
    ]
    status, _, body = _getmap(base, name, headers=auth, TIME="2020-01-01T00:00:00Z")
    assert status == 200
    assert _rgba(body)[..., 3].max() == 0


def test_getfeatureinfo_returns_the_elevation_under_the_pixel(
    live_server, planner, reviewer, tmp_path
):
    width, height = 200, 100
    # A tilted plane: elevation = 10 + 0.5 × column + 0.25 × row (metres).
    cols, rows = np.meshgrid(np.arange(width), np.arange(height))
    dem = (10 + 0.5 * cols + 0.25 * rows).astype("float32")[None]
    path = write_tiff(
        tmp_path / "dem.tif", dem, transform=SCAN_TRANSFORM, crs="EPSG:9214", nodata=-9999
    )
    raster = _raster_plan(planner, reviewer, path, "dem", approve=True, kind="elevation")
    t = SCAN_TRANSFORM
    box = (t.c, t.f - height * 0.5, t.c + width * 0.5, t.f)
    query = {
        "SERVICE": "WMS",
        "VERSION": "1.3.0",
        "REQUEST": "GetFeatureInfo",
        "LAYERS": raster.layer_name,
        "QUERY_LAYERS": raster.layer_name,
        "STYLES": "",
        "CRS": "EPSG:9214",
        "BBOX": ",".join(map(str, box)),
        "WIDTH": width,
        "HEIGHT": height,
        "I": 120,
        "J": 40,
        "INFO_FORMAT": "application/json",
    }
    status, _, body = get(f"{live_server.url}/ows?{urlencode(query)}")
    assert status == 200, body
    features = json.loads(body)["features"]
    assert len(features) == 1
    assert features[0]["properties"]["band_1"] == pytest.approx(10 + 0.5 * 120 + 0.25 * 40)
    status, _, body = _getmap(live_server.url, raster.layer_name, bbox=box, size=(width, height))
    assert status == 200
    image = _rgba(body)
    assert image[50, 100, 3] == 255
    assert not np.array_equal(image[5, 5, :3], image[95, 195, :3])  # coloured by the ramp
