"""Real clients against a live server: OWSLib and GDAL's OAPIF driver (ogrinfo, ogr2ogr)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from owslib.ogcapi.features import Features

from tests.conftest import HUE_X, HUE_Y, make_plan, square
from tests.conftest import declare_lot_schema as declare
from tests.ogcapi.helpers import assert_ring_close, feature_id, lonlat_rings

NAME = "Đất thương mại – dịch vụ «Huế»"


def gdal_env() -> dict[str, str]:
    """GDAL tools find their own PROJ/GDAL data: drop what pyproj set in this process."""
    drop = {"PROJ_DATA", "PROJ_LIB", "GDAL_DATA"}
    return {k: v for k, v in os.environ.items() if k not in drop}


@pytest.fixture
def published(plan_in_force, draft_plan, planner, reviewer):
    """The plan in force, a draft, and a second plan in force with Vietnamese text."""
    declare(make_plan(planner, reviewer, "vn",
                      [(square(HUE_X + 500, HUE_Y, 80),
                        {"code": "V1", "function": "TM", "name": NAME})],
                      approve=True))  # fmt: skip


def test_owslib_collections_and_items(live_server, published):
    api = Features(f"{live_server.url}/ogcapi")
    ids = {c["id"] for c in api.collections()["collections"]}
    assert {"landuse", "landuse.inforce", "landuse.vn"} <= ids
    assert "landuse.draft" not in ids
    assert api.collection("landuse")["storageCrs"].endswith("/9214")
    lon, lat = lonlat_rings(feature_id("A1"))[0]
    near_a1 = [lon + 0.0001, lat + 0.0001, lon + 0.0002, lat + 0.0002]
    items = api.collection_items("landuse", bbox=near_a1, limit=5)
    assert [f["properties"]["code"] for f in items["features"]] == ["A1"]
    page = api.collection_items("landuse", limit=1)
    assert page["numberReturned"] == 1
    assert page["numberMatched"] == 3
    assert any(link["rel"] == "next" for link in page["links"])


def test_ogrinfo_reads_every_feature(live_server, published):
    result = subprocess.run(
        ["ogrinfo", "-ro", "-al", f"OAPIF:{live_server.url}/ogcapi", "landuse"],
        capture_output=True, text=True, env=gdal_env(), timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("OGRFeature(landuse)") == 3
    assert NAME in result.stdout
    assert "B1" not in result.stdout


def test_ogr2ogr_geometries_and_text(live_server, published, tmp_path: Path):
    out = tmp_path / "out.json"
    result = subprocess.run(
        ["ogr2ogr", "-f", "GeoJSON", str(out), f"OAPIF:{live_server.url}/ogcapi", "landuse"],
        capture_output=True, text=True, env=gdal_env(), timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    features = json.loads(out.read_text(encoding="utf-8"))["features"]
    by_code = {f["properties"]["code"]: f for f in features}
    assert set(by_code) == {"A1", "A2", "V1"}
    assert by_code["V1"]["properties"]["name"] == NAME
    assert by_code["A1"]["properties"]["name"] == "Đất ở mới"
    for code, feature in by_code.items():
        ring = feature["geometry"]["coordinates"][0]
        assert_ring_close(ring, lonlat_rings(feature_id(code)), 1e-7)


def test_ogrinfo_with_planner_credentials_sees_the_draft(live_server, published):
    env = gdal_env() | {"GDAL_HTTP_USERPWD": "planner_t:pw-planner-test", "GDAL_HTTP_AUTH": "BASIC"}
    result = subprocess.run(
        ["ogrinfo", "-ro", "-al", "-q", f"OAPIF:{live_server.url}/ogcapi", "landuse.draft"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "B1" in result.stdout
