"""The DATETIME vendor parameter: the plans in force at an instant (WFS has no dimension)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from planning.actions import ApproveRevision, CreateRevision, SubmitRevision
from planning.models import Feature, Revision

pytestmark = pytest.mark.django_db


def codes(client, **extra) -> set[str]:
    params = {
        "SERVICE": "WFS",
        "VERSION": "2.0.0",
        "REQUEST": "GetFeature",
        "TYPENAMES": "landuse",
        "OUTPUTFORMAT": "application/json",
        **extra,
    }
    response = client.get("/wfs", params)
    assert response.status_code == 200, response.content[:300]
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return {f["properties"]["code"] for f in json.loads(body)["features"]}


def amended_ten_days_ago(plan_in_force, planner, reviewer):
    """The plan (A1, A2) in force from 30 to 10 days ago, then its amendment without A2;
    now, as the moments are measured from."""
    answer = CreateRevision(
        user=planner, project=plan_in_force.project, based_on=plan_in_force
    ).execute()
    Feature.objects.filter(layer__revision=answer, attributes__code="A2").delete()
    SubmitRevision(user=planner, revision=answer).execute()
    ApproveRevision(user=reviewer, revision=answer, decision_number="2/QĐ").execute()
    now = timezone.now()
    Revision.objects.filter(pk=plan_in_force.pk).update(
        approved_at=now - timedelta(days=30), superseded_at=now - timedelta(days=10)
    )
    Revision.objects.filter(pk=answer.pk).update(approved_at=now - timedelta(days=10))
    return now


def test_plans_in_force_at_an_instant(client, plan_in_force, planner, reviewer):
    now = amended_ten_days_ago(plan_in_force, planner, reviewer)
    assert codes(client) == {"A1"}
    assert codes(client, DATETIME=(now - timedelta(days=20)).date().isoformat()) == {"A1", "A2"}
    assert codes(client, DATETIME=(now - timedelta(days=5)).date().isoformat()) == {"A1"}
    bad = client.get(
        "/wfs",
        {
            "SERVICE": "WFS",
            "VERSION": "2.0.0",
            "REQUEST": "GetFeature",
            "TYPENAMES": "landuse",
            "DATETIME": "soon",
        },
    )
    assert bad.status_code == 400
    assert b"datetime" in bad.content


def test_time_is_read_as_datetime(client, plan_in_force, planner, reviewer):
    """QA walk: TIME (as WMS and MapServer's WFS spell it) answered today's plans silently."""
    now = amended_ten_days_ago(plan_in_force, planner, reviewer)
    earlier = (now - timedelta(days=20)).date().isoformat()
    assert codes(client, TIME=earlier) == {"A1", "A2"}
    assert codes(client, TIME=earlier, DATETIME=earlier) == {"A1", "A2"}
    status, body = wfs(
        client, REQUEST="GetFeature", TYPENAMES="landuse", TIME=earlier, DATETIME="2020-01-01"
    )
    assert status == 400
    assert b"not both" in body
    status, body = wfs(client, REQUEST="GetFeature", TYPENAMES="landuse", TIME="soon")
    assert status == 400
    assert b'locator="time"' in body


def wfs(client, **params):
    response = client.get("/wfs", {"SERVICE": "WFS", "VERSION": "2.0.0", **params})
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, body


def test_before_any_approval_a_published_type_is_empty(client, plan_in_force):
    """A moment before the first approval: a type the capabilities list answers with no
    features, not "unknown type" (as OGC API Features and WMS TIME answer); so does a kind
    with no published features, at every moment (the catalogue is the same as WMS's)."""
    before = (plan_in_force.approved_at - timedelta(days=400)).date().isoformat()
    assert codes(client, DATETIME=before) == set()
    own = f"landuse.{plan_in_force.project.code}"
    assert codes(client, DATETIME=before, TYPENAMES=own) == set()
    status, body = wfs(
        client,
        REQUEST="GetPropertyValue",
        TYPENAMES="landuse",
        VALUEREFERENCE="code",
        DATETIME=before,
    )
    assert status == 200, body[:300]
    assert b'numberReturned="0"' in body
    status, body = wfs(client, REQUEST="GetFeature", TYPENAMES="buildings", DATETIME=before)
    assert status == 200, body[:300]
    assert b'numberMatched="0"' in body
