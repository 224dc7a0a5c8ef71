"""Plans whose uploaded attribute names clash with the published feature schema (shared by
the WFS, OGC API and vector-tile tests of the published property names).

`shp`, approved first: a shapefile-like upload whose `AREA` clashes with the standard `area`
and whose `function` holds a catalogue name, so only `category` has the code. `cad`, approved
later: `ZONE` clashes with the earlier `Zone` and `Code` with the standard `code`. `secret`, a
draft: its names must never reach anyone but its planners.
"""

from __future__ import annotations

from planning.models import Feature, Layer, Revision
from tests.conftest import HUE_X, HUE_Y, make_plan, square

SHP_SCHEMA = [
    {"name": "code", "type": "string"},
    {"name": "function", "type": "string"},
    {"name": "AREA", "type": "number"},
    {"name": "Zone", "type": "string"},
]
CAD_SCHEMA = [
    {"name": "code", "type": "string"},
    {"name": "function", "type": "string"},
    {"name": "area", "type": "number"},
    {"name": "ZONE", "type": "string"},
    {"name": "Code", "type": "string"},
]
SECRET_SCHEMA = [
    {"name": "code", "type": "string"},
    {"name": "function", "type": "string"},
    {"name": "Secret_Field", "type": "string"},
    {"name": "zone", "type": "string"},
]
# What the rule publishes them as, for everyone who sees the plans in force.
RENAMED = {"AREA": "AREA_1", "ZONE": "ZONE_1", "Code": "Code_1"}
SHOP = "Đất thương mại dịch vụ"  # a catalogue name: its code is TMDV


def _declare(revision: Revision, schema: list[dict], categories: dict[str, str]) -> Revision:
    Layer.objects.filter(revision=revision).update(attribute_schema=schema)
    for code, category in categories.items():
        Feature.objects.filter(layer__revision=revision, attributes__code=code).update(
            category=category
        )
    return revision


def clashing_plans(planner, reviewer) -> dict[str, Revision]:
    """Two plans in force (east of the fixtures' lots) and a draft, as described above."""
    shp = make_plan(
        planner,
        reviewer,
        "shp",
        [
            (square(HUE_X + 600, HUE_Y, 50),
             {"code": "S1", "function": SHOP, "AREA": 1234.5, "Zone": "north"}),
            (square(HUE_X + 700, HUE_Y, 50),
             {"code": "S2", "function": "Đất ở", "AREA": 99.0, "Zone": "south"}),
        ],
        approve=True,
    )  # fmt: skip
    cad = make_plan(
        planner,
        reviewer,
        "cad",
        [
            (square(HUE_X + 800, HUE_Y, 50),
             {"code": "C1", "function": "CX", "area": 500, "ZONE": "east", "Code": "c-1"}),
        ],
        approve=True,
    )  # fmt: skip
    secret = make_plan(
        planner,
        reviewer,
        "secret",
        [
            (square(HUE_X + 900, HUE_Y, 50),
             {"code": "X1", "function": "DO", "Secret_Field": "hush", "zone": "west"}),
        ],
        approve=False,
    )  # fmt: skip
    return {
        "shp": _declare(shp, SHP_SCHEMA, {"S1": "TMDV", "S2": "OCT"}),
        "cad": _declare(cad, CAD_SCHEMA, {"C1": "CX"}),
        "secret": _declare(secret, SECRET_SCHEMA, {"X1": "DO"}),
    }
