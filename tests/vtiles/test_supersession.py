"""Lots another project's approval superseded leave every service: vector tiles, WFS-style
feature types and the public cached map source (the in-force view)."""

from __future__ import annotations

import pytest

from planning.actions import ApproveRevision, CreateProject, CreateRevision, SubmitRevision
from planning.models import Feature, Layer, Membership, Project
from tests.conftest import HUE_X, HUE_Y, square
from tests.vtiles.test_vector_tiles import decode, features_by_code, get_tile
from tiles.feature_types import feature_type, features_of

pytestmark = pytest.mark.django_db


def approve_overlapping_plan(planner, reviewer) -> None:
    """A second project whose lot C1 covers lot A1 of the plan in force."""
    project = CreateProject(
        user=planner, code="overlap", name="Khu chồng lấn", level=Project.Level.DETAILED, scale=500
    ).execute()
    Membership.objects.create(project=project, user=reviewer, role=Membership.Role.APPROVER)
    revision = CreateRevision(user=planner, project=project).execute()
    layer = Layer.objects.create(revision=revision, kind="landuse", name="Lots", created_by=planner)
    Feature.objects.create(
        layer=layer,
        geom=square(HUE_X, HUE_Y, 100),
        attributes={"code": "C1", "function": "GD"},
        category="GD",
    )
    SubmitRevision(user=planner, revision=revision).execute()
    ApproveRevision(
        user=reviewer, revision=revision, decision_number="3/QĐ", supersede_overlaps=True
    ).execute()


def test_superseded_lot_leaves_vector_tiles_and_feature_services(
    client, plan_in_force, planner, reviewer
):
    before = features_by_code(decode(get_tile(client, "plans", HUE_X + 50, HUE_Y + 50)[0].content))
    assert set(before) == {"A1", "A2"}
    approve_overlapping_plan(planner, reviewer)
    after = features_by_code(decode(get_tile(client, "plans", HUE_X + 50, HUE_Y + 50)[0].content))
    assert set(after) == {"A2", "C1"}
    landuse = feature_type("landuse", None)
    assert set(features_of(landuse, None).values_list("attributes__code", flat=True)) == {
        "A2",
        "C1",
    }
