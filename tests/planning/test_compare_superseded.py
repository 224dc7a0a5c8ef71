"""The changes view does not blame an amendment for what another project's approval took
out of force (QA walk): a revision copied from the plan in force lacks the superseded lots
and what stood on them, and the comparison with the whole baseline listed them as removed.
They are listed apart, as superseded by that approval."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import LineString
from rest_framework.test import APIClient

from planning import compare
from planning.actions import CreateRevision
from planning.models import Feature, Layer, Revision, SupersededFeature
from tests.conftest import HUE_X, HUE_Y, make_plan, square

pytestmark = pytest.mark.django_db

Y = HUE_Y + 500


@pytest.fixture
def plan(planner, reviewer) -> Revision:
    """Lots K1, K2 and K3 in force, with a red line along K2 (no code: matched by geometry)."""
    plan = make_plan(planner, reviewer, "keep", [
        (square(HUE_X, Y, 100), {"code": "K1", "function": "HH"}),
        (square(HUE_X + 200, Y, 100), {"code": "K2", "function": "HH"}),
        (square(HUE_X + 400, Y, 100), {"code": "K3", "function": "HH"}),
    ], approve=True)  # fmt: skip
    layer = Layer.objects.create(
        revision=plan, kind="redlines", name="Red lines", created_by=planner
    )
    Feature.objects.create(
        layer=layer,
        geom=LineString((HUE_X + 200, Y + 100), (HUE_X + 300, Y + 100), srid=9214),
        attributes={"name": "red line of K2"},
    )
    return plan


@pytest.fixture
def other_approval(planner, reviewer, plan) -> Revision:
    """Another project's plan over K2, approved with its overlaps confirmed."""
    other = make_plan(planner, reviewer, "school", [
        (square(HUE_X + 210, Y + 10, 80), {"code": "S1", "function": "GD"}),
    ], approve=True)  # fmt: skip
    assert SupersededFeature.objects.filter(by_revision=other).count() == 2  # K2, its red line
    return other


@pytest.fixture
def amendment(planner, plan, other_approval) -> Revision:
    """Revision 2 of the first project, copied from its plan in force, K3 deleted."""
    revision = CreateRevision(user=planner, project=plan.project, based_on=plan).execute()
    Feature.objects.filter(layer__revision=revision, attributes__code="K3").delete()
    return revision


def test_superseded_features_are_not_removed_by_the_amendment(plan, other_approval, amendment):
    found = {(c.code or c.kind, c.change) for c in compare.changes(plan, amendment)}
    assert found == {("K3", "removed"), ("K2", "superseded"), ("redlines", "superseded")}


def test_a_superseded_feature_names_the_approval_that_took_it(plan, other_approval, amendment):
    superseded = [c for c in compare.changes(plan, amendment) if c.change == "superseded"]
    assert {c.superseded_by for c in superseded} == {
        compare.SupersededBy(other_approval.pk, "school", "1/QĐ-UBND")
    }


def test_the_api_lists_them_apart(planner, plan, other_approval, amendment):
    client = APIClient()
    client.force_authenticate(planner)
    body = client.get(f"/api/revisions/{amendment.pk}/changes/?against={plan.pk}").json()
    by_change: dict[str, list[dict]] = {}
    for feature in body["features"]:
        by_change.setdefault(feature["properties"]["change"], []).append(feature["properties"])
    assert [p["code"] for p in by_change["removed"]] == ["K3"]
    assert by_change["removed"][0]["superseded_by"] is None
    assert sorted(str(p["code"]) for p in by_change["superseded"]) == ["K2", "None"]
    assert by_change["superseded"][0]["superseded_by"] == {
        "revision": other_approval.pk,
        "project": "school",
        "decision_number": "1/QĐ-UBND",
    }
