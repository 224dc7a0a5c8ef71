"""Generated layer names ("<file> – <kind label>") shown in the reader's language.

An import from the Vietnamese UI names its layer "lots – Lô đất và khu chức năng sử dụng
đất"; the English project page showed it so. The stored name stays as imported (WFS,
OGC API and the feature info's `layer_name` give it unchanged); the pages and the feature
info's `layer_title` show the kind label in the reader's language, and a name the user
typed as it was typed."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import translation
from rest_framework.test import APIClient

from planning.layer_names import shown_name
from planning.models import Layer
from tests.conftest import HUE_X, HUE_Y

pytestmark = pytest.mark.django_db

VI = "lots – Lô đất và khu chức năng sử dụng đất"
EN = "lots – Land-use lots and zones"


@pytest.mark.parametrize(
    ("stored", "language", "shown"),
    [
        (VI, "en", EN),
        (EN, "vi", VI),
        (VI, "vi", VI),
        ("plan – Chỉ giới xây dựng", "en", "plan – Building lines"),
        ("Lô đất", "en", "Lô đất"),  # typed by the user: no generated label
        ("Khu A – phía bắc", "en", "Khu A – phía bắc"),
        ("a – b – Roads", "vi", "a – b – Giao thông"),
    ],
)
def test_shown_name(stored, language, shown):
    with translation.override(language):
        assert shown_name(stored) == shown


def lon_lat_of(x: float, y: float) -> tuple[float, float]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(p), ST_Y(p) FROM ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 9214), 4326)"
            " AS p",
            [x, y],
        )
        return cursor.fetchone()


def test_the_feature_info_keeps_the_stored_name_and_adds_the_shown_one(planner, draft_plan):
    Layer.objects.filter(revision=draft_plan).update(name=VI)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(planner)
    lon, lat = lon_lat_of(HUE_X + 50, HUE_Y + 350)  # lot B1
    response = client.get(
        "/api/feature-info/", {"lon": lon, "lat": lat, "revisions": str(draft_plan.pk)}
    )
    [info] = [f for f in response.json()["features"] if f["revision_id"] == draft_plan.pk]
    assert (info["layer_name"], info["layer_title"]) == (VI, EN)
