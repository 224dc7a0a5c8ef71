"""Fixtures of the map-service tests: a private tile cache per test, Mapnik's connections.

Mapnik opens its own PostgreSQL connections (it cannot see Django's test transaction),
so these tests commit their data (transactional tests, live_server) and, at the end of
the session, close the connections Mapnik keeps pooled so the test database can be
dropped.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _tile_cache(private_tile_cache):
    """Each test gets its own cache root and a freshly built MapProxy app."""
    return private_tile_cache
