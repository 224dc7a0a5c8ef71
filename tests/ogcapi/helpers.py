"""Helpers of the OGC API tests: requests through Django's client, PostGIS truths."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection
from django.test import Client

from planning.models import Feature, Layer, Revision


def get(client: Client, url: str, **headers: str) -> tuple[Any, bytes]:
    """The response and its whole body, streamed or not."""
    response = client.get(url, headers=headers)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def get_json(client: Client, url: str, status: int = 200, **headers: str) -> Any:
    response, body = get(client, url, **headers)
    assert response.status_code == status, body[:500]
    return json.loads(body)


def codes(collection: dict) -> set[str]:
    return {f["properties"].get("code") for f in collection["features"]}


def lonlat_rings(feature_id: int, srid: int = 4326) -> list[list[float]]:
    """The exterior ring of a stored feature transformed by PostGIS (the reference)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_AsGeoJSON(ST_Transform(geom, %s), 9) FROM planning_feature WHERE id = %s",
            [srid, feature_id],
        )
        geometry = json.loads(cursor.fetchone()[0])
    return geometry["coordinates"][0]


def feature_id(code: str) -> int:
    return Feature.objects.get(attributes__code=code).pk


def assert_ring_close(actual: list, expected: list, tolerance: float) -> None:
    assert len(actual) == len(expected)
    for (ax, ay, *_), (ex, ey, *_) in zip(actual, expected, strict=True):
        assert abs(ax - ex) <= tolerance, (actual, expected)
        assert abs(ay - ey) <= tolerance, (actual, expected)


def replace_in_force(plan_in_force, planner, reviewer, first, switch):
    """A second revision of the plan in force (lot N1) approved: the first was in force
    from `first` to `switch`, the second since `switch`. Returns the second."""
    from planning.actions import ApproveRevision, CreateRevision, SubmitRevision
    from tests.conftest import HUE_X, HUE_Y, square

    # Prepared on the plan in force (one started empty would undo it), then replaced whole.
    revision = CreateRevision(
        user=planner, project=plan_in_force.project, based_on=plan_in_force
    ).execute()
    revision.layers.all().delete()
    layer = Layer.objects.create(
        revision=revision, kind="landuse", name="v2", created_by=planner, feature_count=1
    )
    Feature.objects.create(
        layer=layer,
        geom=square(HUE_X, HUE_Y, 200),
        attributes={"code": "N1", "function": "DO"},
        category="DO",
    )
    SubmitRevision(user=planner, revision=revision).execute()
    ApproveRevision(user=reviewer, revision=revision, decision_number="2/QĐ").execute()
    Revision.objects.filter(pk=plan_in_force.pk).update(approved_at=first, superseded_at=switch)
    Revision.objects.filter(pk=revision.pk).update(approved_at=switch)
    return revision
