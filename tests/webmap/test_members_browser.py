"""In a real Chromium, in Vietnamese: an administrator assigns a reviewer to a new project on
its page, gets clear messages for an unknown account, removes the last approver and sees the
warning; the new reviewer then opens the submitted revision that was hidden from them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, expect

from planning.actions import SubmitRevision
from planning.models import AuditEvent, Membership, Revision
from tests.conftest import HUE_X, HUE_Y, make_plan, square
from tests.webmap.test_review_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VI = "vi-VN"


@pytest.fixture
def submitted(planner, reviewer) -> Revision:
    lots = [(square(HUE_X, HUE_Y + 600, 100), {"code": "C1", "function": "DO"})]
    revision = make_plan(planner, reviewer, "qa-plan2", lots, approve=False)
    return SubmitRevision(user=planner, revision=revision).execute()


@pytest.fixture
def board(db) -> User:
    return User.objects.create_user("board_t", password="pw-board-test", first_name="Hội đồng")


def test_admin_assigns_a_reviewer_on_the_project_page_in_vietnamese(
    browser: Browser, live_server, admin_user_t, board, submitted, tmp_path
):
    project = submitted.project
    review_url = f"{live_server.url}/revisions/{submitted.pk}/review/"
    outsider_page = sign_in(browser, live_server, "board_t", "pw-board-test", "/projects/", VI)
    assert outsider_page.goto(review_url).status == 404

    page = sign_in(browser, live_server, "admin_t", "pw-admin-test", f"/projects/{project.pk}/", VI)
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    panel = page.locator("#members")
    expect(panel.locator("h2")).to_have_text("Thành viên")

    add_form = panel.locator("form[data-member-add]")
    add_form.locator("input[name=username]").fill("board_t")
    add_form.locator("select[name=role]").select_option("reviewer")
    add_form.locator("button[type=submit]").click()
    expect(page.locator(".messages .success")).to_have_text(
        "Đã thêm “board_t” với vai trò Người thẩm định."
    )
    row = panel.locator("tr[data-member='board_t'][data-role='reviewer']")
    expect(row).to_contain_text("Hội đồng")
    page.screenshot(path=tmp_path / "1-member-added.png", full_page=True)

    add_form = panel.locator("form[data-member-add]")
    add_form.locator("input[name=username]").fill("khong-co-ai")
    add_form.locator("button[type=submit]").click()
    expect(panel.locator(".alert-error")).to_have_text(
        "Không có tài khoản nào với tên đăng nhập “khong-co-ai”."
    )

    approver_row = panel.locator("tr[data-member='reviewer_t'][data-role='approver']")
    approver_row.locator("button[value=remove]").click()
    expect(page.locator(".messages .success")).to_contain_text("Đã gỡ “reviewer_t”")
    expect(panel.locator("[data-no-approver]")).to_contain_text("Không ai có thể phê duyệt")
    expect(panel.locator("tr[data-role='approver']")).to_have_count(0)
    page.screenshot(path=tmp_path / "2-no-approver.png", full_page=True)
    assert not page.js_errors  # type: ignore[attr-defined]

    assert Membership.objects.filter(project=project, user=board, role="reviewer").exists()
    actions = list(
        AuditEvent.objects.filter(project=project, action__startswith="membership.")
        .order_by("id")
        .values_list("action", "actor__username")
    )
    assert actions == [("membership.add", "admin_t"), ("membership.remove", "admin_t")]
    assert outsider_page.goto(review_url).status == 200
