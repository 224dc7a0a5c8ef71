"""Our own messages in the reader's language: the CAD report, the approval form's errors,
PostGIS's validity reasons in QA findings, not-found answers of the API and the site, and the
QA panel's state. Stored reports and `import_cad --json` stay English."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.contrib.auth.models import User
from django.contrib.gis.geos import GEOSGeometry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import translation
from playwright.sync_api import expect
from rest_framework.test import APIClient

from importers import report as messages
from planning import jobs, qa
from planning.actions import SubmitRevision
from planning.models import Feature, Job, Layer, Revision
from tests.cad.drawings import MAPPING, plan_drawing
from tests.webmap.test_review_browser import WAIT, open_review, sign_in

BOW_TIE = (
    "POLYGON((561714 1821449, 561764 1821499, 561764 1821449, 561714 1821499, 561714 1821449))"
)


def api(user: User | None, language: str) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_authenticate(user)
    return client


def in_language(language: str, text: str) -> str:
    with translation.override(language):
        return translation.gettext(text)


# The CAD report --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_cad_report_is_stored_in_english_and_read_in_the_callers_language(
    planner, draft_plan, tmp_path
):
    with plan_drawing(tmp_path / "plan.dxf").open("rb") as handle:
        started = api(planner, "vi").post(
            f"/api/revisions/{draft_plan.pk}/cad/jobs/",
            {"file": handle, "mapping": json.dumps(MAPPING), "crs": "EPSG:9214"},
            format="multipart",
        )
    assert started.status_code == 202, started.content
    jobs.run_worker_until_idle()
    job_id = started.json()["id"]
    stored = Job.objects.get(pk=job_id).report
    assert [i["problem"] for i in stored["label_issues"]] == ["no label inside the lot"]
    ignored = [n for n in stored["notes"] if n.startswith("CAD layer 'KHUNG_TEN' ignored (")]
    assert len(ignored) == 1

    english = api(planner, "en").get(f"/api/jobs/{job_id}/").json()["report"]
    assert english["label_issues"] == stored["label_issues"]
    assert english["notes"] == stored["notes"]

    vietnamese = api(planner, "vi").get(f"/api/jobs/{job_id}/").json()["report"]
    assert [i["problem"] for i in vietnamese["label_issues"]] == ["không có nhãn trong lô"]
    count = ignored[0].rsplit(": ", 1)[1].rstrip(")")
    assert count.isdecimal()
    assert f"Đã bỏ qua lớp CAD 'KHUNG_TEN' (số đối tượng: {count})" in vietnamese["notes"]
    assert vietnamese["features"] == stored["features"]  # only the messages change


def import_cad_in_vietnamese(draft_plan, tmp_path, *options: str) -> str:
    """What `manage.py import_cad` prints for the plan drawing, run in Vietnamese."""
    out = io.StringIO()
    with translation.override("vi"):
        call_command(
            "import_cad",
            str(plan_drawing(tmp_path / "plan.dxf")),
            "--project",
            draft_plan.project.code,
            "--mapping",
            json.dumps(MAPPING),
            "--no-progress",
            *options,
            stdout=out,
        )
    return out.getvalue()


@pytest.mark.django_db
def test_import_cad_json_output_stays_english(planner, draft_plan, tmp_path):
    printed = json.loads(import_cad_in_vietnamese(draft_plan, tmp_path, "--json"))
    assert [i["problem"] for i in printed["label_issues"]] == ["no label inside the lot"]
    assert any(n.startswith("CAD layer 'KHUNG_TEN' ignored (") for n in printed["notes"])
    # the warnings written during the import too, not the Vietnamese of the active language
    assert printed["warnings"] == [
        "The drawing declares no coordinate system; EPSG:9214 was assumed. Choose the "
        "coordinate system if the drawing uses another one."
    ]


@pytest.mark.django_db
def test_import_cad_text_output_is_in_the_active_language(planner, draft_plan, tmp_path):
    printed = import_cad_in_vietnamese(draft_plan, tmp_path, "--crs", "EPSG:9214")
    assert "Đã bỏ qua lớp CAD 'KHUNG_TEN' (số đối tượng: " in printed
    assert "không có nhãn trong lô" in printed
    assert "ignored (" not in printed
    lines = printed.splitlines()
    assert lines[0].startswith(f"Phiên bản {draft_plan.number + 1} (id ")
    assert "  landuse: 6 đối tượng" in lines  # the kind codes stay: they are what --mapping takes
    assert "  vấn đề về nhãn: 1" in lines
    assert not [line for line in lines if "features" in line or "label issues" in line]
    # each entry a line in the reader's words, not the --json report's fields
    (issue,) = [line for line in lines if "không có nhãn trong lô" in line]
    assert re.fullmatch(r"    tại \d+\.\d{3}, \d+\.\d{3}: không có nhãn trong lô", issue), issue
    assert "location" not in printed


SAMPLES = {
    messages.NO_FUNCTION: {},
    messages.SEVERAL_CODES: {"codes": "A1, A2"},
    messages.CONFLICTING_VALUES: {"values": "far 2 / 3"},
    messages.NO_ENTITY: {"kind": "roads"},
    messages.HIDDEN_CONVERTED: {
        "layer": "'LO is DAT'",
        "hidden": "frozen and off",
        "kind": "landuse",
    },
    messages.HIDDEN_IGNORED: {"layer": "'X'", "hidden": "off"},
    messages.LAYER_IGNORED: {"layer": "'KHUNG (TEN) ignored'", "count": 7},
    messages.UNREADABLE: {"error": "bad (nested) value"},
    messages.TOO_DEEP: {"depth": 8},
    messages.CANNOT_BOUND: {"type": "Point"},
    messages.HATCHES_MERGED: {"count": 3},
    messages.HANDLES_RENUMBERED: {"count": 2},
    messages.LEADER_WITHOUT_TEXT: {},
    messages.LEADER_TEXT_NOT_READ: {},
    messages.BALLOON_WITHOUT_VALUES: {},
    messages.LEADERS_PLACED: {"count": 4},
    messages.RECOVERED: {"fix": "Fixed invalid table head handle in table STYLE"},
    messages.RECOVERED_MORE: {"count": 21},
}


@pytest.mark.parametrize("message", list(SAMPLES), ids=lambda m: m.template[:30])
def test_every_report_message_is_recognised_and_translated(message):
    params = SAMPLES[message]
    text = message(**params)
    with translation.override("en"):
        english = messages.localized(text)
    if "kind" in params:  # shown by its label: "landuse" reads "Land-use lots and zones"
        assert english == text.replace(params["kind"], messages.kind_label(params["kind"]))
    else:
        assert english == text
    with translation.override("vi"):
        shown = messages.localized(text)
    assert shown != text
    for name, value in params.items():  # the user's own text is kept as it is
        if name in ("layer", "codes", "values", "error", "count", "depth", "type"):
            assert str(value) in shown


def test_every_report_message_has_a_vietnamese_translation():
    untranslated = [
        m.template for m in messages.MESSAGES if in_language("vi", m.template) == m.template
    ]
    assert untranslated == []


def test_unknown_texts_pass_unchanged():
    with translation.override("vi"):
        assert messages.localized("audit: 3 fixes") == "audit: 3 fixes"
        assert messages.localized_cad_report({"notes": [5]}) == {"notes": [5]}


# Approval form ---------------------------------------------------------------------------


@pytest.fixture
def submitted(draft_plan, planner) -> Revision:
    SubmitRevision(user=planner, revision=draft_plan).execute()
    return draft_plan


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"),
    [("vi", "Văn bản quyết định phải là tệp PDF."), ("en", "The decision document must be a PDF.")],
)
def test_a_decision_that_is_not_a_pdf_is_refused_in_the_callers_language(
    submitted, reviewer, language, expected
):
    response = api(reviewer, language).post(
        f"/api/revisions/{submitted.pk}/approve/",
        {
            "decision_number": "1/QĐ-UBND",
            "decision_document": SimpleUploadedFile("decision.pdf", b"not a pdf at all"),
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json() == {"decision_document": [expected]}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_approval_form_names_the_field_by_its_label(
    live_server, browser, submitted, reviewer, tmp_path
):
    path = f"/revisions/{submitted.pk}/review/"
    page = sign_in(browser, live_server, "reviewer_t", "pw-reviewer-test", path, "vi-VN")
    open_review(page, live_server, submitted.pk)
    page.click("[data-open-form='approve']")
    form = "form[data-action='approve']"
    page.fill(f"{form} input[name=decision_number]", "15/2026/QĐ-UBND")
    (tmp_path / "decision.pdf").write_bytes(b"a text file named .pdf")
    page.set_input_files(f"{form} input[name=decision_document]", str(tmp_path / "decision.pdf"))
    page.click(f"{form} button[type=submit]")
    status = page.locator("#review-status")
    label = page.locator("label[for=decision-document]").inner_text().strip()
    expect(status).to_have_text(f"{label}: Văn bản quyết định phải là tệp PDF.", timeout=WAIT)
    assert "decision_document" not in status.inner_text()
    assert not page.js_errors
    page.context.close()


# QA findings -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "reason"), [("vi", "Tự cắt nhau ["), ("en", "Self-intersection [")]
)
def test_validity_reasons_are_translated_and_keep_their_place(
    draft_plan, planner, language, reason
):
    Feature.objects.filter(layer__revision=draft_plan).update(geom=GEOSGeometry(BOW_TIE, srid=9214))
    qa.run(draft_plan)
    stored = draft_plan.findings.get(rule="geometry.invalid").params["reason"]
    assert stored.startswith("Self-intersection[")  # PostGIS's words are stored as they are
    location = stored[len("Self-intersection") :]
    body = api(planner, language).get(f"/api/revisions/{draft_plan.pk}/qa/").json()
    shown = [f["properties"]["message"] for f in body["features"]]
    assert any(f"{reason}{location[1:]}" in message for message in shown), shown


# Not found -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"), [("vi", "Không có phiên bản này."), ("en", "No such revision.")]
)
def test_the_api_says_not_found_in_the_callers_language(draft_plan, outsider, language, expected):
    for revision_id in (draft_plan.pk, 10**9):  # a draft of others reads like no revision
        response = api(outsider, language).get(f"/api/revisions/{revision_id}/")
        assert response.status_code == 404
        assert response.json() == {"detail": expected, "code": "NotFound"}
    assert "matches the given query" not in response.content.decode()


@pytest.mark.django_db
def test_other_api_objects_name_themselves_when_not_found(outsider):
    response = api(outsider, "en").get("/api/layers/999999999/")
    assert (response.status_code, response.json()["detail"]) == (404, "No such layer.")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "title"), [("vi", "Không tìm thấy trang"), ("en", "Page not found")]
)
def test_the_404_page_is_styled_and_translated(settings, draft_plan, outsider, language, title):
    settings.DEBUG = False
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(outsider)
    response = client.get(f"/projects/{draft_plan.project_id}/")
    assert response.status_code == 404
    page = response.content.decode()
    assert f"<h1>{title}</h1>" in page
    assert 'class="site-header"' in page  # webmap/base.html
    assert "dist/main.css" in page
    assert "Not Found" not in page
    assert "matches the given query" not in page


# The QA panel ----------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_qa_panel_says_not_checked_then_outdated(
    live_server, browser, draft_plan, planner, tmp_path
):
    path = f"/revisions/{draft_plan.pk}/review/"
    page = sign_in(browser, live_server, "planner_t", "pw-planner-test", path, "vi-VN")
    open_review(page, live_server, draft_plan.pk)
    summary, rerun = page.locator("#qa-summary"), page.locator("#qa-rerun")
    expect(summary).to_have_text("Chưa kiểm tra: hãy chạy kiểm tra.", timeout=WAIT)
    expect(rerun).to_have_text("Chạy kiểm tra")
    page.locator("#qa").screenshot(path=tmp_path / "qa-not-checked.png")
    rerun.click()
    expect(page.locator("#qa")).to_have_attribute("data-qa-status", "current", timeout=WAIT)
    assert "Chưa kiểm tra" not in summary.inner_text()

    Layer.objects.create(revision=draft_plan, kind="roads", name="Roads", created_by=planner)
    open_review(page, live_server, draft_plan.pk)
    expect(page.locator("#qa")).to_have_attribute("data-qa-status", "outdated", timeout=WAIT)
    expect(summary).to_contain_text(
        "Đã kiểm tra trước lần thay đổi gần nhất: hãy chạy lại kiểm tra."
    )
    expect(rerun).to_have_text("Chạy lại")
    page.locator("#qa").screenshot(path=tmp_path / "qa-outdated.png")
    assert not page.js_errors
    page.context.close()
