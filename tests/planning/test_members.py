"""Project memberships: who may assign the board (staff), what a new member then sees and
does, the audit record of every change, manage.py project_members, the admin site and the
members panel of the project page."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from planning.actions import SubmitRevision
from planning.models import AuditEvent, Membership, Project, Revision, RevisionState
from tests.conftest import HUE_X, HUE_Y, make_plan, square

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def staff(db) -> User:
    return User.objects.create_user("staff_t", password="pw-staff-test", is_staff=True)


@pytest.fixture
def board(db) -> User:
    """A reviewer-to-be: not yet a member of any project."""
    return User.objects.create_user("board_t", password="pw-board-test", email="b@example.vn")


@pytest.fixture
def submitted(planner, reviewer) -> Revision:
    """A new project (qa-plan2) whose first revision awaits review."""
    lots = [(square(HUE_X, HUE_Y + 600, 100), {"code": "C1", "function": "DO"})]
    revision = make_plan(planner, reviewer, "qa-plan2", lots, approve=False)
    return SubmitRevision(user=planner, revision=revision).execute()


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def members_url(project: Project, membership: Membership | None = None) -> str:
    url = f"/api/projects/{project.pk}/members/"
    return f"{url}{membership.pk}/" if membership else url


def audited(action: str, project: Project) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, project=project).order_by("id"))


# --- API: the permission matrix -------------------------------------------------------------


def test_staff_adds_a_reviewer_who_then_sees_and_reviews_the_submitted_revision(
    staff, board, submitted
):
    project = submitted.project
    assert api(board).get(f"/api/revisions/{submitted.pk}/").status_code == 404
    assert api(board).get(members_url(project)).status_code == 404

    response = api(staff).post(
        members_url(project), {"username": "board_t", "role": "reviewer"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["username"] == "board_t"
    assert response.json()["role"] == "reviewer"

    assert api(board).get(f"/api/revisions/{submitted.pk}/").status_code == 200
    started = api(board).post(f"/api/revisions/{submitted.pk}/start-review/", {}, format="json")
    assert started.status_code == 200, started.content
    assert started.json()["state"] == RevisionState.IN_REVIEW
    [event] = audited("membership.add", project)
    assert event.actor == staff
    assert event.detail["member"] == "board_t"
    assert event.detail["role"] == "reviewer"
    assert event.detail["membership"] == response.json()["id"]


def test_members_see_the_list_but_only_staff_change_it(planner, reviewer, board, submitted):
    project = submitted.project
    listing = api(planner).get(members_url(project))
    assert listing.status_code == 200
    assert {(m["username"], m["role"]) for m in listing.json()["members"]} == {
        ("planner_t", "planner"),
        ("reviewer_t", "reviewer"),
        ("reviewer_t", "approver"),
    }
    assert listing.json()["awaiting_without_approver"] == []
    for user in (planner, reviewer):  # reviewer_t is the project's approver too
        added = api(user).post(
            members_url(project), {"username": "board_t", "role": "planner"}, format="json", **EN
        )
        assert added.status_code == 403
        assert "administrators" in added.json()["detail"]
    approver = project.memberships.get(user=reviewer, role="approver")
    assert api(planner).delete(members_url(project, approver)).status_code == 403
    patched = api(planner).patch(members_url(project, approver), {"role": "planner"})
    assert patched.status_code == 403
    assert not Membership.objects.filter(user=board).exists()
    assert project.memberships.filter(role="approver").exists()
    assert not AuditEvent.objects.filter(action__startswith="membership.").exists()


def test_outsiders_and_anonymous_get_404_for_a_project_they_cannot_see(outsider, staff, submitted):
    project = submitted.project
    membership = project.memberships.first()
    for client in (api(outsider), api()):
        assert client.get(members_url(project)).status_code == 404
        posted = client.post(members_url(project), {"username": "outsider_t", "role": "approver"})
        assert posted.status_code == 404
        assert client.delete(members_url(project, membership)).status_code == 404
        patched = client.patch(members_url(project, membership), {"role": "planner"})
        assert patched.status_code == 404
    assert project.memberships.count() == 3
    assert api(staff).get("/api/projects/999999/members/").status_code == 404


def test_a_public_project_lists_its_members_to_members_only(outsider, plan_in_force):
    url = members_url(plan_in_force.project)
    assert api(outsider).get(f"/api/projects/{plan_in_force.project.pk}/").status_code == 200
    assert api(outsider).get(url).status_code == 403
    assert api().get(url).status_code == 401


def test_unknown_user_duplicate_and_bad_role_are_refused_clearly(staff, board, submitted):
    project = submitted.project
    url = members_url(project)
    unknown = api(staff).post(url, {"username": "nobody", "role": "reviewer"}, **EN)
    assert unknown.status_code == 400
    assert unknown.json()["detail"] == "No account with the username “nobody”."
    duplicate = api(staff).post(url, {"username": "reviewer_t", "role": "approver"}, **EN)
    assert duplicate.status_code == 409
    assert (
        duplicate.json()["detail"] == "“reviewer_t” already has the role Approver in this project."
    )
    bad_role = api(staff).post(url, {"username": "board_t", "role": "chair"}, **EN)
    assert bad_role.status_code == 400
    board.is_active = False
    board.save()
    inactive = api(staff).post(url, {"username": "board_t", "role": "reviewer"}, **EN)
    assert inactive.status_code == 400
    assert "deactivated" in inactive.json()["detail"]
    assert project.memberships.count() == 3


def test_changing_a_role_is_audited_and_refuses_a_duplicate(staff, planner, submitted):
    project = submitted.project
    planning_role = project.memberships.get(user=planner)
    changed = api(staff).patch(members_url(project, planning_role), {"role": "reviewer"}, **EN)
    assert changed.status_code == 200
    assert changed.json()["role"] == "reviewer"
    [event] = audited("membership.change", project)
    assert (event.detail["previous_role"], event.detail["role"]) == ("planner", "reviewer")
    reviewer_role = project.memberships.get(role="reviewer", user__username="reviewer_t")
    clash = api(staff).patch(members_url(project, reviewer_role), {"role": "approver"}, **EN)
    assert clash.status_code == 409
    assert project.memberships.filter(user__username="reviewer_t").count() == 2


def test_removing_the_last_approver_is_allowed_and_warned(staff, reviewer, submitted):
    project = submitted.project
    approver = project.memberships.get(user=reviewer, role="approver")
    removed = api(staff).delete(members_url(project, approver))
    assert removed.status_code == 200
    assert removed.json()["awaiting_without_approver"] == [submitted.pk]
    assert "approver" not in {m["role"] for m in removed.json()["members"]}
    [event] = audited("membership.remove", project)
    assert (event.detail["member"], event.detail["role"]) == ("reviewer_t", "approver")
    refused = api(reviewer).post(
        f"/api/revisions/{submitted.pk}/approve/", {"decision_number": "5/QĐ"}, format="json"
    )
    assert refused.status_code == 403  # still a reviewer, no longer an approver
    assert api(staff).delete(members_url(project, approver)).status_code == 404  # gone


def test_a_membership_of_another_project_is_not_found_here(staff, submitted, plan_in_force):
    other = plan_in_force.project.memberships.first()
    response = api(staff).delete(members_url(submitted.project, other))
    assert response.status_code == 404
    assert Membership.objects.filter(pk=other.pk).exists()


def test_removing_a_reviewer_hides_the_submitted_revision_again(staff, board, submitted):
    project = submitted.project
    added = api(staff).post(members_url(project), {"username": "board_t", "role": "reviewer"})
    membership = Membership.objects.get(pk=added.json()["id"])
    assert api(board).get(f"/api/revisions/{submitted.pk}/").status_code == 200
    api(staff).delete(members_url(project, membership))
    assert api(board).get(f"/api/revisions/{submitted.pk}/").status_code == 404


def test_openapi_documents_the_members_endpoints(client):
    paths = api().get("/api/schema/?format=json").json()["paths"]
    listing = paths["/api/projects/{project_id}/members/"]
    assert {"get", "post"} <= set(listing)
    member = paths["/api/projects/{project_id}/members/{membership_id}/"]
    assert {"patch", "delete"} <= set(member)
    assert "200" in member["delete"]["responses"]


# --- manage.py project_members --------------------------------------------------------------


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("project_members", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_adds_lists_and_removes_members(admin_user_t, board, submitted):
    project = submitted.project
    out, _ = run("qa-plan2", "--add", "board_t", "reviewer", "--add", "board_t", "approver")
    assert "2 added" in out
    assert set(project.memberships.filter(user=board).values_list("role", flat=True)) == {
        "reviewer",
        "approver",
    }
    events = audited("membership.add", project)
    assert [e.detail["via"] for e in events] == ["manage.py", "manage.py"]
    assert {e.actor for e in events} == {admin_user_t}

    out, _ = run(str(project.pk), "--list")  # the id works too
    assert "board_t\treviewer" in out.splitlines()
    assert out.splitlines()[0] == "planner_t\tplanner"

    run("qa-plan2", "--remove", "board_t", "approver")
    assert not project.memberships.filter(user=board, role="approver").exists()
    assert audited("membership.remove", project)[0].detail["member"] == "board_t"


def test_command_changes_nothing_when_one_change_fails(admin_user_t, board, submitted):
    with pytest.raises(CommandError, match="No account with the username “ghost”"):
        run("qa-plan2", "--add", "board_t", "reviewer", "--add", "ghost", "reviewer")
    assert not Membership.objects.filter(user=board).exists()
    with pytest.raises(CommandError, match="has no role"):
        run("qa-plan2", "--remove", "board_t", "approver")
    with pytest.raises(CommandError, match="No project"):
        run("no-such-project", "--list")
    assert not AuditEvent.objects.filter(action__startswith="membership.").exists()


def test_command_records_the_named_admin_and_warns_without_approver(
    admin_user_t, staff, outsider, submitted
):
    with pytest.raises(CommandError, match="no active staff account"):
        run("qa-plan2", "--by", "outsider_t", "--remove", "reviewer_t", "approver")
    out, err = run("qa-plan2", "--by", "staff_t", "--remove", "reviewer_t", "approver")
    assert "1 removed" in out
    assert "no active approver" in err
    assert f"revisions {submitted.number}" in err
    [event] = audited("membership.remove", submitted.project)
    assert event.actor == staff


# --- the admin site --------------------------------------------------------------------------


ADMIN_PAGES = [
    "project",
    "revision",
    "layer",
    "membership",
    "landusecategory",
    "mappingpreset",
    "auditevent",
]


def test_admin_changelists_and_views_load_for_a_superuser(admin_user_t, submitted, staff):
    api(staff).post(members_url(submitted.project), {"username": "staff_t", "role": "reviewer"})
    client = Client()
    client.force_login(admin_user_t)
    for model in ADMIN_PAGES:
        response = client.get(f"/admin/planning/{model}/")
        assert response.status_code == 200, model
    event = AuditEvent.objects.filter(project=submitted.project).first()
    assert client.get(f"/admin/planning/auditevent/{event.pk}/change/").status_code == 200
    assert client.get(f"/admin/planning/revision/{submitted.pk}/change/").status_code == 200
    assert client.get(f"/admin/planning/project/{submitted.project.pk}/change/").status_code == 200
    assert b"qa-plan2" in client.get("/admin/planning/membership/").content


def test_audit_events_cannot_be_added_changed_or_deleted_in_the_admin(admin_user_t, submitted):
    request = RequestFactory().get("/admin/")
    request.user = admin_user_t
    audit_admin = admin.site._registry[AuditEvent]
    assert not audit_admin.has_add_permission(request)
    assert not audit_admin.has_change_permission(request)
    assert not audit_admin.has_delete_permission(request)
    assert "delete_selected" not in audit_admin.get_actions(request)
    client = Client()
    client.force_login(admin_user_t)
    event = AuditEvent.objects.filter(project=submitted.project).first()
    assert client.get("/admin/planning/auditevent/add/").status_code == 403
    assert client.post(f"/admin/planning/auditevent/{event.pk}/delete/").status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_admin_membership_changes_go_through_the_audited_actions(admin_user_t, board, submitted):
    client = Client()
    client.force_login(admin_user_t)
    project = submitted.project
    response = client.post(
        "/admin/planning/membership/add/",
        {"project": project.pk, "user": board.pk, "role": "reviewer"},
    )
    assert response.status_code == 302, response.content
    membership = project.memberships.get(user=board)
    [added] = audited("membership.add", project)
    assert added.detail["via"] == "admin"
    changed = client.post(
        f"/admin/planning/membership/{membership.pk}/change/", {"role": "approver"}
    )
    assert changed.status_code == 302, changed.content
    [change] = audited("membership.change", project)
    assert (change.detail["previous_role"], change.detail["role"]) == ("reviewer", "approver")
    response = client.post(f"/admin/planning/membership/{membership.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not project.memberships.filter(user=board).exists()
    assert audited("membership.remove", project)[0].detail["membership"] == membership.pk
    assert client.get("/admin/planning/project/add/").status_code == 403
    edited = client.post(
        f"/admin/planning/project/{project.pk}/change/",
        {"name": "Quy hoạch chi tiết khu B", "level": "detailed", "scale": 500},
    )
    assert edited.status_code == 302, edited.content
    [update] = audited("project.update", project)
    assert update.detail["fields"] == ["name"]
    assert Project.objects.get(pk=project.pk).code == "qa-plan2"
    assert client.post(f"/admin/planning/project/{project.pk}/delete/").status_code == 403


# --- the members panel of the project page ---------------------------------------------------


def page(user, project: Project, data: dict | None = None, **headers):
    client = Client()
    client.force_login(user)
    url = f"/projects/{project.pk}/"
    return client.post(url, data, **headers) if data is not None else client.get(url, **headers)


def test_panel_lists_members_to_members_and_offers_changes_to_staff(
    planner, staff, outsider, submitted, plan_in_force
):
    shown = page(planner, submitted.project, **EN).content.decode()
    assert 'id="members"' in shown
    assert 'data-member="reviewer_t"' in shown
    assert "data-member-add" not in shown  # planners do not assign the board
    managed = page(staff, submitted.project, **EN).content.decode()
    assert "data-member-add" in managed
    assert 'name="csrfmiddlewaretoken"' in managed
    public = page(outsider, plan_in_force.project).content.decode()
    assert 'id="members"' not in public
    assert 'data-member="reviewer_t"' not in public


def test_panel_adds_changes_and_removes_with_clear_messages(staff, board, submitted):
    project = submitted.project
    added = page(staff, project, {"op": "add", "username": "board_t", "role": "reviewer"}, **EN)
    assert added.status_code == 302
    assert project.memberships.filter(user=board, role="reviewer").exists()
    unknown = page(staff, project, {"op": "add", "username": "ghost", "role": "reviewer"}, **EN)
    assert unknown.status_code == 400
    assert "No account with the username “ghost”." in unknown.content.decode()
    duplicate = page(staff, project, {"op": "add", "username": "board_t", "role": "reviewer"}, **EN)
    assert duplicate.status_code == 409
    assert "already has the role Reviewer" in duplicate.content.decode()

    membership = project.memberships.get(user=board)
    changed = page(
        staff, project, {"membership": membership.pk, "role": "approver", "op": "change"}
    )
    assert changed.status_code == 302
    membership.refresh_from_db()
    assert membership.role == "approver"
    approver = project.memberships.get(user__username="reviewer_t", role="approver")
    page(staff, project, {"membership": approver.pk, "op": "remove"})
    page(staff, project, {"membership": membership.pk, "op": "remove"})
    warned = page(staff, project, **EN).content.decode()
    assert "data-no-approver" in warned
    assert "Nobody can approve" in warned
    assert {
        e.action for e in AuditEvent.objects.filter(project=project, action__startswith="member")
    } == {"membership.add", "membership.change", "membership.remove"}


def test_panel_refuses_non_staff_and_requests_without_csrf_token(planner, staff, submitted):
    project = submitted.project
    refused = page(planner, project, {"op": "add", "username": "planner_t", "role": "approver"})
    assert refused.status_code == 403
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    forged = client.post(
        f"/projects/{project.pk}/", {"op": "add", "username": "staff_t", "role": "approver"}
    )
    assert forged.status_code == 403
    assert not project.memberships.filter(user=staff).exists()
    assert not project.memberships.filter(user=planner, role="approver").exists()
