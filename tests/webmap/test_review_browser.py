"""End to end in a real Chromium against a live server and real PostGIS: a planner submits,
a reviewer pins a comment on the map and requests changes, the planner answers with a new
revision and changes a lot by uploading a layer, the approver approves with a decision, and
the anonymous map then shows the new plan and not the old one (also "on a date" before).

Needs the built front end (``npm --prefix webmap/frontend run build``) and the map services.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
import shapely
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.gis.geos import Polygon
from django.db import connection
from django.utils import translation
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect

from planning import qa
from planning.actions import CreateRevision
from planning.models import Comment, Feature, LandUseCategory, Layer, Membership, Revision
from planning.workflow import SubmitRevision
from tests.conftest import HUE_X, HUE_Y, make_plan, square
from tests.files import write_vector
from tests.webmap.conftest import matching_pixels
from tiles import dossier

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESIDENTIAL = (0xFF, 0xD3, 0x7F)  # DO: lot A1 in the old plan
EDUCATION = (0xFF, 0x9E, 0xCF)  # GD: lot A1 in the new plan
GREEN = (0x7F, 0xC9, 0x7F)  # CX: lot A2, added by the first proposal
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
WAIT = 30_000


def lon_lat(x: float, y: float, srid: int = 4326) -> tuple[float, float]:
    """A storage-CRS point in another CRS, by PostGIS (no GDAL transform in-process)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(p), ST_Y(p) FROM ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), %s), %s)"
            " AS p",
            [x, y, settings.PLANNING_STORAGE_SRID, srid],
        )
        return cursor.fetchone()


@pytest.fixture
def people(planner) -> dict[str, User]:
    users = {"planner": planner}
    for role in ("reviewer", "approver"):
        users[role] = User.objects.create_user(f"{role}_e2e", password=f"pw-{role}-e2e")
    return users


@pytest.fixture
def proposal(people) -> Revision:
    """Lot A1 residential in force since 2024; a draft proposal adds green lot A2 beside it."""
    old = make_plan(
        people["planner"],
        people["approver"],  # make_plan makes it reviewer and approver
        "e2e",
        [(square(HUE_X, HUE_Y, 100), {"code": "A1", "function": "DO"})],
        approve=True,
    )
    Revision.objects.filter(pk=old.pk).update(approved_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    Membership.objects.create(project=old.project, user=people["reviewer"], role="reviewer")
    # Prepared on the plan in force (one started empty would undo it), then replaced whole.
    draft = CreateRevision(user=people["planner"], project=old.project, based_on=old).execute()
    draft.layers.all().delete()
    layer = Layer.objects.create(
        revision=draft, kind="landuse", name="Lots east", created_by=people["planner"]
    )
    Feature.objects.create(
        layer=layer,
        geom=square(HUE_X + 100, HUE_Y, 100),
        attributes={"code": "A2", "function": "CX"},
        category="CX",
    )
    return draft


def sign_in(
    browser: Browser,
    live_server,
    username: str,
    password: str,
    path: str,
    locale: str = "en-GB",
    **context_options,
) -> Page:
    """Through the login page, as people do; lands on `path`."""
    context: BrowserContext = browser.new_context(
        viewport={"width": 1360, "height": 860}, locale=locale, **context_options
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors  # type: ignore[attr-defined]
    page.goto(f"{live_server.url}/accounts/login/?next={path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(f"{live_server.url}{path}")
    return page


def open_review(page: Page, live_server, revision_id: int) -> None:
    page.goto(f"{live_server.url}/revisions/{revision_id}/review/")
    page.wait_for_selector("body[data-review-ready='true']", timeout=WAIT)
    page.wait_for_function("Number(document.getElementById('map').dataset.rendered || 0) > 0")


def transition(page: Page, action: str, note: str, state: str) -> None:
    page.click(f"[data-open-form='{action}']")
    page.fill(f"form[data-action='{action}'] textarea[name=note]", note)
    page.click(f"form[data-action='{action}'] button[type=submit]")
    expect(page.locator("#revision-state")).to_have_attribute("data-state", state, timeout=WAIT)
    expect(page.locator("#review-status")).to_be_visible()
    page.wait_for_selector("body[data-review-ready='true']", timeout=WAIT)
    page.wait_for_function("Number(document.getElementById('map').dataset.rendered || 0) > 0")


def submit_as_planner(browser, live_server, proposal, tmp_path) -> Page:
    page = sign_in(
        browser, live_server, "planner_t", "pw-planner-test", f"/revisions/{proposal.pk}/review/"
    )
    open_review(page, live_server, proposal.pk)
    expect(page.locator("#qa-summary")).not_to_have_text("")
    transition(page, "submit", "Đề xuất bổ sung lô cây xanh A2", "submitted")
    page.screenshot(path=tmp_path / "1-planner-submitted.png")
    assert not page.js_errors
    return page


def review_and_request_changes(browser, live_server, proposal, a1_lonlat, tmp_path) -> None:
    page = sign_in(
        browser, live_server, "reviewer_e2e", "pw-reviewer-e2e", f"/revisions/{proposal.pk}/review/"
    )
    open_review(page, live_server, proposal.pk)
    expect(page.locator("[data-open-form]")).to_have_count(2)  # start review, request changes
    page.check("input[name=compare][value=changes]", force=True)
    expect(page.locator("#change-legend")).to_contain_text("(1)", timeout=WAIT)
    page.screenshot(path=tmp_path / "2-reviewer-changes.png")
    page.check("input[name=compare][value=swipe]", force=True)
    expect(page.locator("#swipe")).to_be_visible()
    page.wait_for_timeout(500)
    page.screenshot(path=tmp_path / "2-reviewer-swipe.png")
    page.check("input[name=compare][value=revision]", force=True)

    page.click("[data-draw='Point']")
    x, y = page.evaluate("([lon, lat]) => planningReview.pixelAt(lon, lat)", list(a1_lonlat))
    page.locator("#map").click(position={"x": x, "y": y})
    expect(page.locator("#pin-state")).to_have_text("Pinned to a point")
    page.fill("#comment-body", "Lô A1 phải chuyển thành đất giáo dục <b>ngay</b>")
    page.click("#comment-form button[type=submit]")
    thread = page.locator(".comment-thread").first
    expect(thread).to_contain_text("<b>ngay</b>", timeout=WAIT)  # shown as text, not markup
    page.screenshot(path=tmp_path / "3-reviewer-comment.png")
    transition(page, "request-changes", "Xem góp ý tại lô A1.", "changes_requested")
    assert not page.js_errors
    page.context.close()


def answer_with_new_revision(page: Page, live_server, proposal, tmp_path) -> int:
    open_review(page, live_server, proposal.pk)
    page.click("#answer-button")
    page.wait_for_url(
        lambda url: url.endswith("/review/") and f"/revisions/{proposal.pk}/" not in url,
        timeout=WAIT,
    )
    answer_id = int(page.url.rstrip("/").split("/")[-2])
    assert answer_id != proposal.pk
    open_review(page, live_server, answer_id)
    expect(page.locator(".comment-thread")).to_contain_text("from revision 2")

    lot = write_vector(
        tmp_path / "a1.gpkg",
        [shapely.box(HUE_X, HUE_Y, HUE_X + 100, HUE_Y + 100)],
        {"code": ["A1"], "function": ["GD"]},
        driver="GPKG",
    )
    page.click("#upload-link")
    page.set_input_files("input[name=file]", str(lot))
    page.select_option("select[name=kind]", "landuse")
    page.fill("input[name=name]", "Lot A1")
    page.click("form.stacked button[type=submit]")
    page.click("#review-link")
    open_review(page, live_server, answer_id)
    transition(page, "submit", "Đã chuyển lô A1 sang đất giáo dục.", "submitted")
    page.screenshot(path=tmp_path / "4-planner-answer-submitted.png")
    assert not page.js_errors
    return answer_id


def approve(browser, live_server, answer_id: int, tmp_path) -> None:
    path = f"/revisions/{answer_id}/review/"
    # The board chair reads Vietnamese: the page and the API speak the browser's language.
    page = sign_in(browser, live_server, "approver_e2e", "pw-approver-e2e", path, "vi-VN")
    open_review(page, live_server, answer_id)
    page.click("[data-open-form='approve']")
    form = "form[data-action='approve']"
    page.fill(f"{form} input[name=decision_number]", "")
    page.click(f"{form} button[type=submit]")  # the browser asks for the number first
    expect(page.locator("#revision-state")).to_have_attribute("data-state", "submitted")
    page.fill(f"{form} input[name=decision_number]", "15/2026/QĐ-UBND")
    page.fill(f"{form} input[name=decision_signer]", "Chủ tịch UBND tỉnh")
    (tmp_path / "decision.pdf").write_bytes(PDF)
    page.set_input_files(f"{form} input[name=decision_document]", str(tmp_path / "decision.pdf"))
    # The reviewer's comment, carried from the change request, is still open: the board
    # approves knowingly.
    expect(page.locator("#open-comments-note")).to_be_visible()
    page.check(f"{form} input[name=acknowledge_open_comments]")
    page.screenshot(path=tmp_path / "5-approver-form.png")
    page.click(f"{form} button[type=submit]")
    expect(page.locator("#revision-state")).to_have_attribute(
        "data-state", "approved", timeout=WAIT
    )
    expect(page.locator(".review-head")).to_contain_text("15/2026/QĐ-UBND")
    page.screenshot(path=tmp_path / "6-approved.png")
    assert not page.js_errors
    page.context.close()


def map_colours_at_a1(page: Page, a1_3857: tuple[float, float], shot: Path) -> tuple[int, int]:
    """(education pixels, residential pixels) in a 40 px box around lot A1's centre."""
    page.wait_for_function("Number(document.getElementById('map').dataset.rendered || 0) > 0")
    x, y = page.evaluate("(c) => planningMap.getPixelFromCoordinate(c)", list(a1_3857))
    png = page.locator("#map").screenshot(path=shot)
    box = (int(x) - 20, int(y) - 20, int(x) + 20, int(y) + 20)
    return len(matching_pixels(png, EDUCATION, box)), len(matching_pixels(png, RESIDENTIAL, box))


def test_review_round_trip_puts_the_new_plan_in_force(
    live_server, browser, people, proposal, tmp_path
):
    centre = (HUE_X + 50, HUE_Y + 50)
    a1_lonlat, a1_3857 = lon_lat(*centre), lon_lat(*centre, srid=3857)
    planner_page = submit_as_planner(browser, live_server, proposal, tmp_path)
    review_and_request_changes(browser, live_server, proposal, a1_lonlat, tmp_path)
    comment = Comment.objects.get(revision=proposal)
    assert comment.geom.geom_type == "Point"
    assert square(HUE_X, HUE_Y, 100).contains(comment.geom)  # pinned where it was clicked

    answer_id = answer_with_new_revision(planner_page, live_server, proposal, tmp_path)
    answer = Revision.objects.get(pk=answer_id)
    assert answer.based_on_id == proposal.pk
    assert sorted(answer.layers.values_list("name", flat=True)) == ["Lot A1", "Lots east"]
    approve(browser, live_server, answer_id, tmp_path)
    answer.refresh_from_db()
    assert (answer.state, answer.decision_number) == ("approved", "15/2026/QĐ-UBND")
    assert answer.decision_document.name.endswith(".pdf")

    anonymous = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    anonymous.goto(f"{live_server.url}/map/")
    education, residential = map_colours_at_a1(anonymous, a1_3857, tmp_path / "7-map-now.png")
    assert education > 50, f"the new plan (GD) is not drawn at lot A1 (see {tmp_path})"
    assert residential == 0, f"the old plan (DO) is still drawn at lot A1 (see {tmp_path})"
    png = anonymous.locator("#map").screenshot()
    assert len(matching_pixels(png, GREEN)) > 50  # lot A2 of the proposal is in force too

    anonymous.evaluate("document.getElementById('map').dataset.rendered = '0'")
    anonymous.fill("#in-force-date", "2025-06-01")
    anonymous.dispatch_event("#in-force-date", "change")
    education, residential = map_colours_at_a1(anonymous, a1_3857, tmp_path / "8-map-2025.png")
    assert residential > 50, f"the plan in force in 2025 (DO) is not drawn (see {tmp_path})"
    assert education == 0
    assert "date=2025-06-01" in anonymous.url
    anonymous.screenshot(path=tmp_path / "9-map-page-2025.png")
    print(f"screenshots in {tmp_path}")


# 23:07 UTC on 26 November is 06:07 on the 27th in Viet Nam and 18:07 on the 26th in New York.
SUBMITTED = dt.datetime(2026, 11, 26, 23, 7, tzinfo=dt.UTC)
COMMENTED = dt.datetime(2026, 11, 26, 23, 9, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("locale", "submitted", "commented"),
    [
        ("vi-VN", "06:07 27/11/2026", "06:09 27/11/2026"),
        # English in year-month-day order (planning/formats/en), not the US "11/27/2026".
        ("en-US", "2026-11-27 06:07", "2026-11-27 06:09"),
    ],
)
def test_every_time_on_the_review_page_is_viet_nam_time_in_one_format(
    browser, live_server, people, proposal, locale, submitted, commented
):
    """A browser in New York still reads the server's zone and the language's format, for
    the submission (rendered by the server) and the comments (rendered by the script)."""
    Revision.objects.filter(pk=proposal.pk).update(submitted_at=SUBMITTED)
    comment = Comment.objects.create(revision=proposal, author=people["planner"], body="Lô A2")
    Comment.objects.filter(pk=comment.pk).update(created_at=COMMENTED)
    page = sign_in(
        browser,
        live_server,
        "planner_t",
        "pw-planner-test",
        f"/revisions/{proposal.pk}/review/",
        locale=locale,
        timezone_id="America/New_York",
    )
    open_review(page, live_server, proposal.pk)
    assert page.evaluate("new Date().getTimezoneOffset()") in (240, 300)  # the browser's zone
    expect(page.locator("dl.facts dd", has_text=submitted)).to_have_count(1)
    expect(page.locator(".comment-thread .comment-time")).to_have_text(commented, timeout=WAIT)
    assert not page.js_errors
    page.context.close()


# The approval board reads the plan on the review map: a lot's attributes on a click, the
# comment pin on the lot (not the plan boundary around it), a page that fits a phone.
A2_ATTRIBUTES = {
    "code": "A2",
    "function": "CX",
    "area": 10000,
    "density": 35.5,
    "far": 1.25,
    "storeys_max": 5,
    "height_max": 18.5,
    "nam_duyet": 2026,  # a year stored as a number (GeoJSON): not "2.026"
    "do_doc": 2.5,  # a quantity the schema does not know: still in the page's language
}


@pytest.fixture
def bounded_proposal(proposal, people) -> Revision:
    """The proposal with planning attributes on lot A2 and a plan boundary around all lots
    (filled, drawn over them: every click inside the plan hits it too)."""
    Feature.objects.filter(layer__revision=proposal, attributes__code="A2").update(
        attributes=A2_ATTRIBUTES
    )
    boundary = Layer.objects.create(
        revision=proposal, kind="boundary", name="Ranh giới", created_by=people["planner"]
    )
    Feature.objects.create(
        layer=boundary, geom=square(HUE_X - 50, HUE_Y - 50, 300), attributes={"name": "Khu A"}
    )
    return proposal


def a2_pixel(page: Page) -> tuple[float, float]:
    a2_lonlat = lon_lat(HUE_X + 150, HUE_Y + 50)
    return page.evaluate("([lon, lat]) => planningReview.pixelAt(lon, lat)", list(a2_lonlat))


def open_as_planner(browser, live_server, revision: Revision, locale: str) -> Page:
    path = f"/revisions/{revision.pk}/review/"
    page = sign_in(browser, live_server, "planner_t", "pw-planner-test", path, locale)
    open_review(page, live_server, revision.pk)
    return page


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (
            "vi-VN",
            {
                "Mật độ xây dựng (%)": "35,5",
                "Hệ số sử dụng đất": "1,25",
                "Tầng cao tối đa": "5",
                "Chiều cao tối đa (m)": "18,5",
                "Diện tích (m²)": "10.000",
                "Ký hiệu lô": "A2",
                "nam_duyet": "2026",
                "do_doc": "2,5",
            },
        ),
        (
            "en-GB",
            {
                "Building density (%)": "35.5",
                "Land-use coefficient (FAR)": "1.25",
                "Maximum storeys": "5",
                "Maximum height (m)": "18.5",
                "Area (m²)": "10,000",
                "Lot code": "A2",
                "nam_duyet": "2026",
                "do_doc": "2.5",
            },
        ),
    ],
)
def test_clicking_a_lot_shows_its_planning_attributes_in_the_page_language(
    browser, live_server, bounded_proposal, locale, expected
):
    page = open_as_planner(browser, live_server, bounded_proposal, locale)
    x, y = a2_pixel(page)
    page.locator("#map").click(position={"x": x, "y": y})
    lot = Feature.objects.get(layer__revision=bounded_proposal, attributes__code="A2")
    card = page.locator(f"#feature-info .info-card[data-feature-id='{lot.pk}']")
    expect(card).to_be_visible(timeout=WAIT)
    for label, value in expected.items():
        expect(
            card.locator("tr", has=page.locator("th", has_text=label)).locator("td")
        ).to_have_text(value)
    headers = card.locator("th").all_inner_texts()
    assert not {"density", "far", "storeys_max", "height_max"} & set(headers)  # no raw names
    expect(card.locator(".info-header")).to_contain_text("A2")

    page.check("input[name=compare][value=changes]", force=True)
    expect(page.locator("#change-legend")).to_be_visible(timeout=WAIT)
    page.locator("#map").click(position={"x": x, "y": y})
    added = "Thêm mới" if locale == "vi-VN" else "Added"
    expect(page.locator("#feature-info .info-change").first).to_contain_text(
        f"{added} · A2", timeout=WAIT
    )

    page.keyboard.press("Escape")  # closes from the keyboard, focus back on the map
    expect(page.locator("#feature-info")).to_be_hidden()
    assert page.evaluate("document.activeElement.id") == "map"
    assert not page.js_errors
    page.context.close()


def test_feature_pin_picks_the_lot_under_the_click_not_the_plan_boundary(
    browser, live_server, bounded_proposal
):
    page = open_as_planner(browser, live_server, bounded_proposal, "en-GB")
    page.click("[data-draw='Feature']")
    x, y = a2_pixel(page)
    page.locator("#map").click(position={"x": x, "y": y})
    expect(page.locator("#pin-state")).to_have_text("Pinned to lot A2")
    expect(page.locator("#feature-info")).to_be_hidden()  # the click was the pin's
    page.fill("#comment-body", "Kiểm tra khoảng lùi của lô này")
    page.click("#comment-form button[type=submit]")
    expect(page.locator(".comment-thread")).to_contain_text("khoảng lùi", timeout=WAIT)
    comment = Comment.objects.get(revision=bounded_proposal)
    assert comment.feature is not None
    assert comment.feature.attributes["code"] == "A2"
    assert not page.js_errors
    page.context.close()


LINES_OF = """(el) => {
  const range = document.createRange();
  range.selectNodeContents(el);
  return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
}"""


def test_review_page_fits_a_phone_and_speaks_vietnamese_in_the_map_controls(
    browser, live_server, bounded_proposal
):
    page = open_as_planner(browser, live_server, bounded_proposal, "vi-VN")
    expect(page.locator(".ol-zoom-in")).to_have_attribute("title", "Phóng to")
    expect(page.locator(".ol-zoom-out")).to_have_attribute("title", "Thu nhỏ")
    expect(page.locator(".ol-rotate-reset")).to_have_attribute("title", "Đặt lại hướng bắc")
    expect(page.locator("#compare-note")).to_contain_text("Phiên bản 1 · ")
    expect(page.locator("#compare-note")).not_to_contain_text(re.compile(r"\([^)]*\("))

    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)
    page.screenshot(path="/tmp/reviewmap-390.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    panel = page.locator(".review-panel").bounding_box()
    assert panel
    assert panel["width"] <= 390
    for link in page.locator(".site-nav a").all():
        assert link.evaluate(LINES_OF) == 1, link.inner_text()
    x, y = a2_pixel(page)
    page.locator("#map").click(position={"x": x, "y": y})
    expect(page.locator("#feature-info .info-card").first).to_be_visible(timeout=WAIT)
    box = page.locator("#feature-info").bounding_box()
    assert box
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.set_viewport_size({"width": 1366, "height": 800})
    page.goto(f"{live_server.url}/projects/{bounded_proposal.project_id}/")
    buttons = page.locator(".page-head > .button")  # "All projects", "New revision"
    assert buttons.count() == 2
    assert [button.evaluate(LINES_OF) for button in buttons.all()] == [1, 1]
    assert not page.js_errors
    page.context.close()


# The approval board's polish: a legend and layer switcher on the review map, status
# messages that say what was done and go away, locale percentages without "-0", English
# dates in year-month-day order, the supersede checkbox only when something overlaps.
def _png_colour(png: bytes, x: float, y: float) -> tuple[int, int, int]:
    with Image.open(io.BytesIO(png)) as image:
        return image.convert("RGB").getpixel((int(x), int(y)))


def map_colour_at(page: Page, x_y: tuple[float, float]) -> tuple[int, int, int]:
    """The map's colour at a pixel once the map has rendered again."""
    page.evaluate("document.getElementById('map').dataset.rendered = '0'")
    page.evaluate("planningReview.map.render()")
    page.wait_for_function("Number(document.getElementById('map').dataset.rendered || 0) > 0")
    return _png_colour(page.locator("#map").screenshot(), *x_y)


def close_to(colour: tuple[int, int, int], other: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 6 for a, b in zip(colour, other, strict=True))


MAP_BACKGROUND = (0xFB, 0xFB, 0xF8)  # #map's background (main.css): nothing drawn there


def test_review_map_has_a_switcher_and_a_legend_of_the_categories_present(
    browser, live_server, proposal
):
    page = open_as_planner(browser, live_server, proposal, "en-GB")
    panel = page.locator("#map-layers")
    expect(panel).to_have_attribute("open", "")
    green = LandUseCategory.objects.get(code="CX")
    legend = page.locator("#review-legend .review-legend-revision .legend-row")
    expect(legend).to_have_count(1)  # only the categories the revision uses: CX
    expect(legend).to_have_text(f"CX – {green.name_en}")
    swatch = legend.locator(".legend-swatch")
    assert swatch.evaluate("(n) => n.style.backgroundColor") == "rgb({}, {}, {})".format(
        *(int(green.colour[i : i + 2], 16) for i in (1, 3, 5))
    )
    in_force = page.locator("#review-legend .review-legend-in-force .legend-row")
    expect(in_force.first).to_be_visible(timeout=WAIT)  # the plan in force's DO
    expect(page.locator("#review-legend .review-legend-in-force")).to_contain_text("DO")
    page.screenshot(path="/tmp/review-layers.png")

    a1 = page.evaluate(
        "([lon, lat]) => planningReview.pixelAt(lon, lat)", list(lon_lat(HUE_X + 50, HUE_Y + 50))
    )
    a2 = a2_pixel(page)
    assert not close_to(map_colour_at(page, a1), MAP_BACKGROUND)  # the plan in force
    assert not close_to(map_colour_at(page, a2), MAP_BACKGROUND)  # the revision's lot

    landuse = page.locator("#review-switcher [data-kind='landuse'] input")
    landuse.focus()
    page.keyboard.press("Space")  # from the keyboard
    expect(landuse).not_to_be_checked()
    assert close_to(map_colour_at(page, a2), MAP_BACKGROUND), "the lot is still drawn"
    assert not close_to(map_colour_at(page, a1), MAP_BACKGROUND)

    page.locator("#review-switcher [data-layer='plans'] input").uncheck()
    assert close_to(map_colour_at(page, a1), MAP_BACKGROUND), "the plan in force is drawn"
    expect(page.locator("#review-legend .review-legend-in-force .legend-row")).to_have_count(0)

    changes = page.locator("#review-switcher [data-layer='changes']")
    expect(changes).to_be_hidden()
    page.check("input[name=compare][value=changes]", force=True)
    expect(changes).to_be_visible()
    expect(changes.locator("input")).to_be_checked()
    changes.locator("input").uncheck()
    assert not page.evaluate("planningReview.layers.changes.getVisible()")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_selector("body[data-review-ready='true']", timeout=WAIT)
    expect(panel).not_to_have_attribute("open", "")  # folded on a phone
    page.locator("#map-layers > summary").focus()
    page.keyboard.press("Enter")
    expect(panel).to_have_attribute("open", "")
    expect(page.locator("#review-switcher [data-kind='landuse']")).to_be_visible()
    page.locator("#map-layers").screenshot(path="/tmp/review-layers-390.png")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not page.js_errors
    page.context.close()


def test_status_says_what_was_done_is_announced_and_clears_itself(browser, live_server, proposal):
    page = open_as_planner(browser, live_server, proposal, "en-GB")
    transition(page, "submit", "Xin thẩm định", "submitted")
    status = page.locator("#review-status")
    expect(status).to_have_text("Submitted for review.")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(status).to_be_hidden(timeout=10_000)  # a confirmation goes away by itself

    page.fill("#comment-body", "Lô A2 cần khoảng lùi")
    page.click("#comment-form button[type=submit]")
    expect(status).to_have_text("Comment added.", timeout=WAIT)
    expect(status).to_be_hidden(timeout=10_000)
    assert not page.js_errors
    page.context.close()


@pytest.fixture
def boundary_proposal(proposal, people) -> Revision:
    """Lot A2 (100 m × 100 m) inside a plan boundary 0.4 m² larger: a difference that
    rounds to zero from below (-0.004 %)."""
    boundary = Layer.objects.create(
        revision=proposal, kind="boundary", name="Ranh giới", created_by=people["planner"]
    )
    outline = Polygon.from_bbox((HUE_X + 100, HUE_Y, HUE_X + 200.004, HUE_Y + 100))
    Feature.objects.create(layer=boundary, geom=outline, attributes={"name": "Khu A"})
    return proposal


@pytest.mark.parametrize(
    ("locale", "share", "difference"),
    [("vi-VN", "100,00%", "0,00%"), ("en-GB", "100.00%", "0.00%")],
)
def test_balance_shares_use_the_locale_percent_and_never_a_negative_zero(
    browser, live_server, boundary_proposal, locale, share, difference
):
    page = open_as_planner(browser, live_server, boundary_proposal, locale)
    table = page.locator("#balance-table")
    expect(table.locator("tbody tr td.num").nth(1)).to_have_text(share)
    expect(table.locator(".balance-facts dd").nth(1)).to_have_text(difference)
    assert not re.search(r"[-−]0[.,]00", table.inner_text())
    assert not page.js_errors
    page.context.close()


@pytest.fixture
def thirds_proposal(planner, reviewer) -> Revision:
    """A draft of three lots of a third of the project's 9 km² boundary each: 33.33 % a row,
    100.00 % together (not the 99.99 % the rounded rows add up to)."""
    side = 3_000_000**0.5
    lots = [(square(HUE_X + i * 1800, HUE_Y, side), {"code": f"T{i}", "function": function})
            for i, function in enumerate(["DO", "CX", "GD"])]  # fmt: skip
    return make_plan(planner, reviewer, "thirds", lots, approve=False)


@pytest.mark.parametrize(
    ("locale", "row", "total"), [("vi-VN", "33,33%", "100,00%"), ("en-GB", "33.33%", "100.00%")]
)
def test_balance_total_row_shows_the_total_share(
    browser, live_server, thirds_proposal, locale, row, total
):
    page = open_as_planner(browser, live_server, thirds_proposal, locale)
    table = page.locator("#balance-table table")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table.locator("tbody tr td.num").nth(1)).to_have_text(row)
    # The total row's cells: label, name, area, share, lots; the share like the rows'.
    expect(table.locator("tfoot th").nth(3)).to_have_text(total)
    expect(table.locator("tfoot th").nth(3)).to_have_class(re.compile(r"\bnum\b"))
    assert not page.js_errors
    page.context.close()


def test_english_short_dates_read_year_month_day_on_the_page_and_in_the_dossier(
    browser, live_server, people, proposal
):
    Revision.objects.filter(pk=proposal.pk).update(
        decision_number="7/QĐ-UBND", decision_date=dt.date(2026, 11, 3)
    )
    page = open_as_planner(browser, live_server, proposal, "en-GB")
    expect(page.locator(".review-head")).to_contain_text("7/QĐ-UBND, 2026-11-03")
    page.context.close()
    with translation.override("en"):
        assert dossier.when(SUBMITTED) == "2026-11-27 06:07"
        assert dossier.when(dt.date(2026, 11, 3)) == "2026-11-03"
    with translation.override("vi"):
        assert dossier.when(SUBMITTED) == "06:07 27/11/2026"


@pytest.fixture
def submitted_proposal(proposal, people) -> Revision:
    SubmitRevision(user=people["planner"], revision=proposal).execute()
    return proposal


def open_as_approver(browser, live_server, revision: Revision) -> Page:
    path = f"/revisions/{revision.pk}/review/"
    page = sign_in(browser, live_server, "approver_e2e", "pw-approver-e2e", path)
    open_review(page, live_server, revision.pk)
    page.click("[data-open-form='approve']")
    page.fill("form[data-action='approve'] input[name=decision_number]", "9/QĐ-UBND")
    return page


def test_supersede_checkbox_is_hidden_when_nothing_overlaps(
    browser, live_server, submitted_proposal
):
    page = open_as_approver(browser, live_server, submitted_proposal)
    expect(page.locator("form[data-action='approve']")).to_be_visible()
    expect(page.locator("#supersede-overlaps")).to_be_hidden()
    page.click("form[data-action='approve'] button[type=submit]")
    expect(page.locator("#revision-state")).to_have_attribute(
        "data-state", "approved", timeout=WAIT
    )
    expect(page.locator("#review-status")).to_have_text("Approved: the plan is in force.")
    assert not page.js_errors
    page.context.close()


def put_in_force_under_a2(people) -> None:
    """Another project's plan in force under lot A2, with a house on its lot."""
    plan = make_plan(
        people["planner"],
        people["approver"],
        "khac",
        [(square(HUE_X + 120, HUE_Y + 20, 60), {"code": "B1", "function": "DO"})],
        approve=True,
    )
    houses = Layer.objects.create(
        revision=plan, kind="buildings", name="Houses", created_by=people["planner"]
    )
    Feature.objects.create(layer=houses, geom=square(HUE_X + 130, HUE_Y + 30, 20))


SUPERSEDED_COUNTS = (
    "1 lot overlaps. 1 feature those plans placed on them leaves force with them (Buildings: 1)."
)


def test_supersede_checkbox_appears_when_a_plan_put_in_force_meanwhile_overlaps(
    browser, live_server, people, submitted_proposal
):
    """The page loaded with nothing to supersede; another board then put a plan in force
    under lot A2: the approval's 409 offers the confirmation without a reload."""
    page = open_as_approver(browser, live_server, submitted_proposal)
    box = page.locator("#supersede-overlaps")
    expect(box).to_be_hidden()
    put_in_force_under_a2(people)
    page.click("form[data-action='approve'] button[type=submit]")
    expect(page.locator("#review-status")).to_have_attribute("data-kind", "error", timeout=WAIT)
    expect(box).to_be_visible()
    expect(box).to_be_focused()
    expect(box).to_have_attribute("required", "")
    expect(page.locator("#supersede-count")).to_have_text(SUPERSEDED_COUNTS)
    expect(page.locator("#supersede-list li")).to_have_text(["khac, lot B1: 3,600 m²"])
    page.wait_for_timeout(7000)  # past the time a confirmation clears itself
    expect(page.locator("#review-status")).to_be_visible()  # an error stays until the next action
    assert Revision.objects.get(pk=submitted_proposal.pk).state == "submitted"
    box.check()
    page.click("form[data-action='approve'] button[type=submit]")
    expect(page.locator("#revision-state")).to_have_attribute(
        "data-state", "approved", timeout=WAIT
    )
    assert not page.js_errors
    page.context.close()


def test_supersede_checkbox_is_shown_when_the_revision_overlaps_another_plan(
    browser, live_server, people, submitted_proposal
):
    put_in_force_under_a2(people)
    page = open_as_approver(browser, live_server, submitted_proposal)
    box = page.locator("#supersede-overlaps")
    expect(box).to_be_visible()
    expect(page.locator("#supersede-count")).to_have_text(SUPERSEDED_COUNTS)
    expect(page.locator("#supersede-list li")).to_have_text(["khac, lot B1: 3,600 m²"])
    page.click("form[data-action='approve'] button[type=submit]")  # unconfirmed: not sent
    assert box.evaluate("(input) => input.validity.valueMissing") is True
    assert Revision.objects.get(pk=submitted_proposal.pk).state == "submitted"
    box.check()
    page.click("form[data-action='approve'] button[type=submit]")
    expect(page.locator("#revision-state")).to_have_attribute(
        "data-state", "approved", timeout=WAIT
    )
    assert not page.js_errors
    page.context.close()


def test_a_planner_corrects_a_lots_attributes_from_its_card(browser, live_server, proposal):
    """What QA found missing is filled in on the map, numbers read the page's way; a value
    the page or the server refuses names its field and changes nothing."""
    lot = Feature.objects.get(layer__revision=proposal, attributes__code="A2")
    Feature.objects.filter(pk=lot.pk).update(attributes={"code": "A2"}, category="")
    qa.run(proposal)  # the lot has no function: an error
    page = open_as_planner(browser, live_server, proposal, "vi-VN")
    expect(page.locator("#qa")).to_have_attribute("data-qa-status", "current")
    expect(page.locator("#balance-table")).not_to_contain_text("CX")
    x, y = a2_pixel(page)
    page.locator("#map").click(position={"x": x, "y": y})
    card = page.locator(f"#feature-info .info-card[data-feature-id='{lot.pk}']")
    card.get_by_role("button", name="Sửa thuộc tính").click()
    form = card.locator("form.attribute-form")
    density = form.get_by_label("Mật độ xây dựng (%)")
    form.get_by_label("Chức năng sử dụng đất").fill("cx")

    density.fill("12.5")  # 12,5 is how Vietnamese writes it: refused before sending
    form.get_by_role("button", name="Lưu").click()
    expect(form.locator(".attribute-problem")).to_contain_text("1.821.300,25")
    expect(density).to_have_attribute("aria-invalid", "true")
    density.fill("120")  # refused by the server, in Vietnamese, naming the field
    form.get_by_role("button", name="Lưu").click()
    expect(form.locator(".attribute-problem")).to_contain_text("từ 0 đến 100")
    expect(density).to_have_attribute("aria-invalid", "true")
    lot.refresh_from_db()
    assert lot.attributes == {"code": "A2"}

    density.fill("12,5 %")  # as a density is written
    form.get_by_role("button", name="Lưu").click()
    expect(page.locator("#review-status")).to_contain_text("Đã lưu thuộc tính", timeout=WAIT)
    shown = page.locator(f"#feature-info .info-card[data-feature-id='{lot.pk}']")
    expect(
        shown.locator("tr", has=page.locator("th", has_text="Mật độ xây dựng (%)")).locator("td")
    ).to_have_text("12,5", timeout=WAIT)
    lot.refresh_from_db()
    assert lot.attributes == {"code": "A2", "function": "CX", "density": 12.5}
    assert lot.category == "CX"
    expect(page.locator("#qa")).to_have_attribute("data-qa-status", "outdated", timeout=WAIT)
    expect(page.locator("#balance-table")).to_contain_text("CX", timeout=WAIT)
    assert not page.js_errors
    page.context.close()


def test_a_submitted_revision_offers_no_attribute_edit(browser, live_server, proposal, people):
    """The planner (the only role that sees a draft besides staff) gets no edit button once
    the revision is frozen; the reviewer neither."""
    SubmitRevision(user=people["planner"], revision=proposal).execute()
    for username, password in (
        ("planner_t", "pw-planner-test"),
        ("reviewer_e2e", "pw-reviewer-e2e"),
    ):
        page = sign_in(
            browser, live_server, username, password, f"/revisions/{proposal.pk}/review/"
        )
        open_review(page, live_server, proposal.pk)
        x, y = a2_pixel(page)
        page.locator("#map").click(position={"x": x, "y": y})
        expect(page.locator("#feature-info .info-card").first).to_be_visible(timeout=WAIT)
        expect(page.locator("#feature-info .attribute-edit")).to_have_count(0)
        page.context.close()
