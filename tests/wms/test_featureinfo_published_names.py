"""GetFeatureInfo names a feature's properties as WFS and OGC API publish them: uploaded
names that clash with a published one (ignoring case) are `<name>_<n>` (tests/
clashing_plans.py), attributes no layer declares are not shown, and a draft's names reach
its planners only."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.clashing_plans import clashing_plans
from tests.conftest import HUE_X, HUE_Y

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalogue")]
# 1 m per pixel over the clashing plans' lots (S1 at HUE_X + 600 ... C1 at HUE_X + 800).
BBOX = (HUE_X + 550, HUE_Y - 50, HUE_X + 1000, HUE_Y + 100)
SIZE = (450, 150)


def pixel(x: float, y: float) -> tuple[int, int]:
    return round(x - BBOX[0]), round(BBOX[3] - y)


def info(client: Client, at: tuple[float, float], info_format="application/json", **headers):
    i, j = pixel(*at)
    response = client.get("/ows", {
        "SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetFeatureInfo",
        "LAYERS": "plans", "QUERY_LAYERS": "plans", "STYLES": "", "CRS": "EPSG:9214",
        "BBOX": ",".join(str(v) for v in BBOX), "WIDTH": SIZE[0], "HEIGHT": SIZE[1],
        "FORMAT": "image/png", "INFO_FORMAT": info_format, "I": i, "J": j,
    }, headers=headers)  # fmt: skip
    assert response.status_code == 200, response.content[:300]
    return response.content.decode()


def properties(body: str) -> dict:
    (feature,) = json.loads(body)["features"]
    return feature["properties"]


def test_clashing_names_are_the_published_ones(client, plan_in_force, planner, reviewer):
    plans = clashing_plans(planner, reviewer)
    shp = properties(info(client, (HUE_X + 625, HUE_Y + 25)))
    assert (shp["AREA_1"], shp["Zone"], shp["category"]) == (1234.5, "north", "TMDV")
    assert "AREA" not in shp
    cad = properties(info(client, (HUE_X + 825, HUE_Y + 25)))
    assert (cad["area"], cad["ZONE_1"], cad["Code_1"], cad["code"]) == (500, "east", "c-1", "C1")
    assert not {"ZONE", "Code"} & set(cad)
    gml = info(client, (HUE_X + 825, HUE_Y + 25), "application/vnd.ogc.gml")
    assert ">east</plan:ZONE_1>" in gml
    # An attribute no layer of the plan declares is not published here either.
    layer = plans["cad"].layers.get()
    layer.attribute_schema = [f for f in layer.attribute_schema if f["name"] != "Code"]
    layer.save(update_fields=["attribute_schema"])
    assert "Code_1" not in properties(info(client, (HUE_X + 825, HUE_Y + 25)))


def test_draft_names_reach_only_its_planners(client, plan_in_force, planner, reviewer):
    clashing_plans(planner, reviewer)
    x1 = (HUE_X + 925, HUE_Y + 25)  # the draft's lot
    assert json.loads(info(client, x1))["features"] == []
    client.force_login(planner)
    mine = properties(info(client, x1))
    assert (mine["Secret_Field"], mine["zone_2"]) == ("hush", "west")
