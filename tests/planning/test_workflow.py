"""The review workflow: every transition against every role and state, QA at submission,
concurrency, comments carried to the answering revision, balance and comparison."""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth.models import User
from django.db import connection
from rest_framework.test import APIClient

from planning import actions
from planning.errors import Conflict, Forbidden, InvalidInput
from planning.models import AuditEvent, Feature, Layer, Membership, Revision, RevisionState
from tests.conftest import HUE_X, HUE_Y, make_plan, square

pytestmark = pytest.mark.django_db
S = RevisionState


@pytest.fixture
def people(planner, outsider):
    """The project's cast, one user per role."""
    reviewer = User.objects.create_user("only_reviewer", password="pw-review-test")
    approver = User.objects.create_user("only_approver", password="pw-approve-test")
    return {"planner": planner, "reviewer": reviewer, "approver": approver, "outsider": outsider}


@pytest.fixture
def revision(people) -> Revision:
    """A draft with one valid lot; the reviewer and approver are members of the project."""
    draft = make_plan(people["planner"], people["approver"], "flow", [
        (square(HUE_X, HUE_Y, 100), {"code": "L1", "function": "DO"}),
    ], approve=False)  # fmt: skip
    Membership.objects.filter(project=draft.project, user=people["approver"]).exclude(
        role=Membership.Role.APPROVER
    ).delete()
    Membership.objects.create(project=draft.project, user=people["reviewer"], role="reviewer")
    return draft


def move(revision: Revision, state: str) -> Revision:
    Revision.objects.filter(pk=revision.pk).update(state=state)
    revision.refresh_from_db()
    return revision


TRANSITIONS = {
    "submit": (actions.SubmitRevision, {S.DRAFT}, {"planner"}, S.SUBMITTED),
    "withdraw": (actions.WithdrawRevision, {S.SUBMITTED, S.IN_REVIEW}, {"planner"}, S.WITHDRAWN),
    "start_review": (actions.StartReview, {S.SUBMITTED}, {"reviewer", "approver"}, S.IN_REVIEW),
    "request_changes": (
        actions.RequestChanges,
        {S.SUBMITTED, S.IN_REVIEW},
        {"reviewer", "approver"},
        S.CHANGES_REQUESTED,
    ),
    "reject": (actions.RejectRevision, {S.SUBMITTED, S.IN_REVIEW}, {"approver"}, S.REJECTED),
    "reopen": (
        actions.ReopenRevision,
        {S.REJECTED, S.CHANGES_REQUESTED},
        {"approver"},
        S.IN_REVIEW,
    ),
    "approve": (actions.ApproveRevision, {S.SUBMITTED, S.IN_REVIEW}, {"approver"}, S.APPROVED),
}


def perform(name: str, user, revision: Revision) -> Revision:
    transition = TRANSITIONS[name][0]
    extra = {"note": "Lý do: cần bổ sung"}
    if name == "approve":
        extra["decision_number"] = "99/QĐ-UBND"
    return transition(user=user, revision=revision, **extra).execute()


@pytest.mark.parametrize("name", sorted(TRANSITIONS))
@pytest.mark.parametrize("role", ["planner", "reviewer", "approver", "outsider"])
def test_every_role_against_every_state(people, revision, name, role):
    """Each transition, tried by each role from each state: allowed moves happen and are
    audited; the others fail with 403 or 409 and change nothing."""
    _, sources, roles, target = TRANSITIONS[name]
    for state in S.values:
        move(revision, state)
        before = AuditEvent.objects.count()
        if role in roles and state in sources:
            assert perform(name, people[role], revision).state == target, state
            assert AuditEvent.objects.count() == before + 1
            Revision.objects.filter(project=revision.project).exclude(pk=revision.pk).update(
                state=S.WITHDRAWN
            )  # an approval superseded nothing else; keep the project clean for the next state
            continue
        with pytest.raises(Forbidden if role not in roles else Conflict):
            perform(name, people[role], revision)
        revision.refresh_from_db()
        assert revision.state == state  # nothing changed
        assert AuditEvent.objects.count() == before


def test_decisions_need_reasons_and_approvals_a_number(people, revision):
    move(revision, S.IN_REVIEW)
    with pytest.raises(InvalidInput, match="why"):
        actions.RejectRevision(user=people["approver"], revision=revision).execute()
    with pytest.raises(InvalidInput, match="decision number"):
        actions.ApproveRevision(user=people["approver"], revision=revision).execute()


def test_qa_errors_block_submission(people, revision):
    layer = Layer.objects.get(revision=revision)
    # An overlapping lot without its land-use function: two errors.
    Feature.objects.create(
        layer=layer, geom=square(HUE_X + 50, HUE_Y, 100), attributes={"code": "L2"}
    )
    with pytest.raises(InvalidInput, match="2 errors") as caught:
        actions.SubmitRevision(user=people["planner"], revision=revision).execute()
    assert caught.value.details == {"qa_errors": 2}
    revision.refresh_from_db()
    assert revision.state == S.DRAFT
    rules = set(revision.findings.values_list("rule", flat=True))
    assert {"topology.overlap", "attributes.required"} <= rules  # findings kept for the planner


def test_approval_supersedes_and_second_approval_conflicts(people, revision):
    first = perform("approve", people["approver"], move(revision, S.IN_REVIEW))
    answer = actions.CreateRevision(
        user=people["planner"], project=first.project, based_on=first
    ).execute()
    perform("approve", people["approver"], move(answer, S.IN_REVIEW))
    first.refresh_from_db()
    assert first.state == S.SUPERSEDED
    with pytest.raises(Conflict):
        perform("approve", people["approver"], answer)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_approvals_exactly_one_wins(people, revision):
    move(revision, S.IN_REVIEW)
    outcomes: list[str] = []

    def approve():
        try:
            perform("approve", people["approver"], Revision.objects.get(pk=revision.pk))
            outcomes.append("approved")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=approve) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["approved", "conflict"]
    assert AuditEvent.objects.filter(action="revision.approve", revision=revision).count() == 1


def test_answering_revision_copies_layers_and_carries_open_comments(people, revision):
    perform("submit", people["planner"], revision)
    client = APIClient()
    client.force_authenticate(people["reviewer"])
    pinned = client.post(f"/api/revisions/{revision.pk}/comments/", {
        "body": "<script>alert(1)</script> Lô L1 thiếu chỉ giới",
        "geometry": {"type": "Point", "coordinates": [107.5798, 16.468]},
    }, format="json")  # fmt: skip
    assert pinned.status_code == 201, pinned.content
    assert pinned.json()["geometry"]["type"] == "Point"
    perform("request_changes", people["reviewer"], revision)
    answer = actions.CreateRevision(
        user=people["planner"], project=revision.project, based_on=revision
    ).execute()
    assert answer.state == S.DRAFT
    assert Feature.objects.filter(layer__revision=answer).count() == 1
    assert Feature.objects.filter(layer__revision=revision).count() == 1  # original frozen
    client.force_authenticate(people["planner"])
    listed = client.get(f"/api/revisions/{answer.pk}/comments/").json()["comments"]
    assert [c["inherited"] for c in listed] == [True]
    assert listed[0]["body"].startswith("<script>")  # stored as text; pages escape it
    resolved = client.patch(
        f"/api/comments/{listed[0]['id']}/", {"status": "resolved"}, format="json"
    )
    assert resolved.status_code == 403  # the planner may not close the reviewer's thread
    client.force_authenticate(people["reviewer"])
    assert (
        client.patch(
            f"/api/comments/{listed[0]['id']}/", {"status": "resolved"}, format="json"
        ).json()["status"]
        == "resolved"
    )
    client.force_authenticate(people["planner"])
    assert client.get(f"/api/revisions/{answer.pk}/comments/").json()["comments"] == []


def test_hostile_comments_are_refused(people, revision):
    perform("submit", people["planner"], revision)
    client = APIClient()
    client.force_authenticate(people["reviewer"])
    url = f"/api/revisions/{revision.pk}/comments/"
    assert client.post(url, {"body": "x" * 20_000}, format="json").status_code == 400
    assert (
        client.post(url, {"body": "ok", "geometry": {"type": "Nope"}}, format="json").status_code
        == 400
    )
    client.force_authenticate(people["outsider"])
    assert client.post(url, {"body": "hi"}, format="json").status_code == 404  # invisible revision
    perform("reject", people["approver"], revision)
    client.force_authenticate(people["reviewer"])
    assert client.post(url, {"body": "late"}, format="json").status_code == 409


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        ({"type": "GeometryCollection", "geometries": []}, "is empty"),
        ({"type": "Point", "coordinates": []}, "is empty"),
        ({"type": "Point", "coordinates": [16.468, 107.5798]}, "outside Viet Nam"),  # swapped
        ({"type": "Point", "coordinates": [0, 0]}, "outside Viet Nam"),
        (
            {
                "type": "Point",
                "coordinates": [107.5798, 16.468],
                "crs": {"type": "name", "properties": {"name": "EPSG:99999"}},
            },
            "without crs",
        ),
    ],
)
def test_a_comment_pin_must_mark_a_place_in_viet_nam(people, revision, geometry, message):
    perform("submit", people["planner"], revision)
    client = APIClient()
    client.force_authenticate(people["reviewer"])
    url = f"/api/revisions/{revision.pk}/comments/"
    refused = client.post(
        url, {"body": "ok", "geometry": geometry}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert refused.status_code == 400
    assert message in refused.json()["detail"]
    assert not revision.comments.exists()


def test_reviewers_do_not_see_drafts(people, revision):
    client = APIClient()
    client.force_authenticate(people["reviewer"])
    assert client.get(f"/api/revisions/{revision.pk}/").status_code == 404
    perform("submit", people["planner"], revision)
    assert client.get(f"/api/revisions/{revision.pk}/").json()["state"] == "submitted"


def test_balance_table_json_csv_xlsx(people, revision):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(people["planner"])
    body = client.get(f"/api/revisions/{revision.pk}/balance/").json()
    assert body["rows"][0]["code"] == "DO"
    assert body["rows"][0]["area"] == pytest.approx(10_000.0)
    assert body["boundary_area"] == pytest.approx(9_000_000.0)
    csv_text = client.get(f"/api/revisions/{revision.pk}/balance/?download=csv").content.decode(
        "utf-8-sig"
    )
    assert csv_text.splitlines()[1].startswith("DO,")
    xlsx = client.get(f"/api/revisions/{revision.pk}/balance/?download=xlsx").content
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(xlsx)).active
    assert sheet["A2"].value == "DO"
    assert sheet["C2"].value == pytest.approx(10_000.0)
    assert [cell.value for cell in sheet[1]] == [
        "Code",
        "Category",
        "Area (m²)",
        "Share (%)",
        "Lots",
    ]


def test_balance_downloads_read_as_a_vietnamese_spreadsheet_reads(people, revision):
    """QA walk: English headers and total, "5600.0" with comma-separated fields, which
    Excel set to Vietnamese misreads. In Vietnamese: its headers, decimal commas and
    semicolons between fields; the XLSX keeps typed numbers."""
    client = APIClient(HTTP_ACCEPT_LANGUAGE="vi")
    client.force_authenticate(people["planner"])
    url = f"/api/revisions/{revision.pk}/balance/"
    lines = client.get(url + "?download=csv").content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Mã;Loại đất;Diện tích (m²);Tỷ lệ (%);Số lô"
    assert lines[1].startswith("DO;")
    assert ";10000,0;" in lines[1]
    assert lines[-1].startswith("Tổng cộng;;10000,0;")
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(client.get(url + "?download=xlsx").content)).active
    assert sheet["A1"].value == "Mã"
    assert sheet["C2"].value == pytest.approx(10_000.0)
    assert sheet.cell(sheet.max_row, 1).value == "Tổng cộng"


def test_changes_against_the_answered_revision(people, revision):
    perform("submit", people["planner"], revision)
    perform("request_changes", people["reviewer"], revision)
    answer = actions.CreateRevision(
        user=people["planner"], project=revision.project, based_on=revision
    ).execute()
    layer = Layer.objects.get(revision=answer)
    lot = Feature.objects.get(layer=layer)
    lot.attributes = {"code": "L1", "function": "CX"}
    lot.save()
    Feature.objects.create(
        layer=layer, geom=square(HUE_X + 200, HUE_Y, 50), attributes={"code": "L9"}
    )
    client = APIClient()
    client.force_authenticate(people["planner"])
    body = client.get(f"/api/revisions/{answer.pk}/changes/").json()
    assert body["against"] == revision.pk
    found = {f["properties"]["code"]: f["properties"]["change"] for f in body["features"]}
    assert found == {"L1": "attributes", "L9": "added"}


def test_notifications_reach_the_reviewers(people, revision, mailoutbox):
    people["reviewer"].email = "reviewer@example.vn"
    people["reviewer"].save()
    perform("submit", people["planner"], revision)
    # on_commit callbacks do not run inside the test transaction; run the notifier directly
    from planning import notifications

    assert notifications.revision_changed(revision, "revision.submit") == 1
    assert mailoutbox[-1].to == ["reviewer@example.vn"]
    assert "flow" in mailoutbox[-1].subject


def test_plans_in_force_on_a_date(people, revision):
    from datetime import timedelta

    from django.utils import timezone

    first = perform("approve", people["approver"], move(revision, S.IN_REVIEW))
    answer = actions.CreateRevision(
        user=people["planner"], project=first.project, based_on=first
    ).execute()
    Feature.objects.filter(layer__revision=answer).update(
        attributes={"code": "L1-new", "function": "CX"}
    )
    perform("approve", people["approver"], move(answer, S.IN_REVIEW))
    now = timezone.now()
    Revision.objects.filter(pk=first.pk).update(
        approved_at=now - timedelta(days=30), superseded_at=now - timedelta(days=10)
    )
    Revision.objects.filter(pk=answer.pk).update(approved_at=now - timedelta(days=10))
    client = APIClient()

    def codes(query: str) -> set[str]:
        body = client.get(f"/api/features/{query}").json()
        return {f["properties"]["code"] for f in body["features"]}

    day = lambda n: (now - timedelta(days=n)).date().isoformat()  # noqa: E731
    assert codes(f"?at={day(20)}") == {"L1"}
    assert codes(f"?at={day(5)}") == {"L1-new"}
    assert codes(f"?at={day(40)}") == set()
    assert codes("") == {"L1-new"}
    assert client.get("/api/features/?at=yesterday").status_code == 400


def test_declared_balance_is_compared_with_the_lots(people, revision):
    client = APIClient()
    client.force_authenticate(people["planner"])
    url = f"/api/revisions/{revision.pk}/balance/"
    assert client.put(url, {"declared": {"DO": "abc"}}, format="json").status_code == 400
    body = client.put(url, {"declared": {"do": 12_000, "CX": 500}}, format="json").json()
    assert body["declared"] == {"DO": 12_000.0, "CX": 500.0}
    findings = client.post(f"/api/revisions/{revision.pk}/qa/").json()["features"]
    declared = [
        f["properties"]["message"]
        for f in findings
        if f["properties"]["rule"] == "balance.declared"
    ]
    assert len(declared) == 2  # DO differs by 20 %, CX is declared but absent
    assert any("DO" in m and "12.000,0" in m for m in declared)  # Vietnamese separators
    client.force_authenticate(people["reviewer"])
    perform("submit", people["planner"], move(revision, S.DRAFT))
    # Role before state: the reviewer may not edit at all (403), the planner not any more.
    assert client.put(url, {"declared": {"DO": 1}}, format="json").status_code == 403
    client.force_authenticate(people["planner"])
    assert client.put(url, {"declared": {"DO": 1}}, format="json").status_code == 409  # frozen


def test_invalid_geometry_is_reported_and_repaired(people, revision):
    layer = Layer.objects.get(revision=revision)
    with connection.cursor() as cursor:  # a bow-tie lot: self-intersecting, invalid
        cursor.execute(
            "INSERT INTO planning_feature (layer_id, geom, attributes, category, source_ref) VALUES "
            "(%s, ST_GeomFromText('POLYGON((561900 1821500, 561950 1821550, 561950 1821500, "
            '561900 1821550, 561900 1821500))\', 9214), \'{"code": "X", "function": "CX"}\', \'CX\', \'\')',
            [layer.pk],
        )
    client = APIClient()
    client.force_authenticate(people["planner"])
    findings = client.post(f"/api/revisions/{revision.pk}/qa/").json()["features"]
    assert "geometry.invalid" in {f["properties"]["rule"] for f in findings}
    client.force_authenticate(people["outsider"])
    assert client.post(f"/api/revisions/{revision.pk}/qa/repair/").status_code == 404
    client.force_authenticate(people["planner"])
    repaired = client.post(f"/api/revisions/{revision.pk}/qa/repair/").json()
    assert repaired["repaired"] == 1
    rules = {
        f["properties"]["rule"]
        for f in client.get(f"/api/revisions/{revision.pk}/qa/").json()["features"]
    }
    assert "geometry.invalid" not in rules
    fixed = Feature.objects.get(layer=layer, attributes__code="X")
    assert fixed.geom.valid
    assert fixed.geom.geom_type == "MultiPolygon"


def test_approval_supersedes_overlapping_lots_of_other_projects_once_confirmed(people, revision):
    # Another project's plan in force covers lot L1's place: lot N1 (overlaps) and N2 (apart).
    neighbour = make_plan(people["planner"], people["approver"], "neighbour", [
        (square(HUE_X + 50, HUE_Y, 100), {"code": "N1", "function": "HH"}),
        (square(HUE_X + 400, HUE_Y, 100), {"code": "N2", "function": "HH"}),
    ], approve=True)  # fmt: skip
    move(revision, S.IN_REVIEW)
    client = APIClient()
    client.force_authenticate(people["approver"])
    url = f"/api/revisions/{revision.pk}/approve/"
    refused = client.post(url, {"decision_number": "7/QĐ"}, format="json")
    assert refused.status_code == 409
    assert [o["lot"] for o in refused.json()["overlaps"]] == ["N1"]
    assert refused.json()["overlaps"][0]["area"] == pytest.approx(5000.0)
    revision.refresh_from_db()
    assert revision.state == S.IN_REVIEW  # nothing changed
    approved = client.post(
        url, {"decision_number": "7/QĐ", "supersede_overlaps": True}, format="json"
    )
    assert approved.json()["state"] == "approved"
    neighbour.refresh_from_db()
    assert neighbour.state == S.APPROVED  # the other project's plan stays in force ...
    public = APIClient()
    codes = {f["properties"]["code"] for f in public.get("/api/features/").json()["features"]}
    assert codes == {"L1", "N2"}  # ... without the superseded lot
    from planning.visibility import service_features

    assert set(service_features(None).values_list("attributes__code", flat=True)) == {"L1", "N2"}
    with connection.cursor() as cursor:
        cursor.execute("SELECT attributes->>'code' FROM planning_feature_in_force ORDER BY 1")
        assert [row[0] for row in cursor.fetchall()] == ["L1", "N2"]
    from datetime import timedelta

    from django.utils import timezone

    before = (timezone.now() - timedelta(minutes=5)).isoformat()
    Revision.objects.filter(pk=neighbour.pk).update(approved_at=timezone.now() - timedelta(days=1))
    history = public.get("/api/features/", {"at": before}).json()["features"]
    assert {f["properties"]["code"] for f in history} == {"N1", "N2"}  # history keeps N1
    audit = AuditEvent.objects.get(action="revision.approve", revision=revision)
    assert audit.detail["superseded_lots"][0]["lot"] == "N1"


@pytest.mark.parametrize("name", ["start_review", "request_changes", "approve", "reject"])
def test_the_author_never_judges_their_own_revision(people, revision, admin_user_t, name):
    """Four eyes: a planner who is also the project's approver, or a staff member, cannot
    review or decide on a revision they wrote; another member of the board can."""
    author = people["planner"]
    Membership.objects.create(project=revision.project, user=author, role="approver")
    perform("submit", author, revision)
    if name != "start_review":
        perform("start_review", people["approver"], revision)
    before = Revision.objects.get(pk=revision.pk).state
    with pytest.raises(Forbidden, match="author"):
        perform(name, author, Revision.objects.get(pk=revision.pk))
    Revision.objects.filter(pk=revision.pk).update(author=admin_user_t)
    with pytest.raises(Forbidden, match="author"):
        perform(name, admin_user_t, Revision.objects.get(pk=revision.pk))
    assert Revision.objects.get(pk=revision.pk).state == before
    decided = perform(name, people["approver"], Revision.objects.get(pk=revision.pk))
    assert decided.state == TRANSITIONS[name][0].target


def test_refusals_and_form_errors_read_wholly_in_vietnamese(people, revision):
    """Role names, the model's name in Django's unique-field message and REST framework's
    field errors, which their own catalogues leave in English, come from ours."""
    perform("submit", people["planner"], revision)
    client = APIClient()
    client.force_authenticate(people["reviewer"])
    refused = client.post(
        f"/api/revisions/{revision.pk}/approve/", {}, format="json", HTTP_ACCEPT_LANGUAGE="vi"
    )
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Chỉ người phê duyệt của đồ án mới được làm việc này."
    client.force_authenticate(people["planner"])
    form = client.post(
        "/api/projects/",
        {"code": revision.project.code, "name": "X", "level": "chung", "scale": "abc"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="vi",
    ).json()
    assert form["code"] == ["đồ án quy hoạch có mã đã tồn tại."]
    assert form["scale"] == ["Cần một số nguyên hợp lệ."]
    assert form["level"] == ['"chung" không phải là lựa chọn hợp lệ.']
