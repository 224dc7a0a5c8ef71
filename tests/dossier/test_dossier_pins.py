"""Located review comments on the dossier's map: a numbered pin per comment of the thread the
caller reads, the same number in the comments section, and "outside the map" for comments
pinned too far from the plan to widen the map for them."""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, LineString, Point, Polygon
from PIL import Image as PILImage
from pypdf import PdfReader

from planning.actions import ApproveRevision, CreateRevision, RequestChanges, SubmitRevision
from planning.comments import CreateComment
from planning.models import Comment, Revision
from tests.conftest import HUE_X, HUE_Y, make_plan, square
from tests.dossier.conftest import client_for, dossier_url, pdf_text
from tiles.dossier import FRAME_WIDTH, MAP_HEIGHT, MAP_PIXEL_RATIO
from tiles.dossier_map import PIN_COLOURS, DossierMap, MapPin, render_map

pytestmark = pytest.mark.django_db(transaction=True)

SIZE = (int(FRAME_WIDTH * MAP_PIXEL_RATIO), int(MAP_HEIGHT * MAP_PIXEL_RATIO))
SRID = settings.PLANNING_STORAGE_SRID


def rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)


OPEN, RESOLVED = rgb(PIN_COLOURS["open"]), rgb(PIN_COLOURS["resolved"])


def pinned(revision: Revision, author, body: str, geom: GEOSGeometry, **fields) -> Comment:
    geom.srid = SRID
    return Comment.objects.create(revision=revision, author=author, body=body, geom=geom, **fields)


def map_pixels(content: bytes) -> np.ndarray:
    """The map image embedded in a dossier's first page, as RGB pixels."""
    page = PdfReader(io.BytesIO(content)).pages[0]
    biggest = max((i.image for i in page.images), key=lambda image: image.width * image.height)
    assert (biggest.width, biggest.height) == SIZE
    return np.asarray(biggest.convert("RGB"), dtype=float)


def png_pixels(image: DossierMap) -> np.ndarray:
    return np.asarray(PILImage.open(io.BytesIO(image.png)).convert("RGB"), dtype=float)


def share_near(pixels: np.ndarray, bbox, x: float, y: float, colour, radius: int = 7) -> float:
    """Share of the pixels within `radius` of map point (x, y) drawn in `colour`."""
    minx, miny, maxx, maxy = bbox
    col = round((x - minx) / (maxx - minx) * pixels.shape[1])
    row = round((maxy - y) / (maxy - miny) * pixels.shape[0])
    window = pixels[row - radius : row + radius + 1, col - radius : col + radius + 1]
    return float(np.all(np.abs(window - colour) <= 4, axis=-1).mean())


@pytest.fixture
def located(reviewer, planner, submitted) -> dict[str, Comment]:
    """Beside the fixture's unlocated thread (number 1, reply 1.1): a point on lot C1
    (thread 2) with a located reply (2.1), a resolved polygon over lot C2 (thread 3) and a
    point 5 km away (thread 4)."""
    point = pinned(submitted, reviewer, "Điểm đấu nối", Point(HUE_X + 50, HUE_Y + 110))
    reply = pinned(submitted, planner, "Đã dời", Point(HUE_X + 50, HUE_Y + 145), parent=point)
    area = Polygon.from_bbox((HUE_X + 120, HUE_Y + 80, HUE_X + 180, HUE_Y + 140))
    polygon = pinned(submitted, reviewer, "Khu vực này", area, status=Comment.Status.RESOLVED)
    far = pinned(submitted, reviewer, "Xa quá", Point(HUE_X + 5000, HUE_Y + 110))
    return {"point": point, "reply": reply, "polygon": polygon, "far": far}


def test_located_comments_are_numbered_pins_on_the_dossier_map(reviewer, submitted, located):
    response = client_for(reviewer).get(dossier_url(submitted), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    pixels = map_pixels(response.content)
    # Every pin lies in the plan's extent, or too far to count: the map keeps the plan's.
    plain = render_map(submitted, *SIZE)
    assert plain is not None
    bbox = plain.bbox
    assert share_near(pixels, bbox, HUE_X + 50, HUE_Y + 110, OPEN) > 0.3  # the point's badge
    assert share_near(pixels, bbox, HUE_X + 50, HUE_Y + 145, OPEN) > 0.3  # its reply's
    assert share_near(pixels, bbox, HUE_X + 150, HUE_Y + 110, RESOLVED) > 0.3  # the polygon's
    # ... and the polygon's outline, in the grey of a resolved thread, on its western edge
    assert share_near(pixels, bbox, HUE_X + 120, HUE_Y + 100, RESOLVED, 2) > 0.2
    assert share_near(pixels, bbox, HUE_X + 120, HUE_Y + 100, OPEN, 2) == 0
    text = pdf_text(response.content)
    assert "Open · Map pin 2 Điểm đấu nối" in text
    assert "Map pin 2.1 Đã dời" in text
    assert "Resolved · Map pin 3 Khu vực này" in text
    assert "Located outside the map Xa quá" in text
    assert "Map pin 1" not in text  # the fixture's thread has no place
    assert "Comment pin (Open)" in text  # the legend
    assert "Comment pin (Resolved)" in text


def test_the_map_widens_for_pins_near_the_plan_but_not_for_stray_ones(submitted):
    near = MapPin("1", Point(HUE_X + 350, HUE_Y - 150, srid=SRID))
    far = MapPin("2", Point(HUE_X + 5000, HUE_Y + 110, srid=SRID))
    image = render_map(submitted, *SIZE, [near, far])
    assert isinstance(image, DossierMap)
    minx, miny, maxx, _ = image.bbox
    assert maxx > HUE_X + 350
    assert miny < HUE_Y - 150
    assert maxx - minx < 1000  # the plan (200 m) is not shrunk to a dot for the far pin
    assert image.pins == ("1",)
    assert share_near(png_pixels(image), image.bbox, HUE_X + 350, HUE_Y - 150, OPEN) > 0.3


def test_a_line_is_outlined_with_its_number_at_its_middle(submitted):
    road = LineString((HUE_X + 20, HUE_Y + 70), (HUE_X + 140, HUE_Y + 70), srid=SRID)
    image = render_map(submitted, *SIZE, [MapPin("1", road)])
    assert image is not None
    pixels = png_pixels(image)
    assert share_near(pixels, image.bbox, HUE_X + 80, HUE_Y + 70, OPEN) > 0.3  # the badge
    assert share_near(pixels, image.bbox, HUE_X + 100, HUE_Y + 70, OPEN) < 0.3  # not there
    assert share_near(pixels, image.bbox, HUE_X + 40, HUE_Y + 70, OPEN, 2) > 0.2  # the line


@pytest.fixture
def answer_with_hidden_question(planner, reviewer) -> tuple[Revision, Revision]:
    """r1 sent back with a located question, answered by r2, approved: the question stays
    the project's (comments.thread_of), the public never reads it."""
    r1 = make_plan(
        planner,
        reviewer,
        "pins",
        [(square(HUE_X, HUE_Y + 600, 100), {"code": "P1", "function": "DO"})],
        approve=False,
    )
    SubmitRevision(user=planner, revision=r1).execute()
    question = CreateComment(user=reviewer, revision=r1, body="SECRET pinned").execute()
    Comment.objects.filter(pk=question.pk).update(geom=Point(HUE_X + 50, HUE_Y + 650, srid=SRID))
    RequestChanges(user=reviewer, revision=r1, note="see the comments").execute()
    r2 = CreateRevision(user=planner, project=r1.project, based_on=r1).execute()
    SubmitRevision(user=planner, revision=r2).execute()
    ApproveRevision(
        user=reviewer, revision=r2, decision_number="8/QĐ-UBND", acknowledge_open_comments=1
    ).execute()
    r2.refresh_from_db()
    return r1, r2


def test_pins_follow_the_thread_the_caller_reads(reviewer, answer_with_hidden_question):
    _r1, r2 = answer_with_hidden_question
    plain = render_map(r2, *SIZE)
    assert plain is not None
    member = client_for(reviewer).get(dossier_url(r2), HTTP_ACCEPT_LANGUAGE="en")
    public = client_for(None).get(dossier_url(r2), HTTP_ACCEPT_LANGUAGE="en")
    assert public.status_code == member.status_code == 200
    at = (HUE_X + 50, HUE_Y + 650)
    assert share_near(map_pixels(member.content), plain.bbox, *at, OPEN) > 0.3
    assert share_near(map_pixels(public.content), plain.bbox, *at, OPEN) == 0
    assert "SECRET" not in pdf_text(public.content)
    assert "Map pin 1 SECRET pinned" in pdf_text(member.content)
