"""A revision that does not build on its project's plan in force cannot be put in force over
it (planning/staleness.py): a sibling draft of the plan, after the other was approved, a draft
started empty while a plan is in force, a copy of a superseded revision. Submitting, starting
the review, reopening and approving it are refused with 409 naming both revisions; the board
may still send it back or reject it. Answers to a change request still build on the plan."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.contrib.gis.geos import LineString
from rest_framework.test import APIClient

from planning import staleness, visibility
from planning.actions import (
    ApproveRevision,
    CreateRevision,
    RejectRevision,
    ReopenRevision,
    RequestChanges,
    StartReview,
    SubmitRevision,
    WithdrawRevision,
)
from planning.errors import Conflict
from planning.models import AuditEvent, Feature, Layer, Revision, RevisionState
from tests.conftest import HUE_X, HUE_Y, make_plan, run_twice_overlapping, square

pytestmark = pytest.mark.django_db
S = RevisionState
LOTS = [(square(HUE_X, HUE_Y, 100), {"code": "L1", "function": "DO"})]


def api(user: User) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def approve(user: User, revision: Revision) -> Revision:
    return ApproveRevision(user=user, revision=revision, decision_number="7/QĐ-UBND").execute()


def put_in_force(planner: User, approver: User, revision: Revision) -> Revision:
    SubmitRevision(user=planner, revision=revision).execute()
    return approve(approver, revision)


def sibling(planner: User, based_on: Revision | None, project=None) -> Revision:
    project = project or based_on.project  # type: ignore[union-attr]
    return CreateRevision(user=planner, project=project, based_on=based_on).execute()


@pytest.fixture
def in_force_with_red_lines(planner, reviewer) -> Revision:
    """Revision 1 in force: lots and a red line (the layer the QA walk removed)."""
    draft = make_plan(planner, reviewer, "stale", LOTS, approve=False)
    red = Layer.objects.create(
        revision=draft, kind="redlines", name="Chỉ giới", created_by=planner, feature_count=1
    )
    line = LineString((HUE_X, HUE_Y - 10), (HUE_X + 100, HUE_Y - 10))  # the storage CRS
    Feature.objects.create(layer=red, geom=line, attributes={"type": "red line"})
    return put_in_force(planner, reviewer, draft)


def in_force_red_lines(project_id: int) -> int:
    features = visibility.in_force_features().filter(layer__revision__project_id=project_id)
    return features.filter(layer__kind="redlines").count()


def test_the_qa_walk_a_sibling_cannot_undo_the_approved_one(
    planner, reviewer, in_force_with_red_lines
):
    """Drafts A and B of the plan in force; A removes the red lines and is approved; B's
    approval and a third sibling's submission are refused: A's change stays in force."""
    plan = in_force_with_red_lines
    planner_api, board_api = api(planner), api(reviewer)
    created = [
        planner_api.post(
            "/api/revisions/", {"project": plan.project_id, "based_on": plan.pk}, format="json"
        )
        for _ in range(3)
    ]
    assert [r.status_code for r in created] == [201, 201, 201]
    a, b, c = (Revision.objects.get(pk=r.json()["id"]) for r in created)
    red_of_a = a.layers.get(kind="redlines")
    assert planner_api.delete(f"/api/layers/{red_of_a.pk}/").status_code == 204
    for revision in (a, b):
        assert planner_api.post(f"/api/revisions/{revision.pk}/submit/").status_code == 200
    decision = {"decision_number": "12/QĐ-UBND"}
    answer = board_api.post(f"/api/revisions/{a.pk}/approve/", decision, format="json")
    assert answer.status_code == 200, answer.content
    assert in_force_red_lines(plan.project_id) == 0
    audited = AuditEvent.objects.count()

    refused = board_api.post(f"/api/revisions/{b.pk}/approve/", decision, format="json")

    assert refused.status_code == 409, refused.content
    assert refused.json()["detail"] == (
        f"Revision {b.number} was prepared on revision {plan.number}, but revision {a.number} "
        f"is now the plan in force; approving it would undo revision {a.number}. Prepare a "
        f"new revision on revision {a.number}."
    )
    assert refused.json()["plan_in_force"] == {"id": a.pk, "number": a.number}
    refused_submission = planner_api.post(f"/api/revisions/{c.pk}/submit/")
    assert refused_submission.status_code == 409, refused_submission.content
    assert f"revision {a.number} is now the plan in force" in refused_submission.json()["detail"]
    refused_review = board_api.post(f"/api/revisions/{b.pk}/start-review/")
    assert refused_review.status_code == 409
    b.refresh_from_db()
    c.refresh_from_db()
    assert (b.state, c.state) == (S.SUBMITTED, S.DRAFT)
    assert AuditEvent.objects.count() == audited  # refusals leave no trace in the log
    assert in_force_red_lines(plan.project_id) == 0  # A's change is still in force
    assert visibility.in_force_revisions().get(project_id=plan.project_id) == a


def test_a_revision_started_empty_cannot_replace_the_plan_in_force(planner, reviewer):
    plan = make_plan(planner, reviewer, "empty", LOTS, approve=True)
    empty = sibling(planner, None, plan.project)
    Layer.objects.create(revision=empty, kind="landuse", name="Lots", created_by=planner)
    with pytest.raises(Conflict) as submission:
        SubmitRevision(user=planner, revision=empty).execute()
    assert submission.value.message == (
        f"Revision {empty.number} was not prepared on revision {plan.number}, the plan in "
        f"force; approving it would undo revision {plan.number}. Prepare a new revision on "
        f"revision {plan.number}."
    )
    Revision.objects.filter(pk=empty.pk).update(state=S.IN_REVIEW)  # e.g. submitted before
    with pytest.raises(Conflict, match="was not prepared on revision"):
        approve(reviewer, empty)
    plan.refresh_from_db()
    assert plan.state == S.APPROVED
    assert not AuditEvent.objects.filter(revision=empty, action="revision.approve").exists()


def test_a_copy_of_a_superseded_revision_cannot_come_back_into_force(planner, reviewer):
    first = make_plan(planner, reviewer, "older", LOTS, approve=True)
    second = put_in_force(planner, reviewer, sibling(planner, first))
    copy_of_first = sibling(planner, first)
    with pytest.raises(Conflict, match=f"revision {second.number} is now the plan in force"):
        SubmitRevision(user=planner, revision=copy_of_first).execute()


def test_a_refused_revision_may_still_be_sent_back_rejected_or_withdrawn(
    planner, reviewer, in_force_with_red_lines
):
    plan = in_force_with_red_lines
    a, b, c, d = (sibling(planner, plan) for _ in range(4))
    for revision in (b, c, d):
        SubmitRevision(user=planner, revision=revision).execute()
    put_in_force(planner, reviewer, a)
    assert RequestChanges(user=reviewer, revision=b, note="Lập lại").execute().state == (
        S.CHANGES_REQUESTED
    )
    assert RejectRevision(user=reviewer, revision=c, note="Đã lỗi thời").execute().state == (
        S.REJECTED
    )
    assert WithdrawRevision(user=planner, revision=d).execute().state == S.WITHDRAWN
    with pytest.raises(Conflict, match="now the plan in force"):
        ReopenRevision(user=reviewer, revision=c, note="Xem lại").execute()


def test_an_answer_to_a_change_request_builds_on_the_plan_a_sibling_draft_not(planner, reviewer):
    """Revision 3 answers revision 2, which was prepared on revision 1 in force: nothing was
    put in force in between, so it is approved; revision 4, also prepared on revision 1 and
    submitted meanwhile, then no longer builds on the plan in force."""
    plan = make_plan(planner, reviewer, "answer", LOTS, approve=True)
    asked = sibling(planner, plan)
    SubmitRevision(user=planner, revision=asked).execute()
    RequestChanges(user=reviewer, revision=asked, note="Bổ sung").execute()
    answer = sibling(planner, asked)
    alternative = sibling(planner, plan)
    for revision in (answer, alternative):
        SubmitRevision(user=planner, revision=revision).execute()
    StartReview(user=reviewer, revision=answer).execute()
    assert approve(reviewer, answer).state == S.APPROVED
    plan.refresh_from_db()
    assert plan.state == S.SUPERSEDED
    with pytest.raises(Conflict, match=f"revision {answer.number} is now the plan in force"):
        approve(reviewer, alternative)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("with_plan_in_force", [True, False], ids=["siblings", "first-plans"])
def test_two_sibling_approvals_at_once_exactly_one_wins(planner, reviewer, with_plan_in_force):
    """Two drafts of the same plan (or two first plans) approved at the same moment: the
    approvals take turns on the project's row, so the second reads the plan the first put in
    force and refuses to undo it (it used to supersede it silently)."""
    plan = make_plan(planner, reviewer, "race", LOTS, approve=with_plan_in_force)
    if with_plan_in_force:
        drafts = [sibling(planner, plan) for _ in range(2)]
    else:
        drafts = [plan, sibling(planner, plan)]  # the first draft, and a copy of it
        Revision.objects.filter(pk=drafts[1].pk).update(based_on=None)
    for draft in drafts:
        SubmitRevision(user=planner, revision=draft).execute()
    turns, outcomes = iter(drafts), []

    def approve_the_next() -> None:
        """The first run keeps its transaction open while the second approves its sibling."""
        revision = next(turns)
        try:
            approve(reviewer, Revision.objects.get(pk=revision.pk))
            outcomes.append("approved")
        except Conflict:
            outcomes.append("conflict")

    run_twice_overlapping(approve_the_next)
    assert sorted(outcomes) == ["approved", "conflict"]
    approved = Revision.objects.filter(project=plan.project, state=S.APPROVED)
    assert approved.count() == 1
    assert AuditEvent.objects.filter(action="revision.approve", revision__in=drafts).count() == 1
    loser = next(d for d in drafts if d.pk != approved.get().pk)
    loser.refresh_from_db()
    assert loser.state == S.SUBMITTED


def test_a_command_line_import_is_prepared_on_the_plan_in_force(planner, reviewer, tmp_path):
    """manage.py import_cad brings a whole plan into a new draft: prepared on the plan in
    force (so it can replace it), with only the file's layers."""
    from tests.importers.test_gis_placement_and_cli import command, shapefile, zipped

    plan = make_plan(planner, reviewer, "cli", LOTS, approve=True)
    mapping = json.dumps({"*": "landuse"})
    report, _progress = command(zipped(shapefile(tmp_path)), "cli", "--mapping", mapping, "--json")
    assert isinstance(report, dict)
    draft = Revision.objects.get(pk=report["revision"])
    assert draft.based_on == plan
    assert Feature.objects.filter(layer__revision=draft).count() == 3  # the file's lots only
    staleness.check_builds_on_plan_in_force(draft, planner)  # not refused


@pytest.mark.django_db(transaction=True)
def test_an_approval_and_a_send_back_of_one_revision_do_not_deadlock(
    plan_in_force, planner, reviewer
):
    """The approval locks the project's row, then the revision; every other transition
    locks the revision's row alone. When they also locked the project's (joined, FOR
    UPDATE, after the revision), an open transaction holding a key-share lock on the
    project (any that wrote an audit record of it) made them wait for each other."""
    import threading
    import time

    from django.db import connection, transaction

    answer = CreateRevision(
        user=planner, project=plan_in_force.project, based_on=plan_in_force
    ).execute()
    SubmitRevision(user=planner, revision=answer).execute()
    errors: list[str] = []
    key_share_taken, release = threading.Event(), threading.Event()

    def audit_writer():  # an import or comment transaction still open
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "SELECT 1 FROM planning_project WHERE id = %s FOR KEY SHARE",
                    [answer.project_id],
                )
                key_share_taken.set()
                release.wait(10)
        finally:
            connection.close()

    def run(transition, **extra):
        try:
            transition(
                user=reviewer, revision=Revision.objects.get(pk=answer.pk), **extra
            ).execute()
        except Exception as exc:  # noqa: BLE001 (a Conflict is fine: one of them wins)
            errors.append(str(exc))
        finally:
            connection.close()

    holder = threading.Thread(target=audit_writer)
    holder.start()
    assert key_share_taken.wait(10)
    send_back = threading.Thread(target=run, args=(RequestChanges,), kwargs={"note": "no"})
    send_back.start()
    time.sleep(0.5)
    approve = threading.Thread(
        target=run, args=(ApproveRevision,), kwargs={"decision_number": "9/QĐ-UBND"}
    )
    approve.start()
    time.sleep(1.5)
    release.set()
    for worker in (holder, send_back, approve):
        worker.join(30)
    assert not [error for error in errors if "deadlock" in error], errors
    assert len(errors) <= 1  # the one that came second finds the state the first left


def test_the_project_page_list_names_a_stale_rejected_revision_too(
    planner, reviewer, in_force_with_red_lines
):
    """A rejected revision may be reopened: the project page warns about it as the review
    page does, once a sibling has been put in force."""
    first, second = (sibling(planner, in_force_with_red_lines) for _ in range(2))
    SubmitRevision(user=planner, revision=second).execute()
    RejectRevision(user=reviewer, revision=second, note="no").execute()
    put_in_force(planner, reviewer, first)
    stale = staleness.stale_revisions(first.project)
    assert second.pk in stale
    assert stale[second.pk].pk == first.pk


def test_a_draft_asked_for_without_based_on_is_prepared_on_the_plan_in_force(
    planner, reviewer, in_force_with_red_lines
):
    """QA walk: POST {"project": …} made an empty draft based on nothing, which could never
    be submitted over the plan in force. Now it is prepared on that plan, with its layers,
    as the project page's "New revision" does; an explicit null still asks for none."""
    plan = in_force_with_red_lines
    planner_api = api(planner)

    made = planner_api.post("/api/revisions/", {"project": plan.project_id}, format="json")

    assert made.status_code == 201, made.content
    assert made.json()["based_on"] == plan.pk
    draft = Revision.objects.get(pk=made.json()["id"])
    assert sorted(draft.layers.values_list("kind", flat=True)) == sorted(
        plan.layers.values_list("kind", flat=True)
    )
    assert planner_api.post(f"/api/revisions/{draft.pk}/submit/").status_code == 200
    empty = planner_api.post(
        "/api/revisions/", {"project": plan.project_id, "based_on": None}, format="json"
    )
    assert empty.status_code == 201
    assert empty.json()["based_on"] is None
    assert not Revision.objects.get(pk=empty.json()["id"]).layers.exists()
