"""Deleting an account ends its memberships (cascade); each ending is audited as
`membership.remove`, like an explicit removal, in the deletion's transaction: through the ORM,
the admin site's delete page and its "delete selected" action."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client

from planning.members import VIA_ACCOUNT_DELETION, AddMember, RemoveMember
from planning.models import AuditEvent, Membership, Revision
from tests.conftest import HUE_X, HUE_Y, make_plan, square

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_plan(planner, reviewer) -> Revision:
    lots = [(square(HUE_X, HUE_Y + 1200, 100), {"code": "F1", "function": "DO"})]
    return make_plan(planner, reviewer, "second", lots, approve=False)


@pytest.fixture
def leaver(draft_plan, second_plan, admin_user_t) -> User:
    """Reviewer and approver of the draft's project, reviewer of the second project."""
    user = User.objects.create_user("leaver_t", password="pw-leaver-test")
    for project, role in (
        (draft_plan.project, "reviewer"),
        (draft_plan.project, "approver"),
        (second_plan.project, "reviewer"),
    ):
        AddMember(user=admin_user_t, project=project, username="leaver_t", role=role).execute()
    return user


def removals_of(username: str):
    return AuditEvent.objects.filter(action="membership.remove", detail__member=username).order_by(
        "id"
    )


def expected_removals(user: User) -> list[tuple]:
    return [
        (m.project_id, {"role": m.role, "membership": m.pk, "member": user.username})
        for m in Membership.objects.filter(user=user).order_by("id")
    ]


def recorded(username: str) -> list[tuple]:
    rows = []
    for event in removals_of(username):
        assert event.actor_id is None
        assert event.revision_id is None
        detail = dict(event.detail)
        assert detail.pop("via") == VIA_ACCOUNT_DELETION
        rows.append((event.project_id, detail))
    return rows


def test_deleting_an_account_audits_each_membership_it_ends(leaver):
    expected = expected_removals(leaver)
    assert len(expected) == 3
    leaver.delete()
    assert not Membership.objects.filter(user_id=leaver.pk).exists()
    assert recorded("leaver_t") == expected


def test_the_payload_has_the_shape_of_an_explicit_removal(leaver, admin_user_t):
    membership = Membership.objects.filter(user=leaver).order_by("id").first()
    RemoveMember(user=admin_user_t, membership=membership, via="admin").execute()
    explicit = removals_of("leaver_t").get()
    leaver.delete()
    by_deletion = removals_of("leaver_t").exclude(pk=explicit.pk)
    assert by_deletion.count() == 2
    for event in by_deletion:
        assert event.detail.keys() == explicit.detail.keys()


class Undo(Exception):
    pass


def delete_then_roll_back(user: User) -> int:
    """Deletes `user` in a transaction that is then rolled back; returns the removals the
    transaction saw."""
    try:
        with transaction.atomic():
            user.delete()
            seen = removals_of(user.username).count()
            raise Undo
    except Undo:
        return seen


def test_the_audit_rows_go_with_a_deletion_that_is_rolled_back(leaver):
    pk = leaver.pk
    assert delete_then_roll_back(leaver) == 3  # written in the deletion's transaction
    assert removals_of("leaver_t").count() == 0
    assert Membership.objects.filter(user_id=pk).count() == 3


def test_an_account_without_memberships_leaves_no_removal(outsider):
    before = AuditEvent.objects.count()
    outsider.delete()
    assert AuditEvent.objects.count() == before


def admin_client(admin_user_t) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(admin_user_t)
    return client


def test_the_admin_delete_page_audits_the_removals(leaver, admin_user_t):
    expected = expected_removals(leaver)
    client = admin_client(admin_user_t)
    url = f"/admin/auth/user/{leaver.pk}/delete/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=leaver.pk).exists()
    assert recorded("leaver_t") == expected
    # Who deleted the account: the admin site's own history.
    assert LogEntry.objects.filter(
        user=admin_user_t, object_id=str(leaver.pk), action_flag=DELETION
    ).exists()


def test_the_admin_delete_selected_action_audits_the_removals(leaver, admin_user_t):
    expected = expected_removals(leaver)
    response = admin_client(admin_user_t).post(
        "/admin/auth/user/",
        {"action": "delete_selected", "_selected_action": [leaver.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not User.objects.filter(pk=leaver.pk).exists()
    assert recorded("leaver_t") == expected
