"""URLs and views shared by the WMS tests: one 400 × 600 m view around the test lots."""

from __future__ import annotations

from email.message import Message
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from tests.conftest import HUE_X, HUE_Y

# EPSG:9214, 1 m per pixel: pixel (col, row) of storage point (x, y) is (x - minx, maxy - y).
BBOX_9214 = (HUE_X - 100, HUE_Y - 100, HUE_X + 300, HUE_Y + 500)
SIZE = (400, 600)
A1_PIXEL = (150, 450)  # centre of lot A1 (DO)
A2_PIXEL = (250, 450)  # centre of lot A2 (CX)
B1_PIXEL = (150, 150)  # centre of the draft lot B1 (GD)
EMPTY_PIXEL = (50, 300)


def wms_url(base: str, **params: object) -> str:
    """A WMS 1.3.0 URL on the storage-CRS view; keyword arguments override or add."""
    query: dict[str, object] = {
        "SERVICE": "WMS",
        "VERSION": "1.3.0",
        "REQUEST": "GetMap",
        "LAYERS": "plans",
        "STYLES": "",
        "CRS": "EPSG:9214",
        "BBOX": ",".join(f"{v:.1f}" for v in BBOX_9214),
        "WIDTH": SIZE[0],
        "HEIGHT": SIZE[1],
        "FORMAT": "image/png",
        "TRANSPARENT": "TRUE",
    }
    query.update({k.upper(): v for k, v in params.items()})
    return f"{base}/ows?{urlencode({k: v for k, v in query.items() if v is not None})}"


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, Message, bytes]:
    """Status, headers (names case-insensitive) and body; HTTP errors are returned."""
    try:
        with urlopen(Request(url, headers=headers or {}), timeout=60) as response:
            return response.status, response.headers, response.read()
    except HTTPError as error:
        return error.code, error.headers, error.read()
