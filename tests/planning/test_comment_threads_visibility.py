"""A reply is read with its thread or not at all (planning.comments.thread_of).

The QA walkthrough: the reviewer commented on r1, which ended in "changes requested"; the
planner answered with r2 and replied on r2's page to the carried comment; r2 was approved.
The public then read the planner's reply alone (API, dossier) while its question stayed
hidden. The reply is the project's, like the comment it answers; the project still reads
both together. Every hidden string carries "SECRET".
"""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.test import Client

from planning.actions import (
    ApproveRevision,
    CreateRevision,
    RequestChanges,
    SubmitRevision,
)
from planning.comments import CreateComment, SetCommentStatus, thread_of
from planning.errors import NotFound
from planning.models import Comment, Membership, Revision
from tests.conftest import HUE_X, HUE_Y, make_plan, square
from tests.dossier.conftest import pdf_text

pytestmark = pytest.mark.django_db

QUESTION = "SECRET reviewer: widen the road"
REPLY = "SECRET planner: widened to 13 m"
PUBLIC_REMARK = "Public remark on the approved revision"


@pytest.fixture
def member(planner, reviewer) -> User:
    """A reviewer of the project who took no part in the exchange."""
    return User.objects.create_user("member_t", password="pw")


@pytest.fixture
def answered(planner, reviewer, member) -> dict:
    """r1 (changes requested, the reviewer's question) answered by r2 (approved), on whose
    page the planner replied to the carried question."""
    r1 = make_plan(
        planner,
        reviewer,
        "threads",
        [(square(HUE_X + 1500, HUE_Y + 1500, 100), {"code": "T1", "function": "DO"})],
        approve=False,
    )
    Membership.objects.create(project=r1.project, user=member, role=Membership.Role.REVIEWER)
    SubmitRevision(user=planner, revision=r1).execute()
    question = CreateComment(user=reviewer, revision=r1, body=QUESTION).execute()
    RequestChanges(user=reviewer, revision=r1, note="see the comments").execute()
    r2 = CreateRevision(user=planner, project=r1.project, based_on=r1).execute()
    reply = CreateComment(user=planner, revision=r2, body=REPLY, parent_id=question.pk).execute()
    SubmitRevision(user=planner, revision=r2).execute()
    remark = CreateComment(user=reviewer, revision=r2, body=PUBLIC_REMARK).execute()
    ApproveRevision(  # the question and the remark stay open: the board approves anyway
        user=reviewer, revision=r2, decision_number="7/QĐ-UBND", acknowledge_open_comments=2
    ).execute()
    r2.refresh_from_db()
    return {"r1": r1, "r2": r2, "question": question, "reply": reply, "remark": remark}


def client_of(request, who: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    return client


def listed(client: Client, revision: Revision) -> list[tuple[str, int | None]]:
    response = client.get(f"/api/revisions/{revision.pk}/comments/")
    assert response.status_code == 200
    return [(c["body"], c["parent"]) for c in response.json()["comments"]]


def test_the_reply_was_stored_under_the_question(answered):
    assert answered["reply"].parent_id == answered["question"].pk
    assert answered["reply"].revision_id == answered["r2"].pk


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_outsiders_read_no_reply_without_its_question(request, answered, who):
    client = client_of(request, who)
    assert listed(client, answered["r2"]) == [(PUBLIC_REMARK, None)]
    dossier = client.get(f"/api/revisions/{answered['r2'].pk}/dossier.pdf")
    assert dossier.status_code == 200
    text = pdf_text(dossier.content)
    assert PUBLIC_REMARK in text
    assert "SECRET" not in text


@pytest.mark.parametrize("who", ["planner", "reviewer", "member"])
def test_the_project_reads_the_question_with_its_reply(request, answered, who):
    client = client_of(request, who)
    question = answered["question"].pk
    assert listed(client, answered["r2"]) == [
        (QUESTION, None),
        (REPLY, question),
        (PUBLIC_REMARK, None),
    ]
    text = pdf_text(client.get(f"/api/revisions/{answered['r2'].pk}/dossier.pdf").content)
    assert QUESTION in text
    assert REPLY in text


def test_a_resolved_question_still_comes_with_the_reply_that_answers_it(answered, reviewer):
    """Resolved comments of answered revisions are no longer carried, but a reply listed on
    this revision brings its question along, for the project."""
    SetCommentStatus(user=reviewer, comment=answered["question"], status="resolved").execute()
    bodies = [c.body for c in thread_of(answered["r2"], reviewer)]
    assert bodies == [QUESTION, REPLY, PUBLIC_REMARK]
    assert [c.body for c in thread_of(answered["r2"], None)] == [PUBLIC_REMARK]


def test_a_reply_of_an_older_thread_on_the_answered_revision_stays_hidden_too(
    answered, planner, reviewer
):
    """A reply whose question is on a revision hidden from the caller is hidden wherever
    the reply itself sits (here: carried from a published revision)."""
    r3 = CreateRevision(user=planner, project=answered["r2"].project, based_on=answered["r2"])
    r3 = r3.execute()
    public = [c.body for c in thread_of(r3, None)]
    assert REPLY not in public
    assert QUESTION not in public


def test_a_reply_only_hangs_on_a_comment_of_the_thread_read_here(answered, planner, reviewer):
    """Replying from another revision's page to a comment not carried there is refused like
    a missing comment: the reply would sit in a thread without its question."""
    other = make_plan(
        planner,
        reviewer,
        "elsewhere",
        [(square(HUE_X + 1700, HUE_Y + 1500, 100), {"code": "E1", "function": "DO"})],
        approve=False,
    )
    SubmitRevision(user=planner, revision=other).execute()
    with pytest.raises(NotFound):
        CreateComment(
            user=planner, revision=other, body="stray", parent_id=answered["question"].pk
        ).execute()
    sibling = CreateRevision(user=planner, project=answered["r2"].project).execute()
    with pytest.raises(NotFound):
        CreateComment(
            user=planner, revision=sibling, body="stray", parent_id=answered["question"].pk
        ).execute()
    assert not Comment.objects.filter(body="stray").exists()


def test_the_api_refuses_a_reply_outside_the_thread(answered, planner, reviewer):
    sibling = CreateRevision(user=planner, project=answered["r2"].project).execute()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(planner)
    response = client.post(
        f"/api/revisions/{sibling.pk}/comments/",
        json.dumps({"body": "stray", "parent": answered["question"].pk}),
        content_type="application/json",
    )
    assert response.status_code == 404
    assert response.json()["detail"] == "No such comment to reply to."


def test_a_hidden_id_and_a_missing_one_are_refused_alike(answered, planner, draft_plan):
    """Replying to (or pinning on) an id outside the thread read here answers as for an id
    that does not exist: nothing tells which ids exist."""
    elsewhere_comment = answered["question"].pk  # another project's thread
    elsewhere_feature = answered["r2"].layers.first().features.first().pk
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(planner)
    url = f"/api/revisions/{draft_plan.pk}/comments/"
    missing = Comment.objects.order_by("-pk").first().pk + 1000
    for field, hidden in (("parent", elsewhere_comment), ("feature", elsewhere_feature)):
        answers = [
            client.post(
                url, json.dumps({"body": "probe", field: value}), content_type="application/json"
            )
            for value in (hidden, missing)
        ]
        assert [a.status_code for a in answers] == [404, 404], (field, answers[0].json())
        assert answers[0].json() == answers[1].json()
    assert not Comment.objects.filter(body="probe").exists()
    posted = client.post(url, json.dumps({"body": "fine"}), content_type="application/json")
    assert posted.status_code == 201, posted.json()  # the revision itself takes comments
