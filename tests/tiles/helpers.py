"""Shared helpers of the map-service tests: fetching, decoding and projecting."""

from __future__ import annotations

import io
import math
import urllib.request

from PIL import Image
from pyproj import Transformer

from planning.crs import proj4_for
from tests.conftest import HUE_X, HUE_Y

DO = (0xFF, 0xD3, 0x7F)
CX = (0x7F, 0xC9, 0x7F)
GD = (0xFF, 0x9E, 0xCF)
ORIGIN_SHIFT = 20037508.342789244


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.status, dict(response.headers), response.read()


def png(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG", data[:200]
    return image.convert("RGBA")


def rgb_at(image: Image.Image, px: float, py: float) -> tuple[int, int, int, int]:
    return image.getpixel((int(px), int(py)))


def colours(image: Image.Image) -> set[tuple[int, int, int]]:
    return {rgba[:3] for _, rgba in image.getcolors(maxcolors=1 << 20) if rgba[3] > 0}


def to_3857(x: float, y: float) -> tuple[float, float]:
    """Storage (EPSG:9214, with the official VN-2000 shift) to web mercator."""
    transformer = Transformer.from_crs(proj4_for(9214), "EPSG:3857", always_xy=True)
    return transformer.transform(x, y)


def to_wgs84(x: float, y: float) -> tuple[float, float]:
    transformer = Transformer.from_crs(proj4_for(9214), "EPSG:4326", always_xy=True)
    return transformer.transform(x, y)


def lot_centre(dx: float = 50.0, dy: float = 50.0) -> tuple[float, float]:
    return HUE_X + dx, HUE_Y + dy


def xyz_tile(
    x3857: float, y3857: float, z: int
) -> tuple[int, int, tuple[float, float, float, float]]:
    """The GoogleMaps-scheme tile containing a point, and that tile's bbox."""
    size = 2 * ORIGIN_SHIFT / (1 << z)
    col = math.floor((x3857 + ORIGIN_SHIFT) / size)
    row = math.floor((ORIGIN_SHIFT - y3857) / size)
    minx = -ORIGIN_SHIFT + col * size
    maxy = ORIGIN_SHIFT - row * size
    return col, row, (minx, maxy - size, minx + size, maxy)
