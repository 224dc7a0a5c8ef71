"""Browser fixtures of the web-page tests: Playwright driving Debian's Chromium."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator

import pytest
from PIL import Image

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run
# under one unless told that this test process is not really async.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import Browser, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TOLERANCE = 4


@pytest.fixture
def browser() -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium package is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def matching_pixels(
    png: bytes, colour: tuple[int, int, int], box: tuple[int, int, int, int] | None = None
) -> list[tuple[int, int]]:
    """Pixels (every second one) within `box` (left, top, right, bottom) of `colour`."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    left, top, right, bottom = box or (0, 0, *image.size)
    right, bottom = min(right, image.size[0]), min(bottom, image.size[1])
    pixels = image.load()
    return [
        (x, y)
        for y in range(max(top, 0), bottom, 2)
        for x in range(max(left, 0), right, 2)
        if all(abs(c - t) <= TOLERANCE for c, t in zip(pixels[x, y], colour, strict=True))
    ]
