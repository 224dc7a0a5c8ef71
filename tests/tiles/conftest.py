"""Fixtures of the map-service tests: a private tile cache per test, Mapnik's connections.

Mapnik opens its own PostgreSQL connections (it cannot see Django's test transaction),
so these tests commit their data (transactional tests, live_server) and, at the end of
the session, close the connections Mapnik keeps pooled so the test database can be
dropped.
"""

from __future__ import annotations

import pytest

from tiles import mount


@pytest.fixture(autouse=True)
def _tile_cache(settings, tmp_path):
    """Each test gets its own cache root and a freshly built MapProxy app."""
    settings.PLANNING_TILE_CACHE_DIR = str(tmp_path / "tiles")
    mount.reset()
    yield
    mount.reset()
