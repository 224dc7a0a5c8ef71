"""Approving over open comment threads: the approver must acknowledge them.

The board puts a plan in force knowing what remarks are still open, never by oversight: the
workflow refuses an unacknowledged approval with 409 naming their count (API `detail` and
`open_comments`), takes it with `acknowledge_open_comments`, the number of open threads the
approver saw (a thread posted or reopened since is more than that: refused again; a boolean
is no number: refused), and the audit record keeps how many were open. Only the open
threads of the revision's own thread count (its comments and those carried open from the
revision it answers), not replies, resolved threads or other revisions' comments. Rejecting
and requesting changes need no acknowledgement.
"""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from rest_framework.test import APIClient

from planning.actions import (
    ApproveRevision,
    CreateRevision,
    RejectRevision,
    RequestChanges,
    SubmitRevision,
)
from planning.comments import CreateComment, SetCommentStatus, open_comment_count
from planning.errors import Conflict, InvalidInput
from planning.models import AuditEvent, Membership, Revision, RevisionState
from tests.conftest import HUE_X, HUE_Y, make_plan, square

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def submitted(draft_plan, planner) -> Revision:
    return SubmitRevision(user=planner, revision=draft_plan).execute()


def comment(user, revision: Revision, body: str = "Lô B1 thiếu chỉ giới", **extra):
    return CreateComment(user=user, revision=revision, body=body, **extra).execute()


def api(user: User, language: str = "en") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.force_authenticate(user)
    return client


def approve_url(revision: Revision) -> str:
    return f"/api/revisions/{revision.pk}/approve/"


def refused_for(user, revision: Revision) -> int:
    """The open threads an unacknowledged approval names in its refusal."""
    with pytest.raises(Conflict) as refused:
        ApproveRevision(user=user, revision=revision, decision_number="5/QĐ").execute()
    return refused.value.details["open_comments"]


def approves_unacknowledged(user, revision: Revision) -> bool:
    approved = ApproveRevision(user=user, revision=revision, decision_number="5/QĐ").execute()
    return approved.state == RevisionState.APPROVED


# --- what counts --------------------------------------------------------------------------


def test_only_the_open_threads_of_this_revision_count(planner, reviewer, submitted):
    first = comment(reviewer, submitted)
    comment(planner, submitted, "Đã bổ sung.", parent_id=first.pk)  # a reply: no thread of its own
    resolved = comment(reviewer, submitted, "Sai mã đất")
    SetCommentStatus(user=reviewer, comment=resolved, status="resolved").execute()
    elsewhere = make_plan(
        planner,
        reviewer,
        "elsewhere",
        [(square(HUE_X + 1500, HUE_Y, 100), {"code": "E1", "function": "DO"})],
        approve=False,
    )
    SubmitRevision(user=planner, revision=elsewhere).execute()
    comment(reviewer, elsewhere, "Another project's remark")
    sibling = CreateRevision(user=planner, project=submitted.project).execute()
    comment(planner, sibling, "A note on another draft of the project")
    assert open_comment_count(submitted, reviewer) == 1
    assert refused_for(reviewer, submitted) == 1


def test_a_resolved_comment_no_longer_counts(reviewer, submitted):
    remark = comment(reviewer, submitted)
    assert refused_for(reviewer, submitted) == 1
    SetCommentStatus(user=reviewer, comment=remark, status="resolved").execute()
    assert open_comment_count(submitted, reviewer) == 0
    assert approves_unacknowledged(reviewer, submitted)


def test_open_remarks_carried_from_the_answered_revision_count(planner, reviewer, submitted):
    """The answer's thread lists the change request's open remarks: they are open on it too."""
    carried = comment(reviewer, submitted, "Mở rộng đường")
    settled = comment(reviewer, submitted, "Đổi tên lô")
    SetCommentStatus(user=reviewer, comment=settled, status="resolved").execute()
    RequestChanges(user=reviewer, revision=submitted, note="see the comments").execute()
    answer = CreateRevision(user=planner, project=submitted.project, based_on=submitted).execute()
    SubmitRevision(user=planner, revision=answer).execute()
    assert open_comment_count(answer, reviewer) == 1
    assert refused_for(reviewer, answer) == 1
    SetCommentStatus(user=reviewer, comment=carried, status="resolved").execute()
    assert open_comment_count(answer, reviewer) == 0
    assert approves_unacknowledged(reviewer, answer)


# --- the workflow -------------------------------------------------------------------------


def test_an_unacknowledged_approval_over_open_comments_changes_nothing(reviewer, submitted):
    comment(reviewer, submitted)
    comment(reviewer, submitted, "Thiếu bản vẽ")
    before = AuditEvent.objects.count()
    with pytest.raises(Conflict, match="2 comments are still open") as refused:
        ApproveRevision(user=reviewer, revision=submitted, decision_number="5/QĐ").execute()
    assert refused.value.details == {"open_comments": 2}
    submitted.refresh_from_db()
    assert (submitted.state, submitted.decision_number) == (RevisionState.SUBMITTED, "")
    assert AuditEvent.objects.count() == before


def test_an_acknowledged_approval_records_the_open_count(reviewer, submitted):
    comment(reviewer, submitted)
    approved = ApproveRevision(
        user=reviewer,
        revision=submitted,
        decision_number="5/QĐ",
        acknowledge_open_comments=1,
    ).execute()
    assert approved.state == RevisionState.APPROVED
    event = AuditEvent.objects.get(action="revision.approve", revision=submitted)
    assert event.detail["open_comments"] == 1


def test_an_approval_without_open_comments_needs_no_acknowledgement(reviewer, submitted):
    SetCommentStatus(
        user=reviewer, comment=comment(reviewer, submitted), status="resolved"
    ).execute()
    assert approves_unacknowledged(reviewer, submitted)
    event = AuditEvent.objects.get(action="revision.approve", revision=submitted)
    assert event.detail["open_comments"] == 0


@pytest.mark.parametrize("decision", [RejectRevision, RequestChanges])
def test_only_the_approval_asks_for_the_acknowledgement(reviewer, submitted, decision):
    """Rejecting or requesting changes over open comments is what those decisions are for."""
    comment(reviewer, submitted)
    assert refused_for(reviewer, submitted) == 1
    decided = decision(user=reviewer, revision=submitted, note="Chưa đạt").execute()
    assert decided.state == decision.target


# --- the count acknowledged: threads opened since the approver looked ---------------------


def approve_acknowledging(user, revision: Revision, acknowledged) -> Revision:
    return ApproveRevision(
        user=user, revision=revision, decision_number="5/QĐ", acknowledge_open_comments=acknowledged
    ).execute()


def test_a_thread_posted_after_the_approver_looked_is_refused_naming_the_count(
    planner, reviewer, submitted
):
    """The approver saw one open thread and acknowledged it; a second was posted before the
    approval reached the server: the approval does not cover it."""
    comment(reviewer, submitted)
    seen = open_comment_count(submitted, reviewer)
    comment(planner, submitted, "Bổ sung: thiếu hạ tầng kỹ thuật")
    before = AuditEvent.objects.count()
    with pytest.raises(Conflict) as refused:
        approve_acknowledging(reviewer, submitted, seen)
    assert refused.value.details == {"open_comments": 2}
    assert refused.value.message == (
        "2 comments are now open, more than the 1 you acknowledged; reload the comments and "
        "check them before approving."
    )
    submitted.refresh_from_db()
    assert submitted.state == RevisionState.SUBMITTED
    assert AuditEvent.objects.count() == before


def test_a_thread_reopened_after_the_approver_looked_is_refused(reviewer, submitted):
    comment(reviewer, submitted)
    settled = comment(reviewer, submitted, "Đổi tên lô")
    SetCommentStatus(user=reviewer, comment=settled, status="resolved").execute()
    seen = open_comment_count(submitted, reviewer)
    SetCommentStatus(user=reviewer, comment=settled, status="open").execute()
    with pytest.raises(Conflict, match="2 comments are now open, more than the 1") as refused:
        approve_acknowledging(reviewer, submitted, seen)
    assert refused.value.details == {"open_comments": 2}


@pytest.mark.parametrize("acknowledged", [2, 3])
def test_acknowledging_as_many_threads_as_are_open_or_more_approves(
    reviewer, submitted, acknowledged
):
    """More acknowledged than open: a thread was resolved since the approver looked."""
    comment(reviewer, submitted)
    comment(reviewer, submitted, "Thiếu bản vẽ")
    approved = approve_acknowledging(reviewer, submitted, acknowledged)
    assert approved.state == RevisionState.APPROVED
    event = AuditEvent.objects.get(action="revision.approve", revision=submitted)
    assert event.detail["open_comments"] == 2


@pytest.mark.parametrize("acknowledged", [True, False, -1, "2", 2.0, None])
def test_the_python_api_takes_only_a_count(reviewer, submitted, acknowledged):
    """True is the int 1 to Python: it must not pass for a count, nor anything else."""
    comment(reviewer, submitted)
    with pytest.raises(InvalidInput, match="with their number") as refused:
        approve_acknowledging(reviewer, submitted, acknowledged)
    assert refused.value.message == (
        "Acknowledge open comments with their number (the count you saw, 0 or more), "
        "not with true or false."
    )
    assert Revision.objects.get(pk=submitted.pk).state == RevisionState.SUBMITTED


def test_a_boolean_is_refused_even_with_no_open_threads(reviewer, submitted):
    with pytest.raises(InvalidInput):
        approve_acknowledging(reviewer, submitted, True)
    assert Revision.objects.get(pk=submitted.pk).state == RevisionState.SUBMITTED


# --- the API ------------------------------------------------------------------------------


def test_the_api_refuses_an_unacknowledged_approval_naming_the_count(reviewer, submitted):
    comment(reviewer, submitted)
    comment(reviewer, submitted, "Thiếu bản vẽ")
    response = api(reviewer).post(
        approve_url(submitted), {"decision_number": "5/QĐ"}, format="json"
    )
    assert response.status_code == 409
    body = response.json()
    assert body["open_comments"] == 2
    assert body["detail"] == ("2 comments are still open; confirm that you approve with them open.")
    assert Revision.objects.get(pk=submitted.pk).state == RevisionState.SUBMITTED


def test_a_single_open_comment_is_named_in_the_singular(reviewer, submitted):
    comment(reviewer, submitted)
    response = api(reviewer).post(
        approve_url(submitted), {"decision_number": "5/QĐ"}, format="json"
    )
    assert response.json()["detail"] == (
        "1 comment is still open; confirm that you approve with it open."
    )


def test_the_api_approves_once_acknowledged_and_audits_the_count(reviewer, submitted):
    comment(reviewer, submitted)
    response = api(reviewer).post(
        approve_url(submitted),
        {"decision_number": "5/QĐ", "acknowledge_open_comments": 1},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "approved"
    event = AuditEvent.objects.get(action="revision.approve", revision=submitted)
    assert event.detail["open_comments"] == 1


def test_the_web_forms_multipart_acknowledgement_is_taken(reviewer, submitted):
    """The review page posts the decision as multipart, the checkbox as the count it shows."""
    comment(reviewer, submitted)
    response = api(reviewer).post(
        approve_url(submitted),
        {
            "decision_number": "5/QĐ",
            "acknowledge_open_comments": "1",
            "decision_document": SimpleUploadedFile("decision.pdf", PDF),
        },
        format="multipart",
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "approved"
    event = AuditEvent.objects.get(action="revision.approve", revision=submitted)
    assert event.detail["open_comments"] == 1


def test_the_open_count_stays_out_of_the_public_audit_log(reviewer, submitted):
    comment(reviewer, submitted)
    ApproveRevision(
        user=reviewer, revision=submitted, decision_number="5/QĐ", acknowledge_open_comments=1
    ).execute()
    public = APIClient().get(f"/api/projects/{submitted.project_id}/audit/").json()
    [approval] = [e for e in public if e["action"] == "revision.approve"]
    assert "open_comments" not in approval["detail"]
    board = api(reviewer).get(f"/api/projects/{submitted.project_id}/audit/").json()
    [approval] = [e for e in board if e["action"] == "revision.approve"]
    assert approval["detail"]["open_comments"] == 1


def test_a_member_who_may_not_approve_hears_no_count(reviewer, submitted):
    """The role is checked first: a reviewer who may not approve learns nothing of the
    thread's state from the approval endpoint."""
    comment(reviewer, submitted)
    only_reviewer = User.objects.create_user("only_reviewer_oc", password="pw-only-reviewer")
    Membership.objects.create(project=submitted.project, user=only_reviewer, role="reviewer")
    response = api(only_reviewer).post(
        approve_url(submitted), {"decision_number": "5/QĐ"}, format="json"
    )
    assert response.status_code == 403
    assert "open_comments" not in response.json()
    assert "still open" not in response.json()["detail"]


def test_the_api_refuses_a_thread_opened_since_the_approver_looked(planner, reviewer, submitted):
    comment(reviewer, submitted)
    comment(planner, submitted, "Bổ sung: thiếu hạ tầng kỹ thuật")
    response = api(reviewer).post(
        approve_url(submitted),
        {"decision_number": "5/QĐ", "acknowledge_open_comments": 1},
        format="json",
    )
    assert response.status_code == 409
    body = response.json()
    assert body["open_comments"] == 2
    assert body["detail"] == (
        "2 comments are now open, more than the 1 you acknowledged; reload the comments and "
        "check them before approving."
    )
    assert Revision.objects.get(pk=submitted.pk).state == RevisionState.SUBMITTED


def test_the_api_approves_acknowledging_more_than_are_open(reviewer, submitted):
    comment(reviewer, submitted)
    comment(reviewer, submitted, "Thiếu bản vẽ")
    response = api(reviewer).post(
        approve_url(submitted),
        {"decision_number": "5/QĐ", "acknowledge_open_comments": 3},
        format="json",
    )
    assert response.status_code == 200, response.content
    event = AuditEvent.objects.get(action="revision.approve", revision=submitted)
    assert event.detail["open_comments"] == 2


@pytest.mark.parametrize(
    ("acknowledged", "encoding"),
    [(True, "json"), (False, "json"), ("true", "json"), ("true", "multipart"), ("on", "multipart")],
)
def test_the_api_refuses_a_boolean_acknowledgement(reviewer, submitted, acknowledged, encoding):
    """JSON true is no count (DRF would not read it as 1 either, but say why)."""
    comment(reviewer, submitted)
    response = api(reviewer).post(
        approve_url(submitted),
        {"decision_number": "5/QĐ", "acknowledge_open_comments": acknowledged},
        format=encoding,
    )
    assert response.status_code == 400, response.content
    assert response.json()["acknowledge_open_comments"] == [
        "Acknowledge open comments with their number (the count you saw, 0 or more), "
        "not with true or false."
    ]
    assert Revision.objects.get(pk=submitted.pk).state == RevisionState.SUBMITTED


def test_the_api_refuses_a_negative_count(reviewer, submitted):
    response = api(reviewer).post(
        approve_url(submitted),
        {"decision_number": "5/QĐ", "acknowledge_open_comments": -1},
        format="json",
    )
    assert response.status_code == 400
    assert "acknowledge_open_comments" in response.json()


def test_the_schema_documents_a_count(reviewer):
    schema = api(reviewer).get("/api/schema/", {"format": "json"}).json()
    field = schema["components"]["schemas"]["ApproveRequest"]["properties"][
        "acknowledge_open_comments"
    ]
    assert (field["type"], field["minimum"], field["default"]) == ("integer", 0, 0)


# --- a thread resolved or reopened while an approval decides ------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_carried_reopen_waits_for_an_approval_deciding_meanwhile(planner, reviewer, submitted):
    """An approval counts the open threads under its revision's lock: reopening a thread
    carried from the revision it answers (another row) waits for the decision too, so it can
    never slip past the count already made."""
    thread = comment(reviewer, submitted)
    SetCommentStatus(user=reviewer, comment=thread, status="resolved").execute()
    RequestChanges(user=reviewer, revision=submitted, note="see the comments").execute()
    answer = CreateRevision(user=planner, project=submitted.project, based_on=submitted).execute()
    SubmitRevision(user=planner, revision=answer).execute()
    deciding, reopened = threading.Event(), threading.Event()

    def approval_holding_the_lock():
        try:
            with transaction.atomic():
                Revision.objects.select_for_update().get(pk=answer.pk)
                deciding.set()
                reopened.wait(1.5)  # what the approval's count would have missed
        finally:
            connection.close()

    def reopen():
        try:
            deciding.wait(10)
            SetCommentStatus(user=reviewer, comment=thread, status="open").execute()
            reopened.set()
        finally:
            connection.close()

    workers = [threading.Thread(target=approval_holding_the_lock), threading.Thread(target=reopen)]
    for worker in workers:
        worker.start()
    assert deciding.wait(10)
    assert not reopened.wait(1.0), "the reopen went through while the approval decided"
    for worker in workers:
        worker.join(20)
    assert reopened.is_set()
    assert open_comment_count(answer, reviewer) == 1


@pytest.mark.django_db(transaction=True)
def test_a_thread_resolved_while_a_revision_is_based_on_its_own_does_not_deadlock(
    planner, reviewer, submitted
):
    """Resolving locks the revisions awaiting a decision; a new revision based on one of
    them checks its key at commit while holding the project. Plain FOR UPDATE made the two
    wait for each other (PostgreSQL aborted one: a 500); FOR NO KEY UPDATE lets both end."""
    thread = comment(reviewer, submitted)
    resolving, created = threading.Event(), threading.Event()
    errors: list[str] = []

    def resolve_and_linger():
        try:
            with transaction.atomic():
                SetCommentStatus(user=reviewer, comment=thread, status="resolved").execute()
                resolving.set()
                created.wait(3)  # the other commits meanwhile, or waits for this one
        except Exception as exc:  # noqa: BLE001 (the deadlock's victim, whatever it raises)
            errors.append(type(exc).__name__)
        finally:
            connection.close()

    def create_based_on_it():
        try:
            resolving.wait(10)
            CreateRevision(user=planner, project=submitted.project, based_on=submitted).execute()
            created.set()
        except Exception as exc:  # noqa: BLE001
            errors.append(type(exc).__name__)
        finally:
            connection.close()

    workers = [
        threading.Thread(target=resolve_and_linger),
        threading.Thread(target=create_based_on_it),
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert errors == []
    assert created.is_set()
    thread.refresh_from_db()
    assert thread.status == "resolved"
