"""The audit log is append-only in the database (migration 0009), not only by convention."""

import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError, connection, transaction

from planning.audit import audit, audit_purge
from planning.models import AuditEvent, Project, Revision

pytestmark = pytest.mark.django_db


def _refused(call) -> str:
    with pytest.raises(DatabaseError) as refused, transaction.atomic():
        call()
    return str(refused.value)


def test_editing_or_deleting_an_event_is_refused(draft_plan):
    event = AuditEvent.objects.filter(revision=draft_plan).first()
    assert event is not None
    message = _refused(lambda: AuditEvent.objects.filter(pk=event.pk).update(action="x"))
    assert "append-only" in message
    assert "UPDATE" in message
    assert "append-only" in _refused(lambda: AuditEvent.objects.filter(pk=event.pk).delete())

    def raw_sql():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE planning_auditevent SET detail = '{}' WHERE id = %s", [event.pk])

    assert "append-only" in _refused(raw_sql)
    event.refresh_from_db()
    assert event.action != "x"


def test_removing_the_actor_keeps_the_event_without_a_name(draft_plan, planner):
    ghost = User.objects.create_user("ghost", password="pw-ghost-test")
    audit(ghost, "test.ghost", project=draft_plan.project, note="kept")
    event = AuditEvent.objects.get(action="test.ghost")
    ghost.delete()
    event.refresh_from_db()
    assert event.actor_id is None
    assert event.detail == {"note": "kept"}

    def rename_to_planner():  # setting another actor is editing history
        AuditEvent.objects.filter(pk=event.pk).update(actor=planner)

    assert "append-only" in _refused(rename_to_planner)


def test_a_project_goes_with_its_events_only_in_a_declared_purge(draft_plan):
    project = draft_plan.project
    assert AuditEvent.objects.filter(project=project).exists()
    assert "append-only" in _refused(lambda: Project.objects.filter(pk=project.pk).delete())
    assert Project.objects.filter(pk=project.pk).exists()
    with audit_purge():
        Project.objects.filter(pk=project.pk).delete()
    assert not Project.objects.filter(pk=project.pk).exists()
    assert not Revision.objects.filter(pk=draft_plan.pk).exists()
    assert not AuditEvent.objects.filter(project_id=project.pk).exists()


def test_the_purge_ends_with_its_block(plan_in_force, draft_plan):
    with audit_purge():
        Revision.objects.filter(pk=draft_plan.pk).delete()
    events = AuditEvent.objects.filter(revision=plan_in_force)
    assert events.exists()
    assert "append-only" in _refused(lambda: events.delete())
