"""The dossier PDF: it opens, and holds the title, balance, QA, comments and decision."""

from __future__ import annotations

import pytest
from django.utils import translation

from planning import qa
from planning.actions import ApproveRevision, CreateProject, CreateRevision, StartReview
from planning.comments import CreateComment
from tests.dossier.conftest import HOSTILE, client_for, dossier_url, pdf_text, squeeze
from tiles.dossier import number

# The map needs committed data (test_dossier_map.py); the text of the PDF does not.
pytestmark = pytest.mark.django_db


def get_text(user, revision, language: str | None = None) -> str:
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    response = client_for(user).get(dossier_url(revision), **headers)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    return pdf_text(response.content)


def test_reviewer_gets_the_dossier_as_a_private_attachment(reviewer, submitted):
    response = client_for(reviewer).get(dossier_url(submitted))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="dossier-dossier-r1.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert "Accept-Language" in response["Vary"]


def test_dossier_holds_title_balance_qa_and_comments_in_vietnamese(reviewer, submitted):
    text = get_text(reviewer, submitted)  # no Accept-Language: the default language, vi
    assert "Quy hoạch dossier" in text
    assert "Hồ sơ thẩm định" in text
    assert "Bảng cân bằng sử dụng đất" in text
    assert "Quy hoạch chi tiết" in text
    assert "1/500" in text
    # Balance rows as printed: code, catalogue name, area with Vietnamese separators.
    assert "TDTT Đất thể dục thể thao 10.000,00 0,11 1" in text
    assert "YT Đất y tế 10.000,00 0,11 1" in text
    assert "20.000,00" in text  # total
    assert "9.000.000,00" in text  # the boundary area it is compared with
    with translation.override("vi"):
        finding = submitted.findings.get(rule="conflicts.in_force", params__code="C1")
        message = qa.message_of(finding)
    assert "C1" in message
    assert message != qa.REGISTRY["conflicts.in_force"].message
    assert squeeze(message) in text
    assert "Số quyết định" not in text  # not decided yet


def test_hostile_comment_text_stays_literal(reviewer, submitted):
    text = get_text(reviewer, submitted)
    assert squeeze(HOSTILE) in text
    assert "Đã sửa theo ý kiến." in text
    assert "reviewer_t" in text
    assert "planner_t" in text


def test_english_labels_when_the_caller_asks(reviewer, submitted):
    text = get_text(reviewer, submitted, "en")
    assert "Review dossier" in text
    assert "Land-use balance" in text
    assert "TDTT Sports land 10,000.00 0.11 1" in text
    assert "Lot C1 overlaps 4,000.0 m² of lot A1 of the plan in force inforce." in text
    assert "Bảng cân bằng" not in text


def test_decision_appears_after_approval(reviewer, submitted):
    StartReview(user=reviewer, revision=submitted).execute()
    ApproveRevision(
        user=reviewer,
        revision=submitted,
        decision_number="42/QĐ-UBND",
        decision_signer="Nguyễn Văn Bình",
        note="Đồng ý với điều kiện bổ sung hạ tầng.",
        supersede_overlaps=True,  # lot C1 overlaps lot A1 of the plan in force
        acknowledge_open_comments=1,  # the hostile comment stays open
    ).execute()
    text = get_text(None, submitted)  # now in force: anonymous callers get it too
    assert "Quyết định" in text
    assert "42/QĐ-UBND" in text
    assert "Nguyễn Văn Bình" in text
    assert "Đồng ý với điều kiện bổ sung hạ tầng." in text
    assert "Đã phê duyệt (có hiệu lực)" in text


def test_people_are_named_by_their_names_not_their_logins(reviewer, submitted):
    """The published dossier printed the approver's login (QA walk)."""
    reviewer.first_name, reviewer.last_name = "Lan", "Trần Thị"
    reviewer.save(update_fields=["first_name", "last_name"])
    StartReview(user=reviewer, revision=submitted).execute()
    ApproveRevision(
        user=reviewer,
        revision=submitted,
        decision_number="43/QĐ-UBND",
        supersede_overlaps=True,
        acknowledge_open_comments=1,
    ).execute()
    text = get_text(None, submitted)
    assert "Lan Trần Thị" in text  # decided by, and the reviewer's comment
    assert "reviewer_t" not in text
    assert "planner_t" in text  # no name given: the login it is


def test_huge_comment_without_spaces_still_builds(reviewer, submitted):
    body = "<b>" + "A" * 9_000 + "</b>"
    CreateComment(user=reviewer, revision=submitted, body=body).execute()
    text = get_text(reviewer, submitted)
    assert "<b>AAAA" in text
    assert text.count("A") >= 9_000


def test_formatting_of_numbers_follows_the_language():
    with translation.override("vi"):
        assert number(1234567.891) == "1.234.567,89"
    with translation.override("en"):
        assert number(1234567.891) == "1,234,567.89"


def test_an_empty_revision_without_boundary_still_has_a_dossier(planner):
    project = CreateProject(
        user=planner, code="empty", name="Đồ án trống", level="zoning", scale=2000
    ).execute()
    revision = CreateRevision(user=planner, project=project).execute()
    text = get_text(planner, revision)
    assert "Đồ án trống" in text
    assert "Phiên bản không có đối tượng nào để thể hiện trên bản đồ." in text
    assert "Phiên bản không có lô đất nào." in text
    assert "Không có phát hiện nào." in text
    assert "Không có góp ý." in text
