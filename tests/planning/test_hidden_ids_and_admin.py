"""Second security review, S6–S8: a hidden project or revision answers like a nonexistent id
when a revision is created; memberships on the admin site need Django's model permissions,
not just the staff flag; a planner removed from a project no longer reads the reports of the
draft's jobs they started."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from rest_framework.test import APIClient

from planning.members import RemoveMember
from planning.models import AuditEvent, Job, Membership, Revision
from tests.conftest import HUE_X, HUE_Y, make_plan, square

pytestmark = pytest.mark.django_db

NONEXISTENT = 10**9


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


@pytest.fixture
def other_draft(reviewer) -> Revision:
    """A draft of another planner's project: hidden from `planner` and `outsider`."""
    author = User.objects.create_user("other_planner_t", password="pw-other-test")
    author.user_permissions.add(Permission.objects.get(codename="add_project"))
    author = User.objects.get(pk=author.pk)
    lots = [(square(HUE_X, HUE_Y + 900, 100), {"code": "H1", "function": "DO"})]
    return make_plan(author, reviewer, "hidden", lots, approve=False)


def refusal(response) -> tuple[int, str]:
    """Status and message, the id the caller sent left out (it is echoed back)."""
    return response.status_code, re.sub(r"\d+", "N", str(response.json()))


# --- S7: creating a revision does not confirm hidden ids -----------------------------------


def test_a_hidden_project_is_refused_like_a_nonexistent_one(outsider, other_draft):
    client = api(outsider)
    hidden = client.post("/api/revisions/", {"project": other_draft.project_id})
    missing = client.post("/api/revisions/", {"project": NONEXISTENT})
    assert hidden.status_code == 400, hidden.content
    assert refusal(hidden) == refusal(missing)
    assert "does not exist" in str(hidden.json())
    assert other_draft.project.revisions.count() == 1


def test_a_hidden_based_on_is_refused_like_a_nonexistent_one(planner, draft_plan, other_draft):
    client = api(planner)
    body = {"project": draft_plan.project_id}
    hidden = client.post("/api/revisions/", {**body, "based_on": other_draft.pk})
    missing = client.post("/api/revisions/", {**body, "based_on": NONEXISTENT})
    assert hidden.status_code == 400, hidden.content
    assert refusal(hidden) == refusal(missing)
    assert draft_plan.project.revisions.count() == 1


def test_visible_ids_keep_their_own_answers(planner, outsider, draft_plan, plan_in_force):
    """A published project the caller may not plan is a 403; an answer to another
    project's revision a 400 saying so; an answer to a visible draft is created."""
    refused = api(outsider).post("/api/revisions/", {"project": plan_in_force.project_id})
    assert refused.status_code == 403
    assert "planners" in refused.json()["detail"]
    across = api(planner).post(
        "/api/revisions/", {"project": draft_plan.project_id, "based_on": plan_in_force.pk}
    )
    assert across.status_code == 400
    assert "same project" in str(across.json())
    answer = api(planner).post(
        "/api/revisions/", {"project": draft_plan.project_id, "based_on": draft_plan.pk}
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["based_on"] == draft_plan.pk


# --- S6: the admin site's memberships need model permissions --------------------------------


def staff_client(*permissions: str) -> tuple[Client, User]:
    user = User.objects.create_user("staff_t", password="pw-staff-test", is_staff=True)
    for codename in permissions:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client, user


def test_a_bare_staff_account_cannot_name_itself_approver(draft_plan):
    client, staff = staff_client()
    project = draft_plan.project
    assert client.get("/admin/planning/membership/").status_code == 403
    assert client.get("/admin/planning/membership/add/").status_code == 403
    response = client.post(
        "/admin/planning/membership/add/",
        {"project": project.pk, "user": staff.pk, "role": "approver"},
    )
    assert response.status_code == 403
    assert not project.memberships.filter(user=staff).exists()
    existing = project.memberships.first()
    url = f"/admin/planning/membership/{existing.pk}/"
    assert client.post(f"{url}change/", {"role": "approver"}).status_code == 403
    assert client.post(f"{url}delete/", {"post": "yes"}).status_code == 403
    assert Membership.objects.filter(pk=existing.pk, role=existing.role).exists()


def test_staff_with_the_permissions_change_memberships_audited(draft_plan, outsider):
    client, staff = staff_client(
        "view_membership", "add_membership", "change_membership", "delete_membership"
    )
    project = draft_plan.project
    assert client.get("/admin/planning/membership/").status_code == 200
    response = client.post(
        "/admin/planning/membership/add/",
        {"project": project.pk, "user": outsider.pk, "role": "reviewer"},
    )
    assert response.status_code == 302, response.content
    membership = project.memberships.get(user=outsider)
    event = AuditEvent.objects.get(action="membership.add", project=project)
    assert (event.actor, event.detail["via"]) == (staff, "admin")
    deleted = client.post(f"/admin/planning/membership/{membership.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert AuditEvent.objects.filter(action="membership.remove", project=project).exists()


def test_only_viewing_is_only_viewing(draft_plan):
    client, _ = staff_client("view_membership")
    assert client.get("/admin/planning/membership/").status_code == 200
    assert client.get("/admin/planning/membership/add/").status_code == 403


# --- S8: job reports follow the job's revision ---------------------------------------------


def test_a_removed_planner_no_longer_reads_their_drafts_job(
    planner, draft_plan, plan_in_force, admin_user_t
):
    draft_job = Job.objects.create(
        kind="cad_import", user=planner, revision=draft_plan, message="draft.dxf: 2 layers"
    )
    published_job = Job.objects.create(kind="cad_import", user=planner, revision=plan_in_force)
    own_job = Job.objects.create(kind="cad_inspect", user=planner)
    client = api(planner)
    assert client.get(f"/api/jobs/{draft_job.pk}/").status_code == 200
    for membership in draft_plan.project.memberships.filter(user=planner):
        RemoveMember(user=admin_user_t, membership=membership).execute()
    for membership in plan_in_force.project.memberships.filter(user=planner):
        RemoveMember(user=admin_user_t, membership=membership).execute()
    gone = client.get(f"/api/jobs/{draft_job.pk}/")
    assert gone.status_code == 404
    assert b"draft.dxf" not in gone.content
    assert client.post(f"/api/jobs/{draft_job.pk}/cancel/").status_code == 404
    # Still theirs: a job without a revision, and one of a revision everyone may see.
    assert client.get(f"/api/jobs/{own_job.pk}/").status_code == 200
    assert client.get(f"/api/jobs/{published_job.pk}/").status_code == 200
    assert api(admin_user_t).get(f"/api/jobs/{draft_job.pk}/").status_code == 200


def test_staff_still_see_a_drafts_job(planner, draft_plan):
    staff = User.objects.create_user("staff_job_t", password="pw-staff-test", is_staff=True)
    job = Job.objects.create(kind="cad_import", user=planner, revision=draft_plan)
    assert api(staff).get(f"/api/jobs/{job.pk}/").status_code == 200
