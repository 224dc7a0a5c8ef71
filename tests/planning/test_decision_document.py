"""The approval decision: its signed PDF is served to those who see the revision, and its
date, number and signer are checked; the review page and the dossier link the PDF."""

from __future__ import annotations

import os
import re
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone, translation
from playwright.sync_api import expect, sync_playwright

from planning.actions import ApproveRevision, CreateRevision, RequestChanges, SubmitRevision
from planning.errors import InvalidInput
from planning.models import Membership, Revision
from tests.conftest import HUE_X, HUE_Y, make_plan, square
from tests.dossier.conftest import pdf_text
from tests.webmap.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.django_db

SIGNED = b"%PDF-1.4\n% the signed decision of the people's committee\n%%EOF\n"
PRIVATE = "private, no-store"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def member(planner, reviewer) -> User:
    return User.objects.create_user("member_t", password="pw")


@pytest.fixture
def submitted(planner, reviewer, member) -> Revision:
    revision = make_plan(
        planner,
        reviewer,
        "QH/2026 Huế",  # a code with characters a file name must not carry
        [(square(HUE_X + 1500, HUE_Y + 1500, 100), {"code": "D1", "function": "DO"})],
        approve=False,
    )
    Membership.objects.create(project=revision.project, user=member, role=Membership.Role.REVIEWER)
    SubmitRevision(user=planner, revision=revision).execute()
    return revision


def client_of(request, who: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    return client


def approve(client: Client, revision: Revision, **fields):
    data = {"decision_number": "12/QĐ-UBND", "decision_signer": "Nguyễn Văn A", **fields}
    return client.post(f"/api/revisions/{revision.pk}/approve/", data)


@pytest.fixture
def approved(submitted, reviewer) -> Revision:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(reviewer)
    document = SimpleUploadedFile("signed.pdf", SIGNED, content_type="application/pdf")
    response = approve(client, submitted, decision_document=document)
    assert response.status_code == 200, response.content
    submitted.refresh_from_db()
    return submitted


def document_url(revision: Revision) -> str:
    return f"/api/revisions/{revision.pk}/decision.pdf"


# --- serving the signed decision ----------------------------------------------------------


def test_the_api_gives_the_served_url(request, approved):
    body = client_of(request, "anonymous").get(f"/api/revisions/{approved.pk}/").json()
    assert body["decision_document"] == "http://testserver" + document_url(approved)


@pytest.mark.parametrize("who", ["anonymous", "outsider", "member", "planner"])
def test_a_published_decision_is_served_to_everyone(request, approved, who):
    url = client_of(request, who).get(f"/api/revisions/{approved.pk}/").json()
    response = client_of(request, who).get(url["decision_document"])
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == SIGNED
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == (
        f'inline; filename="decision-QH-2026-Hu-r{approved.number}.pdf"'
    )
    expected = "public, max-age=300" if who == "anonymous" else PRIVATE
    assert response["Cache-Control"] == expected


def test_head_is_answered_too(request, approved):
    response = client_of(request, "anonymous").head(document_url(approved))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def test_a_superseded_decision_stays_public(request, approved, planner, reviewer):
    newer = CreateRevision(user=planner, project=approved.project, based_on=approved).execute()
    SubmitRevision(user=planner, revision=newer).execute()
    client = Client()
    client.force_login(reviewer)
    assert approve(client, newer).status_code == 200
    approved.refresh_from_db()
    assert approved.state == "superseded"
    response = client_of(request, "anonymous").get(document_url(approved))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == SIGNED


@pytest.fixture
def unpublished_with_document(submitted) -> Revision:
    """No workflow leaves a document on an unpublished revision; the view must not rely on
    that."""
    submitted.decision_document.save("decision-x.pdf", ContentFile(SIGNED), save=False)
    Revision.objects.filter(pk=submitted.pk).update(decision_document=submitted.decision_document)
    submitted.refresh_from_db()
    assert submitted.state == "submitted"
    return submitted


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_an_unpublished_revisions_document_is_a_404_like_a_missing_revision(
    request, unpublished_with_document, who
):
    client = client_of(request, who)
    hidden = client.get(document_url(unpublished_with_document))
    missing = client.get("/api/revisions/987654321/decision.pdf")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    assert hidden["Cache-Control"] == PRIVATE


@pytest.mark.parametrize("who", ["member", "planner"])
def test_members_read_an_unpublished_revisions_document_privately(
    request, unpublished_with_document, who
):
    response = client_of(request, who).get(document_url(unpublished_with_document))
    assert response.status_code == 200
    assert response["Cache-Control"] == PRIVATE


def test_a_revision_without_document_has_none(request, submitted):
    client = client_of(request, "member")
    assert client.get(f"/api/revisions/{submitted.pk}/").json()["decision_document"] is None
    assert client.get(document_url(submitted)).status_code == 404


def test_a_missing_file_is_a_404_not_a_500(request, approved):
    approved.decision_document.delete(save=False)
    assert client_of(request, "anonymous").get(document_url(approved)).status_code == 404


def test_media_root_is_not_served(request, approved):
    client = client_of(request, "reviewer")
    name = approved.decision_document.name
    for path in (f"/{name}", f"/media/{name}", "/media/", "/decisions/"):
        assert client.get(path).status_code == 404, path


def test_token_callers_are_authenticated(approved, member):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=member)
    response = Client().get(document_url(approved), HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert response["Cache-Control"] == PRIVATE
    bad = Client().get(document_url(approved), HTTP_AUTHORIZATION="Token wrong")
    assert bad.status_code == 401


# --- links from the review page and the dossier ---------------------------------------------


def test_the_review_page_links_the_document(request, approved):
    html = client_of(request, "member").get(f"/revisions/{approved.pk}/review/").content.decode()
    assert 'id="decision-document-link" target="_blank" rel="noopener"' in html
    assert f'href="{document_url(approved)}"' in html


def test_the_dossier_links_the_document(request, approved):
    response = client_of(request, "anonymous").get(f"/api/revisions/{approved.pk}/dossier.pdf")
    text = pdf_text(response.content)
    assert "Signed decision (PDF)" in text
    assert "http://testserver" + document_url(approved) in text
    assert f"/URI (http://testserver{document_url(approved)})".encode() in response.content


def test_the_dossier_without_document_has_no_link(request, submitted, reviewer):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(reviewer)
    assert approve(client, submitted).status_code == 200
    text = pdf_text(client.get(f"/api/revisions/{submitted.pk}/dossier.pdf").content)
    assert "Signed decision" not in text


# --- the dossier's labels --------------------------------------------------------------------


def test_the_dossier_tells_workflow_moments_from_the_decision_date(request, approved):
    """One label per meaning: the date on the signed decision is the only "decision date"
    (the title block's moments of the workflow read "… at")."""
    for language, date_label, others in (
        ("en", "Decision date", ("Approved at", "Decided at", "Note")),
        # "Approved at" reads "Thời điểm phê duyệt" once /tmp/i18n/decisions.json is merged.
        ("vi", "Ngày quyết định", ("Thời điểm quyết định", "Ghi chú")),
    ):
        client = client_of(request, "anonymous")
        pdf = client.get(f"/api/revisions/{approved.pk}/dossier.pdf", HTTP_ACCEPT_LANGUAGE=language)
        text = pdf_text(pdf.content)
        assert text.count(date_label) == 1, (language, text)
        for label in others:
            assert label in text, (language, label)
        assert "Lý do" not in text
        assert "Reason" not in text


def test_the_dossier_of_a_change_request_gives_its_reason(request, submitted, reviewer):
    RequestChanges(user=reviewer, revision=submitted, note="Widen the road").execute()
    client = client_of(request, "member")
    text = pdf_text(client.get(f"/api/revisions/{submitted.pk}/dossier.pdf").content)
    assert re.search(r"Reason Widen the road", text)


def test_the_review_page_labels_an_approval_note_as_a_note(request, submitted, reviewer):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(reviewer)
    assert approve(client, submitted, note="Effective with the decision").status_code == 200
    html = client.get(f"/revisions/{submitted.pk}/review/").content.decode()
    assert '<dt>Note</dt><dd class="pre-line">Effective with the decision</dd>' in html


# --- the decision's fields -------------------------------------------------------------------


def project_today():
    return timezone.localdate(timezone.now(), timezone.get_default_timezone())


@pytest.fixture
def approver_client(reviewer) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(reviewer)
    return client


def test_a_decision_date_after_today_is_refused(approver_client, submitted):
    tomorrow = project_today() + timedelta(days=1)
    for value in ("2099-01-01", tomorrow.isoformat()):
        response = approve(approver_client, submitted, decision_date=value)
        assert response.status_code == 400
        assert response.json() == {"decision_date": ["The decision date cannot be after today."]}
    submitted.refresh_from_db()
    assert submitted.state == "submitted"
    assert submitted.decision_date is None


def test_a_decision_date_before_1945_is_refused(approver_client, submitted):
    response = approve(approver_client, submitted, decision_date="0226-05-01")
    assert response.status_code == 400
    assert response.json() == {"decision_date": ["The decision date cannot be before 1945."]}


def test_today_in_the_projects_time_zone_is_accepted(approver_client, submitted):
    today = project_today()
    response = approve(approver_client, submitted, decision_date=today.isoformat())
    assert response.status_code == 200
    assert response.json()["decision_date"] == today.isoformat()


def test_an_older_decision_is_accepted(approver_client, submitted):
    """Plans approved long ago are entered too: the date need not follow the submission."""
    response = approve(approver_client, submitted, decision_date="1998-03-12")
    assert response.status_code == 200


@pytest.mark.parametrize("field", ["decision_number", "decision_signer"])
def test_decision_number_and_signer_are_single_lines(approver_client, submitted, field):
    response = approve(approver_client, submitted, **{field: "12/QĐ\nforged line"})
    assert response.status_code == 400
    assert response.json() == {field: ["Enter a single line of text."]}


def test_decision_number_is_required_and_bounded(approver_client, submitted):
    assert approve(approver_client, submitted, decision_number=" ").status_code == 400
    assert approve(approver_client, submitted, decision_number="9" * 101).status_code == 400
    assert approve(approver_client, submitted, decision_signer="A" * 201).status_code == 400


# The rules hold on every path, not only the API's form: the workflow refuses too.
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"decision_date": "future"}, "The decision date cannot be after today."),
        ({"decision_date": "1900"}, "The decision date cannot be before 1945."),
        ({"decision_number": "12/QĐ\nforged"}, "Enter a single line of text."),
        ({"decision_signer": "A\rB"}, "Enter a single line of text."),
        ({"decision_signer": "A\u2028B"}, "Enter a single line of text."),
        ({"decision_number": "12\u2029QĐ"}, "Enter a single line of text."),
        ({"decision_number": "9" * 101}, "The decision number is longer than 100 characters."),
        ({"decision_signer": "A" * 201}, "The signer's name is longer than 200 characters."),
        ({"decision_number": " "}, "An approval needs the decision number."),
        ({"decision_document": "html"}, "The decision document must be a PDF."),
    ],
)
def test_the_workflow_enforces_the_decision_rules(submitted, reviewer, fields, message):
    when = {"future": project_today() + timedelta(days=1), "1900": date(1900, 5, 1)}
    documents = {"html": ContentFile(b"<html>not a pdf</html>", name="d.pdf")}
    arguments = {"decision_number": "12/QĐ-UBND", **fields}
    if "decision_date" in fields:
        arguments["decision_date"] = when[fields["decision_date"]]
    if "decision_document" in fields:
        arguments["decision_document"] = documents[fields["decision_document"]]
    with translation.override("en"), pytest.raises(InvalidInput) as refused:
        ApproveRevision(user=reviewer, revision=submitted, **arguments).execute()
    assert refused.value.message == message
    submitted.refresh_from_db()
    assert (submitted.state, submitted.decision_number, submitted.decision_document.name) == (
        "submitted",
        "",
        "",
    )


def test_the_workflow_accepts_a_valid_decision(submitted, reviewer):
    document = ContentFile(SIGNED, name="d.pdf")
    ApproveRevision(
        user=reviewer,
        revision=submitted,
        decision_number=" 12/QĐ-UBND ",
        decision_date=date(2020, 1, 6),
        decision_document=document,
    ).execute()
    submitted.refresh_from_db()
    assert (submitted.state, submitted.decision_number) == ("approved", "12/QĐ-UBND")
    assert submitted.decision_date == date(2020, 1, 6)
    assert submitted.decision_document.read() == SIGNED


def test_the_review_pages_date_input_stops_at_today(approver_client, submitted):
    html = approver_client.get(f"/revisions/{submitted.pk}/review/").content.decode()
    today = project_today().isoformat()
    date_input = re.search(r'<input type="date" id="decision-date"[^>]*>', html).group(0)
    assert f'max="{today}"' in date_input
    assert 'min="1945-01-01"' in date_input


# --- in the browser ------------------------------------------------------------------------


@pytest.fixture
def browser():
    """Debian's Chromium, as in tests/webmap (whose fixtures are not visible here)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium package is not installed")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def signed_in_page(browser, live_server, user: User):
    """A page of a browser context carrying `user`'s session (the login page has its tests)."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="en-GB", viewport={"width": 1360, "height": 860})
    cookie = client.cookies["sessionid"]
    context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])
    return context.new_page()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_approval_form_refuses_a_future_date_then_links_the_signed_pdf(
    live_server, browser, submitted, reviewer, tmp_path
):
    page = signed_in_page(browser, live_server, reviewer)
    page.goto(f"{live_server.url}/revisions/{submitted.pk}/review/")
    page.wait_for_selector("body[data-review-ready='true']", timeout=30_000)
    page.click("[data-open-form='approve']")
    form = "form[data-action='approve']"
    page.fill(f"{form} input[name=decision_number]", "12/QĐ-UBND")
    page.fill(f"{form} input[name=decision_date]", "2099-01-01")
    assert page.eval_on_selector(f"{form} input[name=decision_date]", "i => i.validity.valid") is (
        False
    )
    # Past the browser's check (an old browser, a crafted request): the server refuses too.
    page.eval_on_selector(form, "f => { f.noValidate = true; }")
    page.click(f"{form} button[type=submit]")
    expect(page.locator("#review-status")).to_contain_text(
        "The decision date cannot be after today.", timeout=30_000
    )
    assert Revision.objects.get(pk=submitted.pk).state == "submitted"

    page.fill(f"{form} input[name=decision_date]", project_today().isoformat())
    (tmp_path / "signed.pdf").write_bytes(SIGNED)
    page.set_input_files(f"{form} input[name=decision_document]", str(tmp_path / "signed.pdf"))
    page.click(f"{form} button[type=submit]")
    expect(page.locator("#revision-state")).to_have_attribute(
        "data-state", "approved", timeout=30_000
    )
    page.reload()
    link = page.locator("#decision-document-link")
    expect(link).to_have_attribute("href", document_url(submitted))
    response = page.request.get(f"{live_server.url}{document_url(submitted)}")
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body() == SIGNED
    page.context.close()
