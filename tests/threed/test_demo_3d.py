"""The demo plan in force has buildings in 3D: the 3D view is never empty."""

from __future__ import annotations

import json

import pytest

from importers.demo import load_demo
from planning.models import Feature

pytestmark = pytest.mark.django_db


def test_demo_buildings_are_in_the_in_force_tileset(client, catalogue):
    project = load_demo()
    buildings = Feature.objects.filter(layer__revision__project=project, layer__kind="buildings")
    assert buildings.count() > 0
    assert not buildings.filter(geom_3d__isnull=True).exists()
    response = client.get("/3dtiles/in-force/tileset.json")
    assert response.status_code == 200
    [child] = json.loads(response.content)["root"]["children"]
    content = client.get("/3dtiles/in-force/" + child["content"]["uri"])
    data = b"".join(content.streaming_content)
    feature_table = json.loads(data[28 : 28 + int.from_bytes(data[12:16], "little")])
    assert feature_table["BATCH_LENGTH"] == buildings.count()
