"""The dossier's map: the revision over the faded plans in force, legend and scale bar,
and never another unpublished revision."""

from __future__ import annotations

import io

import numpy as np
import pytest
from pypdf import PdfReader

from tests.conftest import HUE_X, HUE_Y
from tests.dossier.conftest import client_for, dossier_url, pdf_text
from tiles.dossier import FRAME_WIDTH, MAP_PIXEL_RATIO
from tiles.dossier_map import render_map, round_distance, true_north_angle, with_margin

pytestmark = pytest.mark.django_db(transaction=True)


def rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)


def faded(hex_colour: str, opacity: float = 0.45) -> np.ndarray:
    """The colour drawn at `opacity` over the white background."""
    return 255 + opacity * (rgb(hex_colour) - 255)


def share_of(pixels: np.ndarray, colour: np.ndarray, tolerance: float = 3.0) -> float:
    close = np.all(np.abs(pixels - colour) <= tolerance, axis=-1)
    return float(close.mean())


@pytest.fixture
def map_pixels(reviewer, submitted, private_neighbour) -> np.ndarray:
    """The map image embedded in the dossier's first page, as RGB pixels."""
    response = client_for(reviewer).get(dossier_url(submitted))
    assert response.status_code == 200
    page = PdfReader(io.BytesIO(response.content)).pages[0]
    images = [i.image for i in page.images]
    assert images, "no image on the first page"
    biggest = max(images, key=lambda image: image.width * image.height)
    assert biggest.width >= 1000
    return np.asarray(biggest.convert("RGB"), dtype=float)


def test_map_draws_the_revision_in_plan_colours(map_pixels):
    assert share_of(map_pixels, rgb("#E6475E")) > 0.15  # YT, lot C1
    assert share_of(map_pixels, rgb("#9BD77F")) > 0.15  # TDTT, lot C2


def test_plans_in_force_are_drawn_faded_underneath(map_pixels):
    assert share_of(map_pixels, faded("#FFD37F")) > 0.02  # DO, lot A1 in force
    assert share_of(map_pixels, faded("#7FC97F")) > 0.02  # CX, lot A2 in force
    assert share_of(map_pixels, rgb("#FFD37F")) < 0.001  # never at full strength


def test_other_unpublished_revisions_are_not_drawn(map_pixels, reviewer, private_neighbour):
    # The neighbour lies in the map's extent and its reviewer may see it, yet:
    assert share_of(map_pixels, rgb("#B59DC9")) < 0.0005
    assert share_of(map_pixels, faded("#B59DC9")) < 0.0005


def test_legend_lists_the_categories_on_the_map_only(reviewer, submitted, private_neighbour):
    text = pdf_text(client_for(reviewer).get(dossier_url(submitted)).content)
    for entry in ("YT – Đất y tế", "TDTT – Đất thể dục thể thao", "DO – Đất ở mới"):
        assert entry in text
    assert "CX – Đất cây xanh" in text
    assert "CN – Đất công nghiệp" not in text
    assert "GD –" not in text  # in the catalogue, not on the map


def test_scale_bar_shows_a_round_distance_of_the_rendered_extent(reviewer, submitted):
    size = (int(FRAME_WIDTH * MAP_PIXEL_RATIO), int(120 / 25.4 * 72 * MAP_PIXEL_RATIO))
    image = render_map(submitted, *size)
    assert image is not None
    # The revision (x..x+200, y+60..y+160) with its margin, at the image's aspect.
    minx, miny, maxx, maxy = image.bbox
    assert minx < HUE_X - 20
    assert maxx > HUE_X + 220
    assert miny < HUE_Y + 40
    assert maxy > HUE_Y + 180
    assert (maxx - minx) / (maxy - miny) == pytest.approx(size[0] / size[1], rel=0.01)
    metres = round_distance((maxx - minx) / 4)
    assert metres == 50
    text = pdf_text(client_for(reviewer).get(dossier_url(submitted)).content)
    assert " 0 50 m " in text


def test_legend_entries_of_the_rendered_map(submitted, private_neighbour):
    image = render_map(submitted, 400, 300)
    assert image is not None
    labels = {entry["label"].split(" ")[0] for entry in image.legend}
    assert labels == {"DO", "CX", "YT", "TDTT"}


@pytest.mark.parametrize(
    ("longest", "expected"),
    [(0.7, 0.5), (1, 1), (3, 2), (7.3, 5), (62.5, 50), (1999, 1000), (20_000, 20_000)],
)
def test_round_distance(longest, expected):
    assert round_distance(longest) == expected


@pytest.mark.parametrize("bad", [0, -5, float("inf"), float("nan")])
def test_round_distance_refuses_nonsense(bad):
    with pytest.raises(ValueError):
        round_distance(bad)


def test_margin_keeps_the_extent_and_takes_the_image_aspect():
    box = with_margin((0, 0, 100, 400), 1.5)
    assert box[0] < 0
    assert box[1] < -25
    assert box[2] > 100
    assert box[3] > 425
    assert (box[2] - box[0]) / (box[3] - box[1]) == pytest.approx(1.5)


def test_north_arrow_turns_by_the_meridian_convergence():
    # EPSG:9214 has its central meridian at 107°E: Hue (x > 500 km) lies east of it, where
    # true north is left of grid north; west of it, right.
    east = true_north_angle((HUE_X, HUE_Y, HUE_X + 100, HUE_Y + 100))
    west = true_north_angle((400_000, HUE_Y, 400_100, HUE_Y + 100))
    assert 0.05 < east < 1
    assert -1 < west < -0.05
