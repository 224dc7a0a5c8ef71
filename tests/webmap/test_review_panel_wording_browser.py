"""The review panel of a draft imported with lots only (QA walk in Chromium, Vietnamese):
ten lots without category, code or boundary, as a CAD layer named `poly` makes them.

The legend said "Phiên bản này không có lô đất nào", the balance a row " ?" with no name;
the findings said "lô #141 thiếu code" and nothing about the missing boundary. Now the ten
lots are the "Chưa phân loại" entry of the legend and row of the balance, the findings name
the attribute's label and the lot's place in the file, and a warning says which checks the
missing boundary kept from running. The project page shows the layer's generated name with
its kind label in English to an English reader.

Needs the built front end (``npm --prefix webmap/frontend run build``).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from planning import qa
from planning.actions import CreateProject, CreateRevision
from planning.models import Feature, Layer, Membership, Project
from tests.conftest import HUE_X, HUE_Y, square
from tests.webmap.test_review_browser import open_review, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAIT = 30_000
VI_LAYER = "poly – Lô đất và khu chức năng sử dụng đất"


@pytest.fixture
def lots_only(planner, reviewer):
    """A project made on the projects page (no boundary) whose draft has ten bare lots."""
    project = CreateProject(
        user=planner, code="poly", name="Quy hoạch poly", level=Project.Level.DETAILED, scale=500
    ).execute()
    Membership.objects.create(project=project, user=reviewer, role=Membership.Role.REVIEWER)
    revision = CreateRevision(user=planner, project=project).execute()
    layer = Layer.objects.create(
        revision=revision, kind="landuse", name=VI_LAYER, created_by=planner, feature_count=10
    )
    Feature.objects.bulk_create(
        Feature(
            layer=layer,
            geom=square(HUE_X + 30 * i, HUE_Y, 25),
            attributes={"cad_layer": "poly", "cad_type": "LWPOLYLINE"},
            source_ref=f"poly.dxf#{0x1A0 + i:X}",
        )
        for i in range(10)
    )
    qa.run(revision)
    return revision


@pytest.fixture
def review_page(browser, live_server, lots_only):
    """The draft's review page as its planner sees it in Vietnamese."""
    path = f"/revisions/{lots_only.pk}/review/"
    page = sign_in(browser, live_server, "planner_t", "pw-planner-test", path, locale="vi-VN")
    open_review(page, live_server, lots_only.pk)
    yield page
    assert not page.js_errors


def test_uncategorised_lots_in_the_legend_and_the_balance(review_page):
    legend = review_page.locator(".review-legend-revision")
    expect(legend.locator(".legend-list")).to_contain_text("Chưa phân loại")
    expect(legend).not_to_contain_text("không có lô đất nào")
    balance = review_page.locator("#balance-table")
    expect(balance.locator("table")).to_be_visible(timeout=WAIT)
    expect(balance).not_to_contain_text("không có lô đất nào")
    [row] = balance.locator("tbody tr").all()
    cells = [cell.strip() for cell in row.locator("td").all_inner_texts()]
    assert (cells[0], cells[1], cells[4]) == ("", "Chưa phân loại", "10"), cells


def finding_texts(page) -> list[str]:
    findings = page.locator("#qa-findings .finding-message")
    expect(findings.first).to_be_visible(timeout=WAIT)
    return findings.all_inner_texts()


def test_findings_name_attributes_by_label_and_lots_by_their_place_in_the_file(review_page):
    texts = finding_texts(review_page)
    missing_code = [t for t in texts if "thiếu “Ký hiệu lô”" in t]
    assert len(missing_code) == 10, texts
    assert f"{VI_LAYER}: lô có handle 1A0 trong poly.dxf thiếu “Ký hiệu lô”." in texts
    assert any("thiếu “Chức năng sử dụng đất”" in t for t in texts)
    assert not any("#" in t or "thiếu code" in t for t in texts), texts
    # Each lot's finding shows it on the map: the buttons are enabled.
    lot_finding = review_page.locator("#qa-findings .finding-button", has_text="handle 1A0")
    expect(lot_finding.first).to_be_enabled()


def test_a_warning_says_the_boundary_is_missing(review_page):
    texts = finding_texts(review_page)
    [warning] = [t for t in texts if t.startswith("Quy hoạch chưa có ranh giới")]
    assert "cân bằng sử dụng đất" in warning


def test_the_project_page_shows_a_generated_layer_name_in_the_readers_language(
    browser, live_server, lots_only
):
    path = f"/projects/{lots_only.project_id}/"
    page = sign_in(browser, live_server, "planner_t", "pw-planner-test", path, locale="en-GB")
    cell = page.locator("tr[data-layer] td").first
    expect(cell).to_have_text("poly – Land-use lots and zones")
    assert Layer.objects.get(revision=lots_only).name == VI_LAYER  # stored as imported
