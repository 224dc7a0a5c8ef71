"""Fixtures of the vector-tile tests: a private tile cache per test, API tokens, tile maths."""

from __future__ import annotations

import math

import pytest
from rest_framework.authtoken.models import Token

from tests.tiles.helpers import to_3857, xyz_tile


@pytest.fixture(autouse=True)
def _tile_cache(private_tile_cache):
    """Each test gets its own cache root (raster and vector) and a fresh MapProxy app."""
    return private_tile_cache


def token_header(user) -> dict[str, str]:
    token, _ = Token.objects.get_or_create(user=user)
    return {"HTTP_AUTHORIZATION": f"Token {token.key}"}


def tile_of(x9214: float, y9214: float, z: int) -> tuple[int, int, tuple[float, ...]]:
    """The XYZ tile holding a storage-CRS point, and its web-mercator bbox."""
    return xyz_tile(*to_3857(x9214, y9214), z)


def to_tile_units(x9214: float, y9214: float, bbox: tuple[float, ...]) -> tuple[float, float]:
    """A storage-CRS point in MVT tile units (4096 a side, y down)."""
    x, y = to_3857(x9214, y9214)
    size = bbox[2] - bbox[0]
    return (x - bbox[0]) / size * 4096, (bbox[3] - y) / size * 4096


def ring_units(geometry: dict) -> list[tuple[float, float]]:
    """Every vertex of a decoded (Multi)Polygon, in tile units."""
    coords = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        coords = [coords]
    return [tuple(p) for polygon in coords for ring in polygon for p in ring]


def near(a: tuple[float, float], b: tuple[float, float], tol: float = 2.0) -> bool:
    return math.dist(a, b) <= tol
