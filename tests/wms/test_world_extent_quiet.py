"""A world-extent GetMap in EPSG:4326 answers the right image without flooding the server log.

Mapnik grew a non-square request box to the image's aspect ratio (latitudes to ±180°), and
PROJ printed one "Invalid latitude" line per failing point straight to fd 2 (the server log),
861 lines per request; the plans also landed at the grown box's position."""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest
from PIL import Image

from tests.wms.helpers import get, wms_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("catalogue")]
WORLD = {"CRS": "EPSG:4326", "BBOX": "-90,-180,90,180", "WIDTH": 250, "HEIGHT": 250}
# The test lots (107.58°E, 16.47°N) on the 1.44°/px world image: x = (lon + 180) / 1.44,
# y = (90 - lat) / 0.72.
LOTS_PIXEL = (199.7, 102.1)


@contextmanager
def stderr_of_process() -> Iterator[io.StringIO]:
    """What anything in this process (C libraries included) writes to fd 2 meanwhile."""
    captured = io.StringIO()
    with tempfile.TemporaryFile() as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            yield captured
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            captured.write(sink.read().decode("utf-8", "replace"))


def drawn_pixels(body: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(body))
    assert image.size == (WORLD["WIDTH"], WORLD["HEIGHT"])
    alpha = np.asarray(image.convert("RGBA"))[..., 3]
    return np.argwhere(alpha > 0)  # (row, col)


@pytest.mark.parametrize("extra", [{}, {"TIME": "2099-01-01T00:00:00Z"}], ids=["cache", "time"])
def test_world_request_is_quiet_and_places_the_plans(live_server, plan_in_force, extra):
    url = wms_url(live_server.url, **WORLD, **extra)
    with stderr_of_process() as stderr:
        status, headers, body = get(url)
    assert status == 200, body[:300]
    assert headers["Content-Type"] == "image/png"
    log = stderr.getvalue()
    assert "Invalid latitude" not in log
    assert len(log.splitlines()) <= 2, log[:500]
    pixels = drawn_pixels(body)
    assert len(pixels), "the plans in force are drawn"
    rows, cols = pixels[:, 0], pixels[:, 1]
    assert abs(cols.mean() - LOTS_PIXEL[0]) < 2.5
    assert abs(rows.mean() - LOTS_PIXEL[1]) < 2.5
