"""DELETE /api/layers/{id}/: a wrong or duplicate layer leaves a draft with its features,
for the project's planners and staff only, while the revision is a draft, audited; others
get 404 (cannot see it), 403 (may see, may not edit) or 409 (no longer a draft)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from rest_framework.test import APIClient

from planning.actions import CreateProject, CreateRevision, SubmitRevision
from planning.models import (
    AuditEvent,
    Comment,
    Feature,
    Layer,
    Membership,
    Project,
    QAFinding,
    Revision,
)
from tests.conftest import HUE_X, HUE_Y, square

pytestmark = pytest.mark.django_db


def api(user: User | None) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_authenticate(user)
    return client


def delete(user: User | None, layer: Layer):
    return api(user).delete(f"/api/layers/{layer.pk}/")


def add_layer(revision: Revision, user: User, name: str = "Duplicate", lots: int = 2) -> Layer:
    layer = Layer.objects.create(
        revision=revision, kind="landuse", name=name, created_by=user, feature_count=lots
    )
    Feature.objects.bulk_create(
        Feature(layer=layer, geom=square(HUE_X + 20 * i, HUE_Y, 10), attributes={"code": f"D{i}"})
        for i in range(lots)
    )
    return layer


def test_a_planner_removes_a_layer_of_the_draft_with_its_features(planner, draft_plan):
    keep = draft_plan.layers.get()
    wrong = add_layer(draft_plan, planner)
    lot = Feature.objects.filter(layer=wrong).first()
    QAFinding.objects.create(
        revision=draft_plan,
        rule="geometry.invalid",
        severity="error",
        feature_id=lot.pk,
        geom=lot.geom,
    )
    comment = Comment.objects.create(
        revision=draft_plan, author=planner, body="this lot?", feature_id=lot.pk, geom=lot.geom
    )

    response = delete(planner, wrong)

    assert response.status_code == 204, response.content
    assert list(draft_plan.layers.all()) == [keep]
    assert not Feature.objects.filter(layer_id=wrong.pk).exists()
    assert Feature.objects.filter(layer=keep).count() == 1
    assert not QAFinding.objects.filter(feature_id=lot.pk).exists()
    comment.refresh_from_db()
    assert comment.feature_id is None
    assert comment.geom is not None  # still on the map
    event = AuditEvent.objects.get(action="layer.remove")
    assert (event.actor, event.revision_id, event.project_id) == (
        planner,
        draft_plan.pk,
        draft_plan.project_id,
    )
    assert event.detail["layer"] == wrong.pk
    assert event.detail["name"] == "Duplicate"
    assert event.detail["features"] == 2
    features = api(planner).get(f"/api/features/?revision={draft_plan.pk}").json()["features"]
    assert [f["properties"].get("code") for f in features] == ["B1"]  # gone from the service
    assert delete(planner, wrong).status_code == 404  # once


def test_a_planner_of_another_project_does_not_see_it(planner, draft_plan):
    other = User.objects.create_user("planner_other", password="x")
    project = CreateProject(
        user=planner, code="other", name="Other", level=Project.Level.DETAILED, scale=500
    ).execute()
    Membership.objects.create(project=project, user=other, role=Membership.Role.PLANNER)
    layer = draft_plan.layers.get()
    response = delete(other, layer)
    assert response.status_code == 404
    assert response.json()["detail"] == "No such layer."
    assert Layer.objects.filter(pk=layer.pk).exists()


def test_a_reviewer_of_a_submitted_revision_may_not(planner, reviewer, draft_plan):
    layer = draft_plan.layers.get()
    SubmitRevision(user=planner, revision=draft_plan).execute()
    response = delete(reviewer, layer)
    assert response.status_code == 403
    assert "planners" in response.json()["detail"]
    assert Layer.objects.filter(pk=layer.pk).exists()
    assert not AuditEvent.objects.filter(action="layer.remove").exists()


def test_a_reviewer_does_not_see_a_draft(reviewer, draft_plan):
    assert delete(reviewer, draft_plan.layers.get()).status_code == 404


def test_a_submitted_revision_keeps_its_layers(planner, draft_plan):
    layer = draft_plan.layers.get()
    SubmitRevision(user=planner, revision=draft_plan).execute()
    response = delete(planner, layer)
    assert response.status_code == 409
    assert "only from a draft" in response.json()["detail"]
    assert Feature.objects.filter(layer=layer).count() == 1


def test_a_plan_in_force_is_not_editable_by_anyone(planner, admin_user_t, plan_in_force):
    layer = plan_in_force.layers.get()
    assert delete(admin_user_t, layer).status_code == 409
    assert delete(None, layer).status_code in (401, 403)  # anonymous: signed-in users only
    assert Layer.objects.filter(pk=layer.pk).exists()


def test_staff_may_remove_from_any_draft(planner, admin_user_t, draft_plan):
    wrong = add_layer(draft_plan, planner)
    assert delete(admin_user_t, wrong).status_code == 204
    assert AuditEvent.objects.get(action="layer.remove").actor == admin_user_t


def test_a_layer_of_a_new_draft_answering_changes_is_removable(planner, draft_plan):
    """Layers copied into an answer (CreateRevision(based_on=…)) are the draft's own."""
    SubmitRevision(user=planner, revision=draft_plan).execute()
    Revision.objects.filter(pk=draft_plan.pk).update(state="changes_requested")
    answer = CreateRevision(user=planner, project=draft_plan.project, based_on=draft_plan).execute()
    copied = answer.layers.get()
    assert delete(planner, copied).status_code == 204
    assert Layer.objects.filter(revision=draft_plan).count() == 1  # the original stays
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM planning_feature WHERE layer_id = %s", [copied.pk])
        assert cursor.fetchone()[0] == 0
