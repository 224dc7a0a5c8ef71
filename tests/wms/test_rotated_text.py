"""Annotation texts are drawn turned as in the drawing, on the public map (MapProxy over
tiles.datasource) and on a signed-in caller's (tiles.wms_render); only a JSON number
turns a text, any other `rotation` leaves it level."""

from __future__ import annotations

from base64 import b64encode

import numpy as np
import pytest
from django.contrib.gis.geos import Point
from django.db import connection

from planning.actions import ApproveRevision, SubmitRevision
from planning.models import Feature, Layer, Revision
from tests.conftest import HUE_X, HUE_Y, make_plan, square
from tests.tiles.helpers import png
from tests.wms.helpers import BBOX_9214, get, wms_url
from tiles import datasource, wms_render

ROAD = "ĐƯỜNG NGUYỄN HUỆ"
# (text, its point (storage CRS), its rotation attribute; ...: none), apart on the map
TEXTS = [
    ("NORTH", (HUE_X - 50, HUE_Y + 250), 90),  # up a north-south street
    ("AS_TEXT", (HUE_X + 50, HUE_Y + 400), "90"),  # a string: level
    ("TILTED", (HUE_X + 100, HUE_Y + 200), -30.5),
    ("FLAG", (HUE_X + 270, HUE_Y + 380), True),  # made 1e400 below
    ("NONE", (HUE_X - 80, HUE_Y + 50), ...),
    ("NULL", (HUE_X - 80, HUE_Y - 50), None),
    ("OBJECT", (HUE_X + 100, HUE_Y - 80), {"deg": 90}),
]


def annotated_plan(planner, reviewer) -> Revision:
    """A plan in force with a lot and an annotation layer of TEXTS, each written
    ROAD-long, from its bottom left (as a MapInfo text or a left-aligned TEXT)."""
    revision = make_plan(
        planner,
        reviewer,
        "notes",
        [(square(HUE_X, HUE_Y, 100), {"code": "N1", "function": "DO"})],
        approve=False,
    )
    layer = Layer.objects.create(
        revision=revision, kind="annotation", name="Notes", created_by=planner, feature_count=7
    )
    for name, (x, y), rotation in TEXTS:
        attributes = {"text": f"{name} {ROAD}", "anchor": "bottom_left"}
        if rotation is not ...:
            attributes["rotation"] = rotation
        Feature.objects.create(layer=layer, geom=Point(x, y), attributes=attributes)
    with connection.cursor() as cursor:  # a number no float holds (written by hand, say)
        cursor.execute(
            "UPDATE planning_feature SET attributes = attributes || '{\"rotation\": 1e400}' "
            "WHERE layer_id = %s AND attributes->>'text' LIKE 'FLAG %%'",
            [layer.pk],
        )
    SubmitRevision(user=planner, revision=revision).execute()
    ApproveRevision(
        user=reviewer, revision=revision, decision_number="3/QĐ-UBND", supersede_overlaps=True
    ).execute()
    return revision


def _selected(table: str) -> dict[str, float]:
    """Each text's rotation as a Mapnik table subquery selects it."""
    envelope = f"ST_MakeEnvelope({', '.join(map(str, BBOX_9214))}, 9214)"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT label, rotation FROM {table.replace('!bbox!', envelope)}")
        return {label.split()[0]: rotation for label, rotation in cursor.fetchall()}


@pytest.mark.django_db
def test_only_a_json_number_turns_a_text(planner, reviewer, catalogue):
    annotated_plan(planner, reviewer)
    expected = {
        "NORTH": 90.0,
        "TILTED": -30.5,
        "AS_TEXT": 0.0,
        "NULL": 0.0,
        "OBJECT": 0.0,
        "FLAG": 280.0,  # 1e400 reduced to a turn, not a failed cast that blanks the layer
        "NONE": 0.0,
    }
    assert _selected(datasource.kind_table("annotation")) == expected
    assert _selected(wms_render.mapnik_table(Feature.objects.all(), "annotation")) == expected


def _painted_box(image, region: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """(left, top, width, height) of what is painted in a region (left, top, right, bottom)
    of the image."""
    left, top, right, bottom = region
    rows, columns = np.nonzero(np.asarray(image)[top:bottom, left:right, 3] > 128)
    assert len(rows), region
    return (
        left + int(columns.min()),
        top + int(rows.min()),
        int(np.ptp(columns)) + 1,
        int(np.ptp(rows)) + 1,
    )


@pytest.mark.django_db(transaction=True)
def test_a_road_name_up_a_street_is_drawn_upwards(live_server, planner, reviewer, catalogue):
    annotated_plan(planner, reviewer)
    public = png(get(wms_url(live_server.url, LAYERS="annotation"))[2])
    auth = "Basic " + b64encode(b"planner_t:pw-planner-test").decode()
    private = png(get(wms_url(live_server.url, LAYERS="annotation"), {"Authorization": auth})[2])
    for image in (public, private):  # MapProxy's datasource, and wms_render's
        # NORTH's point at pixel (50, 250): drawn up from it, taller than wide
        left, top, width, height = _painted_box(image, (0, 0, 110, 300))
        assert height > 4 * width, (width, height)
        assert 240 < top + height <= 252  # its bottom at the point
        assert left < 45 < left + width <= 55  # west of it: its top faces west
        # AS_TEXT's point at pixel (150, 100): level, right of it
        left, top, width, height = _painted_box(image, (120, 0, 400, 110))
        assert width > 4 * height, (width, height)
        assert left >= 147
        assert 95 < top + height <= 106
