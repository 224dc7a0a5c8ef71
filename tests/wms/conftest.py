"""Fixtures of the WMS tests: the map-service fixtures (private tile cache per test)."""

from __future__ import annotations

from tests.tiles.conftest import _tile_cache  # noqa: F401 - autouse fixture, re-exported
