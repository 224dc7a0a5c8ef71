"""Credentials sent but wrong get 401 from every map service path, as GetMap answered them:
capabilities, legends, WMTS tiles and XYZ tiles used to answer anonymously, so a QGIS user
with a typo saw the layer list and then every map request fail (QA walk)."""

from __future__ import annotations

from base64 import b64encode

import pytest
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalogue", "plan_in_force")]
PATHS = [
    "/ows?SERVICE=WMS&REQUEST=GetCapabilities",
    "/wms?REQUEST=GetCapabilities&VERSION=1.1.1",
    "/ows?SERVICE=WMS&REQUEST=GetLegendGraphic&LAYER=plans&FORMAT=image/png",
    "/ows?SERVICE=WMTS&REQUEST=GetCapabilities",
    "/wmts?REQUEST=GetCapabilities",
    "/wmts/1.0.0/WMTSCapabilities.xml",
    "/wmts/landuse/webmercator/15/26213/14863.png",
    "/tiles/landuse/15/26213/14863.png",
]
WRONG = ["Token not-a-token", "Basic " + b64encode(b"planner_t:wrong").decode()]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("authorization", WRONG, ids=["token", "basic"])
def test_wrong_credentials_are_refused_everywhere(client: Client, path, authorization):
    response = client.get(path, headers={"Authorization": authorization})
    assert response.status_code == 401, (path, response.content[:200])
    assert "Basic" in response["WWW-Authenticate"]
    assert client.get(path).status_code == 200  # anonymous still served


def test_right_credentials_are_served(client: Client, planner):
    basic = "Basic " + b64encode(b"planner_t:pw-planner-test").decode()
    for path in PATHS:
        assert client.get(path, headers={"Authorization": basic}).status_code == 200, path
