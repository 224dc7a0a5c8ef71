"""Fixtures of the map-service tests: a private tile cache per test, Mapnik's connections.

Mapnik opens its own PostgreSQL connections (it cannot see Django's test transaction),
so these tests commit their data (transactional tests, live_server) and, at the end of
the session, close the connections Mapnik keeps pooled so the test database can be
dropped.
"""

from __future__ import annotations

import pytest
from django.db import connection

from tiles import mount
from tiles.datasource import MAPNIK_APPLICATION_NAME


@pytest.fixture(autouse=True)
def _tile_cache(settings, tmp_path):
    """Each test gets its own cache root and a freshly built MapProxy app."""
    settings.PLANNING_TILE_CACHE_DIR = str(tmp_path / "tiles")
    mount.reset()
    yield
    mount.reset()


@pytest.fixture(scope="session", autouse=True)
def _close_mapnik_connections(django_db_setup, django_db_blocker):
    """Terminate the pooled Mapnik backends before pytest-django drops the test database."""
    yield
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s",
            [MAPNIK_APPLICATION_NAME],
        )
