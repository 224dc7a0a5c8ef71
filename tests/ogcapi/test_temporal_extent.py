"""Advertised time extents reach back as far as `datetime`/`TIME` queries do: to the first
approval of any plan of the collection, superseded ones included, open at the end."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime

import pytest
from owslib.wms import WebMapService

from tests.conftest import HUE_X, HUE_Y, make_plan, square
from tests.ogcapi.helpers import codes, get_json, replace_in_force
from tests.ogcapi.test_clients import gdal_env

FIRST = datetime(2024, 1, 1, tzinfo=UTC)
SWITCH = datetime(2025, 6, 1, tzinfo=UTC)


@pytest.fixture
def history(plan_in_force, planner, reviewer):
    """r1 of "inforce" in force from 2024-01-01 to 2025-06-01, then r2 (lot N1); another
    project ("later") approved now."""
    replace_in_force(plan_in_force, planner, reviewer, FIRST, SWITCH)
    later = make_plan(planner, reviewer, "later",
                      [(square(HUE_X + 800, HUE_Y, 50), {"code": "L1", "function": "CX"})],
                      approve=True)  # fmt: skip
    return later


def interval(client, name: str) -> list:
    [only] = get_json(client, f"/ogcapi/collections/{name}")["extent"]["temporal"]["interval"]
    return only


@pytest.mark.django_db
def test_interval_starts_at_the_first_plan_in_force(client, history):
    assert interval(client, "landuse") == ["2024-01-01T00:00:00Z", None]
    assert interval(client, "landuse.inforce") == ["2024-01-01T00:00:00Z", None]
    later = history.approved_at.isoformat().replace("+00:00", "Z")
    assert interval(client, "landuse.later") == [later, None]
    listed = {c["id"]: c for c in get_json(client, "/ogcapi/collections")["collections"]}
    assert listed["landuse"]["extent"]["temporal"]["interval"][0][0] == "2024-01-01T00:00:00Z"
    # The advertised start is queryable: the first plan answers there.
    url = "/ogcapi/collections/landuse.inforce/items?datetime=2024-01-01T00:00:00Z"
    assert codes(get_json(client, url)) == {"A1", "A2"}


@pytest.mark.django_db
def test_a_draft_only_collection_has_no_start(client, draft_plan, planner):
    client.force_login(planner)
    assert interval(client, "landuse.draft") == [None, None]


def test_gdal_reads_the_whole_history(live_server, history):
    done = subprocess.run(
        ["ogrinfo", "-ro", "-so", f"OAPIF:{live_server.url}/ogcapi", "landuse"],
        capture_output=True, text=True, env=gdal_env(), timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "TEMPORAL_INTERVAL_MIN=2024-01-01T00:00:00Z" in done.stdout, done.stdout


def test_wms_time_dimension_lists_the_superseded_plan(live_server, history, private_tile_cache):
    wms = WebMapService(f"{live_server.url}/ows", version="1.1.1")
    times = wms["plans"].timepositions
    assert times[0] == "2024-01-01T00:00:00Z"
    assert "2025-06-01T00:00:00Z" in times
