"""An approved plan must not open a window on the unapproved revisions around it.

The review chain: r1 is submitted, commented on and sent back (changes requested); r2 answers
it and is approved. r1 stays the project's own: anonymous callers, outsiders and members of
other projects neither read its comments through r2's thread (API, dossier), nor diff r2
against it, nor find its history in the project's audit log; the project's planner and board
still see the whole thread and the diff against r1. Every hidden string carries "SECRET".
"""

from __future__ import annotations

import json

import pytest
import shapely
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from planning.actions import (
    ApproveRevision,
    CreateRevision,
    RejectRevision,
    RequestChanges,
    SubmitRevision,
)
from planning.comments import CreateComment, thread_of
from planning.members import AddMember
from planning.models import Feature, Membership, Revision
from tests.conftest import HUE_X, HUE_Y, make_plan, square
from tests.dossier.conftest import pdf_text
from tests.files import write_vector

pytestmark = pytest.mark.django_db

REMARK = "SECRET review remark on r1"
CHANGE_NOTE = "SECRET change request: move the market"
OLD_NAME = "SECRET old lot name"
OWNER = "SECRET-OWNER"
REJECT_NOTE = "SECRET rejection reasons"
UPLOAD_NAME = "SECRET-parcels.gpkg"
DRAFT_NOTE = "SECRET planner's note on a draft"
PRIVATE = "private, no-store"
OUTSIDERS = ["anonymous", "outsider", "other_member"]
BOARD = ["planner", "reviewer"]


@pytest.fixture
def other_member(planner, reviewer) -> User:
    """A planner and approver of another project, none of this one."""
    other = make_plan(
        planner,
        reviewer,
        "other",
        [(square(HUE_X + 9000, HUE_Y, 50), {"code": "O1"})],
        approve=False,
    )
    user = User.objects.create_user("other_member_t", password="pw")
    for role in (Membership.Role.PLANNER, Membership.Role.APPROVER):
        Membership.objects.create(project=other.project, user=user, role=role)
    return user


@pytest.fixture
def chain(planner, reviewer) -> dict[str, Revision]:
    """r1 (changes requested, with an open remark) answered by r2 (approved): r2 renames
    lot S1 and drops lot S2."""
    r1 = make_plan(
        planner,
        reviewer,
        "chain",
        [
            (square(HUE_X, HUE_Y, 100), {"code": "S1", "function": "DO", "name": OLD_NAME}),
            (square(HUE_X + 100, HUE_Y, 100), {"code": "S2", "function": "CX", "owner": OWNER}),
        ],
        approve=False,
    )
    SubmitRevision(user=planner, revision=r1).execute()
    CreateComment(user=reviewer, revision=r1, body=REMARK).execute()
    RequestChanges(user=reviewer, revision=r1, note=CHANGE_NOTE).execute()
    r2 = CreateRevision(user=planner, project=r1.project, based_on=r1).execute()
    Feature.objects.filter(layer__revision=r2, attributes__code="S2").delete()
    renamed = Feature.objects.get(layer__revision=r2, attributes__code="S1")
    renamed.attributes = {"code": "S1", "function": "DO", "name": "Lô S1"}
    renamed.save()
    SubmitRevision(user=planner, revision=r2).execute()
    ApproveRevision(  # r1's remark, carried to r2, stays open
        user=reviewer,
        revision=r2,
        decision_number="2/QĐ-UBND",
        supersede_overlaps=True,
        acknowledge_open_comments=1,
    ).execute()
    r1.refresh_from_db()
    r2.refresh_from_db()
    return {"r1": r1, "r2": r2}


def client_of(request, who: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    return client


def text_of(response) -> str:
    """What a caller reads: JSON as text (non-ASCII kept), PDF as its extracted text."""
    if response["Content-Type"] == "application/pdf":
        return pdf_text(response.content)
    return json.dumps(response.json(), ensure_ascii=False)


# --- the answered revision's comments ------------------------------------------------------


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_do_not_read_the_answered_revisions_comments(request, chain, who):
    client = client_of(request, who)
    assert client.get(f"/api/revisions/{chain['r1'].pk}/").status_code == 404
    response = client.get(f"/api/revisions/{chain['r2'].pk}/comments/")
    assert response.status_code == 200
    assert response.json()["comments"] == []
    assert "SECRET" not in text_of(response)


@pytest.mark.parametrize("who", BOARD)
def test_the_project_reads_the_whole_thread(request, chain, who):
    response = client_of(request, who).get(f"/api/revisions/{chain['r2'].pk}/comments/")
    comments = response.json()["comments"]
    assert [(c["body"], c["revision"], c["inherited"]) for c in comments] == [
        (REMARK, chain["r1"].pk, True)
    ]


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_do_not_learn_which_revision_was_answered(request, chain, who):
    client = client_of(request, who)
    assert client.get(f"/api/revisions/{chain['r2'].pk}/").json()["based_on"] is None
    listed = client.get("/api/revisions/", {"limit": 100}).json()["results"]
    assert [r["based_on"] for r in listed if r["id"] == chain["r2"].pk] == [None]
    page = client.get(f"/revisions/{chain['r2'].pk}/review/")
    assert page.status_code == (302 if who == "anonymous" else 200)  # the page needs a sign-in
    assert f"/revisions/{chain['r1'].pk}/review/" not in page.content.decode()


@pytest.mark.parametrize("who", BOARD)
def test_the_project_sees_which_revision_was_answered(request, chain, who):
    client = client_of(request, who)
    assert client.get(f"/api/revisions/{chain['r2'].pk}/").json()["based_on"] == chain["r1"].pk
    page = client.get(f"/revisions/{chain['r2'].pk}/review/").content.decode()
    assert f"/revisions/{chain['r1'].pk}/review/" in page


# --- the default comparison ----------------------------------------------------------------


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_do_not_diff_against_a_hidden_revision(request, chain, who):
    client = client_of(request, who)
    response = client.get(f"/api/revisions/{chain['r2'].pk}/changes/")
    assert response.status_code == 200
    # r2 is the project's only plan in force: nothing visible to compare it with.
    assert response.json() == {"type": "FeatureCollection", "features": [], "against": None}
    assert "SECRET" not in text_of(response)
    explicit = client.get(f"/api/revisions/{chain['r2'].pk}/changes/?against={chain['r1'].pk}")
    assert explicit.status_code == 404


def _amended(chain, planner, reviewer) -> Revision:
    """r3: an amendment of r2 (lot S1 renamed again), approved; r2 is superseded."""
    r3 = CreateRevision(user=planner, project=chain["r2"].project, based_on=chain["r2"]).execute()
    lot = Feature.objects.get(layer__revision=r3, attributes__code="S1")
    lot.attributes = {**lot.attributes, "name": "Lô S1 (điều chỉnh)"}
    lot.save()
    SubmitRevision(user=planner, revision=r3).execute()
    ApproveRevision(
        user=reviewer, revision=r3, decision_number="3/QĐ-UBND", acknowledge_open_comments=1
    ).execute()
    return r3


@pytest.mark.parametrize("who", OUTSIDERS)
def test_an_older_plan_is_never_compared_with_the_plan_that_replaced_it(
    request, chain, planner, reviewer, who
):
    """QA walk: r2's changes were r3's amendment reversed ("before: Lô S1 (điều chỉnh)")."""
    r3 = _amended(chain, planner, reviewer)
    client = client_of(request, who)
    older = client.get(f"/api/revisions/{chain['r2'].pk}/changes/").json()
    assert older == {"type": "FeatureCollection", "features": [], "against": None}
    newer = client.get(f"/api/revisions/{r3.pk}/changes/").json()
    assert newer["against"] == chain["r2"].pk
    changes = {f["properties"]["code"]: f["properties"] for f in newer["features"]}
    assert changes["S1"]["before"]["name"] == "Lô S1"
    assert changes["S1"]["after"]["name"] == "Lô S1 (điều chỉnh)"


def _answer_replacing(planner, reviewer) -> tuple[Revision, Revision, Revision]:
    """P in force; rA amends it and is sent back; rB answers rA and is approved: (P, rA, rB)."""
    plan = make_plan(
        planner,
        reviewer,
        "replaced",
        [(square(HUE_X, HUE_Y, 50), {"code": "P1", "function": "DO"})],
        approve=True,
    )
    sent_back = CreateRevision(user=planner, project=plan.project, based_on=plan).execute()
    SubmitRevision(user=planner, revision=sent_back).execute()
    RequestChanges(user=reviewer, revision=sent_back, note="move P1").execute()
    answer = CreateRevision(user=planner, project=plan.project, based_on=sent_back).execute()
    SubmitRevision(user=planner, revision=answer).execute()
    ApproveRevision(user=reviewer, revision=answer, decision_number="2/QĐ-UBND").execute()
    answer.refresh_from_db()
    return plan, sent_back, answer


def test_the_review_page_names_the_plan_a_published_answer_replaced(planner, reviewer):
    """rB's page offers the plan it replaced (P, superseded since) first, then the revision
    it answers."""
    plan, sent_back, answer = _answer_replacing(planner, reviewer)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(reviewer)
    config = client.get(f"/revisions/{answer.pk}/review/").context["config"]
    choices = [(choice["id"], choice["choice"].split(" (")[0]) for choice in config["baselines"]]
    assert choices == [
        (plan.pk, "the plan it replaced"),
        (sent_back.pk, "the revision it answers"),
    ]


def test_a_plan_approved_in_the_same_instant_as_the_one_it_replaced(planner, reviewer):
    """Two approvals within one clock tick: the replaced plan is the one the approval
    closed (its superseded_at), not "none before it". Anonymous callers do not see rA, so
    they compare rB with P."""
    plan, _, answer = _answer_replacing(planner, reviewer)
    assert Client().get(f"/api/revisions/{answer.pk}/changes/").json()["against"] == plan.pk
    Revision.objects.filter(pk=plan.pk).update(approved_at=answer.approved_at)
    assert Client().get(f"/api/revisions/{answer.pk}/changes/").json()["against"] == plan.pk


@pytest.mark.parametrize("who", BOARD)
def test_the_project_diffs_against_the_answered_revision(request, chain, who):
    response = client_of(request, who).get(f"/api/revisions/{chain['r2'].pk}/changes/")
    body = response.json()
    assert body["against"] == chain["r1"].pk
    changes = {f["properties"]["code"]: f["properties"] for f in body["features"]}
    assert changes["S2"]["change"] == "removed"
    assert changes["S2"]["before"]["owner"] == OWNER
    assert changes["S1"]["before"]["name"] == OLD_NAME


@pytest.mark.parametrize("who", ["outsider", "other_member"])
def test_the_review_page_compares_with_what_the_endpoint_does(request, chain, who):
    response = client_of(request, who).get(f"/revisions/{chain['r2'].pk}/review/")
    assert response.status_code == 200
    assert b"SECRET" not in response.content
    config = response.context["config"]
    assert config["baseline"] is None
    assert not config["canComment"]


@pytest.mark.parametrize("who", BOARD)
def test_the_boards_review_page_compares_with_the_answered_revision(request, chain, who):
    config = client_of(request, who).get(f"/revisions/{chain['r2'].pk}/review/").context["config"]
    assert config["baseline"]["id"] == chain["r1"].pk
    assert config["baseline"]["state"] == "changes_requested"


# --- the dossier ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", OUTSIDERS)
def test_the_dossier_of_outsiders_leaves_the_hidden_remark_out_and_is_not_shared(
    request, chain, who
):
    response = client_of(request, who).get(f"/api/revisions/{chain['r2'].pk}/dossier.pdf")
    assert response.status_code == 200
    text = text_of(response)
    assert "No comments." in text
    assert "SECRET" not in text
    # Members read another thread in the same URL: no shared cache may keep either.
    assert response["Cache-Control"] == PRIVATE


@pytest.mark.parametrize("who", BOARD)
def test_the_boards_dossier_carries_the_remark_privately(request, chain, who):
    response = client_of(request, who).get(f"/api/revisions/{chain['r2'].pk}/dossier.pdf")
    text = text_of(response)
    assert REMARK in text
    assert "from revision 1" in text
    assert response["Cache-Control"] == PRIVATE


def test_a_dossier_everyone_reads_alike_stays_publicly_cacheable(planner, reviewer, plan_in_force):
    """An approved answer to a plan that was itself published: no hidden ancestor."""
    answer = CreateRevision(
        user=planner, project=plan_in_force.project, based_on=plan_in_force
    ).execute()
    SubmitRevision(user=planner, revision=answer).execute()
    ApproveRevision(user=reviewer, revision=answer, decision_number="3/QĐ").execute()
    response = Client().get(f"/api/revisions/{answer.pk}/dossier.pdf")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("public, max-age=")


# --- drafts carried into submitted work (F8) -----------------------------------------------


@pytest.fixture
def answer_to_a_draft(planner, reviewer, plan_in_force) -> dict[str, Revision]:
    """d1 is a draft with the planner's own note; d2 copies it and is submitted."""
    project = plan_in_force.project
    d1 = CreateRevision(user=planner, project=project, based_on=plan_in_force).execute()
    CreateComment(user=planner, revision=d1, body=DRAFT_NOTE).execute()
    d2 = CreateRevision(user=planner, project=project, based_on=d1).execute()
    SubmitRevision(user=planner, revision=d2).execute()
    return {"d1": d1, "d2": d2, "in_force": plan_in_force}


def test_reviewers_do_not_read_comments_of_a_draft_ancestor(client, reviewer, answer_to_a_draft):
    d2 = answer_to_a_draft["d2"]
    client.force_login(reviewer)
    comments = client.get(f"/api/revisions/{d2.pk}/comments/").json()["comments"]
    assert comments == []
    changes = client.get(f"/api/revisions/{d2.pk}/changes/").json()
    # The draft is hidden from the board: the comparison falls back to the plan in force.
    assert changes["against"] == answer_to_a_draft["in_force"].pk
    dossier = client.get(f"/api/revisions/{d2.pk}/dossier.pdf")
    assert "SECRET" not in pdf_text(dossier.content)


def test_the_planner_still_reads_their_drafts_note(planner, answer_to_a_draft):
    d1, d2 = answer_to_a_draft["d1"], answer_to_a_draft["d2"]
    assert [c.body for c in thread_of(d2, planner)] == [DRAFT_NOTE]
    assert [c.revision_id for c in thread_of(d2, planner)] == [d1.pk]


def test_the_chain_ends_at_the_first_hidden_revision(planner, reviewer, answer_to_a_draft):
    """d3 answers d2 (submitted, seen by the board) which answers the hidden draft d1."""
    d2 = answer_to_a_draft["d2"]
    CreateComment(user=reviewer, revision=d2, body="Please widen the road.").execute()
    RequestChanges(user=reviewer, revision=d2, note="road").execute()
    d3 = CreateRevision(user=planner, project=d2.project, based_on=d2).execute()
    SubmitRevision(user=planner, revision=d3).execute()
    assert [c.body for c in thread_of(d3, reviewer)] == ["Please widen the road."]
    assert [c.body for c in thread_of(d3, planner)] == [DRAFT_NOTE, "Please widen the road."]
    assert list(thread_of(d3, None)) == []


# --- the project's audit log ---------------------------------------------------------------


@pytest.fixture
def history(chain, planner, reviewer, admin_user_t, tmp_path) -> dict[str, Revision]:
    """After r2's approval: r3 imports a file and is rejected; r4 is a fresh draft; a
    newcomer joins the board."""
    project = chain["r2"].project
    r3 = CreateRevision(user=planner, project=project, based_on=chain["r2"]).execute()
    upload = tmp_path / UPLOAD_NAME
    write_vector(
        upload,
        [shapely.box(HUE_X + 300, HUE_Y, HUE_X + 350, HUE_Y + 50)],
        {"code": ["S3"], "function": ["DO"]},
        driver="GPKG",
    )
    client = Client()
    client.force_login(planner)
    with upload.open("rb") as handle:
        response = client.post(
            f"/api/revisions/{r3.pk}/uploads/", {"file": handle, "kind": "landuse", "name": "S3"}
        )
    assert response.status_code == 201, response.content
    SubmitRevision(user=planner, revision=r3).execute()
    RejectRevision(user=reviewer, revision=r3, note=REJECT_NOTE).execute()
    r4 = CreateRevision(user=planner, project=project, note=DRAFT_NOTE).execute()
    User.objects.create_user("newcomer_t", password="pw")
    AddMember(user=admin_user_t, project=project, username="newcomer_t", role="reviewer").execute()
    return {**chain, "r3": r3, "r4": r4}


def audit_of(request, who: str, revision: Revision):
    response = client_of(request, who).get(f"/api/projects/{revision.project_id}/audit/")
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_read_only_the_public_decisions_in_the_audit_log(request, history, who):
    response = audit_of(request, who, history["r2"])
    events = response.json()
    assert [(e["action"], e["revision"]) for e in events] == [
        ("revision.approve", history["r2"].pk)
    ]
    assert events[0]["detail"]["decision_number"] == "2/QĐ-UBND"
    public = {"decision_number", "note", "superseded", "superseded_lots", "superseded_features"}
    assert set(events[0]["detail"]) <= public
    text = text_of(response)
    for hidden in ("SECRET", "newcomer_t", "membership", "gpkg", "previous_state"):
        assert hidden not in text


def test_the_planner_reads_the_whole_audit_log(request, history):
    response = audit_of(request, "planner", history["r2"])
    assert history["r4"].pk in {e["revision"] for e in response.json()}
    text = text_of(response)
    for seen in (CHANGE_NOTE, REJECT_NOTE, UPLOAD_NAME, "newcomer_t"):
        assert seen in text


def test_the_board_reads_what_it_reviews_but_not_the_planners_drafts(request, history):
    events = audit_of(request, "reviewer", history["r2"]).json()
    revisions = {e["revision"] for e in events}
    assert {history[r].pk for r in ("r1", "r2", "r3")} <= revisions
    assert history["r4"].pk not in revisions
    text = json.dumps(events, ensure_ascii=False)
    assert REJECT_NOTE in text
    assert "newcomer_t" in text


def test_staff_read_everything(request, history, admin_user_t):
    client = Client()
    client.force_login(admin_user_t)
    events = client.get(f"/api/projects/{history['r2'].project_id}/audit/").json()
    assert history["r4"].pk in {e["revision"] for e in events}


def test_the_revision_list_checks_answered_revisions_in_one_query(client, chain, planner):
    """The visibility of `based_on` is looked up once per page, not once per row."""
    client.force_login(planner)

    def listing() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/revisions/", {"limit": 100}).status_code == 200
        return len(queries)

    few = listing()
    r2 = chain["r2"]
    for _ in range(8):  # more answers to r2, each a row naming it
        CreateRevision(user=planner, project=r2.project, based_on=r2).execute()
    assert listing() == few
