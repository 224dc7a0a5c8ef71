"""The area the map services draw: Viet Nam and its seas. Tiles of the global grids that
lie wholly outside it are answered with one shared blank tile, never rendered or stored, so
crawling a world-wide grid cannot fill the tile cache (the VN-2000 grid is bounded already).
"""

from __future__ import annotations

import io
import math
import re
from functools import cache

from PIL import Image

# lon/lat, generous: mainland, islands and the seas between them.
SERVICE_AREA = (100.0, 6.0, 120.0, 25.0)
_WMTS_TILE = re.compile(
    r"^(?P<layer>[^/]+)/(?P<grid>[^/]+)/(?P<z>\d{1,2})/(?P<x>\d{1,9})/(?P<y>\d{1,9})\.\w+$"
)


def webmercator_tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """lon/lat bounds of an XYZ (north-west origin) tile."""
    n = 2**z

    def lat(row: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return x / n * 360 - 180, lat(y + 1), (x + 1) / n * 360 - 180, lat(y)


def geodetic_tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """lon/lat bounds of a GLOBAL_GEODETIC tile (upper-left origin, 2×1 tiles at level 0)."""
    size = 180.0 / 2**z
    return -180 + x * size, 90 - (y + 1) * size, -180 + (x + 1) * size, 90 - y * size


def outside(bounds: tuple[float, float, float, float]) -> bool:
    minx, miny, maxx, maxy = bounds
    a_minx, a_miny, a_maxx, a_maxy = SERVICE_AREA
    return maxx < a_minx or minx > a_maxx or maxy < a_miny or miny > a_maxy


def xyz_outside(z: int, x: int, y: int) -> bool:
    return outside(webmercator_tile_bounds(z, x, y))


def wmts_tile_outside(rest: str) -> bool:
    """For a WMTS REST tile path on a global grid: does the tile miss the service area?"""
    match = _WMTS_TILE.match(rest)
    if match is None:
        return False
    z, x, y = int(match["z"]), int(match["x"]), int(match["y"])
    columns = {"webmercator": 2**z, "wgs84": 2 ** (z + 1)}.get(match["grid"])
    if columns is None or not (x < columns and y < 2**z):
        return False  # another grid, or off the grid: MapProxy answers TileOutOfRange
    if match["grid"] == "webmercator":
        return xyz_outside(z, x, y)
    return outside(geodetic_tile_bounds(z, x, y))


@cache
def blank_png(size: int = 256) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (size, size), (0, 0, 0, 0)).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
