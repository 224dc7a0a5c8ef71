"""Vector tiles publish the attributes under the same names as WFS and OGC API Features:
an uploaded name that clashes with a published one (ignoring case) becomes `<name>_<n>`
(tests/clashing_plans.py), in the tiles and in the TileJSON fields alike."""

from __future__ import annotations

import pytest

from tests.clashing_plans import RENAMED, clashing_plans
from tests.conftest import HUE_X, HUE_Y
from tests.vtiles.conftest import token_header
from tests.vtiles.test_vector_tiles import decode, features_by_code, get_tile

pytestmark = pytest.mark.django_db


@pytest.fixture
def plans(plan_in_force, planner, reviewer):
    return clashing_plans(planner, reviewer)


def _lots(client, **headers) -> dict[str, dict]:
    lots: dict[str, dict] = {}
    for dx in (625, 725, 825, 925):  # the centres of S1, S2, C1 and the draft's X1
        response, _ = get_tile(client, "landuse", HUE_X + dx, HUE_Y + 25, z=15, **headers)
        assert response.status_code == 200
        tile = features_by_code(decode(response.content))
        lots |= {code: feature["properties"] for code, feature in tile.items()}
    return lots


def test_tiles_and_tilejson_use_the_published_names(client, plans):
    lots = _lots(client)
    assert lots["S1"]["category"] == "TMDV"
    assert (lots["S1"]["AREA_1"], lots["S1"]["Zone"]) == (1234.5, "north")
    assert (lots["C1"]["area"], lots["C1"]["ZONE_1"], lots["C1"]["Code_1"]) == (500, "east", "c-1")
    assert not set(RENAMED) & {key for lot in lots.values() for key in lot}
    assert "X1" not in lots
    (layer,) = client.get("/vtiles/landuse.json").json()["vector_layers"]
    assert {"category", "AREA_1", "Zone", "ZONE_1", "Code_1"} <= set(layer["fields"])
    assert not set(RENAMED) & set(layer["fields"])
    assert layer["fields"]["AREA_1"] == "Number"
    assert "Secret_Field" not in layer["fields"]


def test_drafts_names_stay_with_their_planners(client, plans, planner):
    lots = _lots(client, **token_header(planner))
    assert lots["X1"]["Secret_Field"] == "hush"
    assert lots["X1"]["zone_2"] == "west"
    assert lots["S1"]["Zone"] == "north", "a draft never renames what is in force"
