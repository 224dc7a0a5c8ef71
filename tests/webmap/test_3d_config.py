"""The 3D view's page configuration: the tilesets each page asks for, CesiumJS's asset URL
and no online service (the browser side is tests/webmap/test_3d_browser.py)."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

ONLINE = re.compile(r"https?://|cesium\.com|bing|virtualearth|openstreetmap", re.IGNORECASE)


def view3d_config(html: str) -> dict:
    match = re.search(
        r'<script id="view3d-config" type="application/json">(.*?)</script>', html, re.S
    )
    assert match, "the page has no 3D view configuration"
    return json.loads(match.group(1))


def test_map_page_shows_plans_in_force_in_3d(client, plan_in_force):
    html = client.get("/map/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="view3d-toggle"' in html
    config = view3d_config(html)
    assert config["tilesets"] == [
        {
            "id": "in-force",
            "title": "the plans in force",
            "primary": True,
            "url": "/3dtiles/in-force/tileset.json",
        }
    ]
    assert config["baseUrl"] == "/static/webmap/dist/cesium/"
    assert config["imageryUrl"] == "/tiles/plans/{z}/{x}/{y}.png"
    assert config["utcOffsetMinutes"] == 7 * 60  # Asia/Ho_Chi_Minh
    assert len(config["extent"]) == 4
    assert not ONLINE.search(json.dumps(config)), "the 3D view must not use online services"


def test_review_page_shows_the_revision_over_the_plans_in_force(draft_plan, planner):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(planner)
    config = view3d_config(client.get(f"/revisions/{draft_plan.pk}/review/").content.decode())
    revision, context = config["tilesets"]
    assert revision["url"] == f"/3dtiles/revisions/{draft_plan.pk}/tileset.json"
    assert revision["primary"]
    assert not context["primary"]
    assert context["url"] == "/3dtiles/in-force/tileset.json"


def test_an_approved_revision_is_not_drawn_twice(plan_in_force, reviewer):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(reviewer)
    config = view3d_config(client.get(f"/revisions/{plan_in_force.pk}/review/").content.decode())
    assert [t["id"] for t in config["tilesets"]] == [f"revision-{plan_in_force.pk}"]


def test_front_end_gets_every_label(client, plan_in_force):
    config = view3d_config(client.get("/map/").content.decode())
    assert set(config["labels"]) >= {"show3d", "show2d", "notAvailable", "units", "noBuilding"}
