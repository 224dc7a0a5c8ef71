"""Real clients: OWSLib (WFS 2.0.0 and 1.1.0) and GDAL's WFS driver (ogrinfo, ogr2ogr)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from django.db import connection
from lxml import etree
from owslib.fes2 import PropertyIsEqualTo
from owslib.wfs import WebFeatureService

from tests.wfs.helpers import NS, gdal_env

pytestmark = [pytest.mark.django_db(transaction=True)]
needs_gdal = pytest.mark.skipif(not shutil.which("ogr2ogr"), reason="GDAL tools missing")


def _codes(gml: bytes) -> list[str]:
    root = etree.fromstring(gml, etree.XMLParser(no_network=True, resolve_entities=False))
    return sorted(e.text for e in root.iter(f"{{{NS}}}code"))


@pytest.mark.parametrize("version", ["2.0.0", "1.1.0"])
def test_owslib_contents_and_getfeature(live_server, plan_in_force, draft_plan, version):
    wfs = WebFeatureService(f"{live_server.url}/wfs", version=version, timeout=60)
    assert "planning:landuse" in wfs.contents
    assert "planning:landuse.inforce" in wfs.contents
    assert "planning:landuse.draft" not in wfs.contents
    body = wfs.getfeature(typename=["planning:landuse"]).read()
    assert _codes(body) == ["A1", "A2"]
    assert "Đất ở mới" in body.decode("utf-8")


@pytest.mark.parametrize("method", ["Get", "Post"])
def test_owslib_filter_by_attribute(live_server, plan_in_force, method):
    wfs = WebFeatureService(f"{live_server.url}/wfs", version="2.0.0", timeout=60)
    fes = etree.tostring(PropertyIsEqualTo(propertyname="function", literal="DO").toXML())
    filter_xml = (
        f'<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0">{fes.decode()}</fes:Filter>'
    )
    response = wfs.getfeature(typename=["planning:landuse"], filter=filter_xml, method=method)
    body = response.read()
    assert _codes(body) == ["A1"]


def _postgis_rings() -> dict[str, list[list[float]]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT f.attributes->>'code', ST_AsGeoJSON(ST_Transform(f.geom, 4326), 9) "
            "FROM planning_feature f JOIN planning_layer l ON l.id = f.layer_id "
            "JOIN planning_revision r ON r.id = l.revision_id WHERE r.state = 'approved'"
        )
        return {code: json.loads(g)["coordinates"][0] for code, g in cursor.fetchall()}


def _close(ring_a: list, ring_b: list, tolerance: float = 1e-6) -> bool:
    points_a = {(round(x / tolerance), round(y / tolerance)) for x, y in ring_a}
    return all(
        any(
            abs(x - a * tolerance) <= 2 * tolerance and abs(y - b * tolerance) <= 2 * tolerance
            for a, b in points_a
        )
        for x, y in ring_b
    )


@needs_gdal
def test_ogrinfo_reads_every_feature(live_server, plan_in_force, draft_plan):
    result = subprocess.run(
        ["ogrinfo", "-ro", "-al", f"WFS:{live_server.url}/wfs", "landuse"],
        capture_output=True,
        text=True,
        timeout=120,
        env=gdal_env(),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Feature Count: 2" in result.stdout
    assert "code (String) = A1" in result.stdout
    assert "Đất ở mới" in result.stdout
    assert "B1" not in result.stdout


@needs_gdal
def test_ogr2ogr_geojson_matches_postgis(live_server, plan_in_force, tmp_path):
    out = tmp_path / "out.json"
    result = subprocess.run(
        [
            "ogr2ogr",
            "-f",
            "GeoJSON",
            str(out),
            f"WFS:{live_server.url}/wfs?VERSION=2.0.0",
            "landuse",
            "-t_srs",
            "EPSG:4326",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=gdal_env(),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    by_code = {f["properties"]["code"]: f for f in data["features"]}
    assert sorted(by_code) == ["A1", "A2"]
    assert by_code["A1"]["properties"]["name"] == "Đất ở mới"
    expected = _postgis_rings()
    for code, feature in by_code.items():
        coordinates = feature["geometry"]["coordinates"]
        ring = (
            coordinates[0][0] if feature["geometry"]["type"] == "MultiPolygon" else coordinates[0]
        )
        assert _close(expected[code], ring), (code, ring, expected[code])
