"""Real WMS clients against the live server: GDAL's WMS driver and a cascading MapProxy."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml
from lxml import etree
from mapproxy.wsgiapp import make_wsgi_app
from PIL import Image
from werkzeug.test import Client

from tests.conftest import HUE_X, HUE_Y
from tests.tiles.helpers import CX, DO, GD, colours, png, to_3857

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("catalogue")]
HALF = 250.0  # metres of web mercator each side of lot A1's centre; 500 px = 1 m/px


def _gdal_env() -> dict[str, str]:
    """GDAL's tools find their own PROJ data; pyproj's variables would mislead them."""
    return {k: v for k, v in os.environ.items() if k not in {"PROJ_DATA", "PROJ_LIB", "GDAL_DATA"}}


def _view_3857() -> tuple[float, float, float, float]:
    x, y = to_3857(HUE_X + 50, HUE_Y + 50)
    return x - HALF, y - HALF, x + HALF, y + HALF


def _gdal_service_xml(url: str, bbox: tuple[float, float, float, float]) -> bytes:
    root = etree.Element("GDAL_WMS")
    service = etree.SubElement(root, "Service", name="WMS")
    for tag, text in {
        "Version": "1.1.1",
        "ServerUrl": f"{url}/wms?",
        "SRS": "EPSG:3857",
        "ImageFormat": "image/png",
        "Layers": "plans",
        "Transparent": "TRUE",
    }.items():
        etree.SubElement(service, tag).text = text
    window = etree.SubElement(root, "DataWindow")
    corners = {"UpperLeftX": bbox[0], "UpperLeftY": bbox[3], "LowerRightX": bbox[2]}
    corners |= {"LowerRightY": bbox[1], "SizeX": 500, "SizeY": 500}
    for tag, value in corners.items():
        etree.SubElement(window, tag).text = str(value)
    for tag, text in {"BandsCount": "4", "BlockSizeX": "500", "BlockSizeY": "500"}.items():
        etree.SubElement(root, tag).text = text
    return etree.tostring(root)


def test_gdal_wms_driver_reads_the_plan_colours(live_server, plan_in_force, draft_plan, tmp_path):
    description = tmp_path / "plans.xml"
    description.write_bytes(_gdal_service_xml(live_server.url, _view_3857()))
    out = tmp_path / "out.png"
    subprocess.run(
        ["gdal_translate", "-q", "-of", "PNG", str(description), str(out)],
        check=True,
        env=_gdal_env(),
        timeout=120,
    )
    image = Image.open(out).convert("RGBA")
    assert image.size == (500, 500)
    assert image.getpixel((250, 250)) == (*DO, 255)  # lot A1
    assert image.getpixel((5, 5))[3] == 0
    assert GD not in colours(image)


def test_gdalinfo_reads_the_capabilities(live_server, plan_in_force):
    result = subprocess.run(
        ["gdalinfo", f"WMS:{live_server.url}/wms?SERVICE=WMS&REQUEST=GetCapabilities"],
        check=True,
        env=_gdal_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "LAYERS=plans" in result.stdout
    assert "LAYERS=landuse" in result.stdout


def _cascade_app(url: str, tmp_path: Path):
    """A second MapProxy whose only source is this server's WMS."""
    conf = {
        "services": {"wms": {"srs": ["EPSG:3857"], "image_formats": ["image/png"]}},
        "sources": {
            "upstream": {
                "type": "wms",
                "req": {"url": f"{url}/wms", "layers": "plans", "transparent": True},
                "supported_srs": ["EPSG:3857"],
                "http": {"client_timeout": 60},
            }
        },
        "layers": [{"name": "cascaded", "title": "Cascaded plans", "sources": ["upstream"]}],
        "globals": {"cache": {"base_dir": str(tmp_path / "cache")}},
    }
    path = tmp_path / "cascade.yaml"
    path.write_text(yaml.safe_dump(conf), encoding="utf-8")
    return make_wsgi_app(str(path))


def test_mapproxy_cascades_our_wms(live_server, plan_in_force, tmp_path):
    client = Client(_cascade_app(live_server.url, tmp_path))
    bbox = ",".join(f"{v:.3f}" for v in _view_3857())
    response = client.get(
        "/service?SERVICE=WMS&VERSION=1.1.1&REQUEST=GetMap&LAYERS=cascaded&STYLES="
        f"&SRS=EPSG:3857&BBOX={bbox}&WIDTH=500&HEIGHT=500&FORMAT=image/png&TRANSPARENT=TRUE"
    )
    assert response.status_code == 200, response.data[:500]
    image = png(response.data)
    assert image.getpixel((250, 250)) == (*DO, 255)  # lot A1
    assert image.getpixel((350, 250)) == (*CX, 255)  # lot A2, 100 m east
    assert image.getpixel((5, 5))[3] == 0
