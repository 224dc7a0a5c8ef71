"""The review map's rasters: /api/rasters/map/?revision=<id> lists a submitted revision's
rasters to its reviewers (then the rasters in force beneath), 404 to anyone else; the
reviewer's WMS draws that raster, an outsider's and an anonymous one do not."""

from __future__ import annotations

import io
import json
from base64 import b64encode

import numpy as np
import pytest
from PIL import Image

from planning.actions import SubmitRevision
from tests.rasters.conftest import SCAN_SIZE, SCAN_TRANSFORM, pattern, write_tiff
from tests.rasters.test_serving import JPEG_TOLERANCE, _getmap, _raster_plan
from tests.wms.helpers import get

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("private_tile_cache"),
]
MAP_RASTERS = "/api/rasters/map/"


def _basic(username: str) -> dict[str, str]:
    password = f"pw-{username.removesuffix('_t')}-test"
    return {"Authorization": "Basic " + b64encode(f"{username}:{password}".encode()).decode()}


@pytest.fixture
def submitted_scan(planner, reviewer, tmp_path):
    """A scan (reversed pattern) of a revision submitted for review."""
    path = write_tiff(
        tmp_path / "submitted.tif",
        pattern(*SCAN_SIZE)[::-1].copy(),
        transform=SCAN_TRANSFORM,
        crs="EPSG:9214",
    )
    raster = _raster_plan(planner, reviewer, path, "scan-review", approve=False)
    SubmitRevision(user=planner, revision=raster.revision).execute()
    return raster


@pytest.fixture
def scan_in_force(planner, reviewer, scan_geotiff):
    return _raster_plan(planner, reviewer, scan_geotiff, "scan-old", approve=True)


def _listed(client, revision_id) -> tuple[int, dict]:
    response = client.get(MAP_RASTERS, {"revision": revision_id}, HTTP_ACCEPT_LANGUAGE="en")
    body = response.json() if response["Content-Type"].startswith("application/json") else {}
    return response.status_code, body


def test_reviewer_gets_the_revision_rasters_then_those_in_force(
    client, reviewer, submitted_scan, scan_in_force
):
    client.force_login(reviewer)
    status, body = _listed(client, submitted_scan.revision_id)
    assert status == 200
    rasters = body["rasters"]
    assert [(r["id"], r["reviewed"], r["in_force"]) for r in rasters] == [
        (submitted_scan.pk, True, False),
        (scan_in_force.pk, False, True),
    ]
    assert rasters[0]["layer"] == submitted_scan.layer_name
    assert rasters[0]["clip"]["type"] == "MultiPolygon"
    assert body["labels"]["reviewed"] == "Rasters of this revision"
    assert body["labels"]["inForce"] == "Rasters of the plans in force"


def test_labels_follow_the_language(client, reviewer, submitted_scan):
    client.force_login(reviewer)
    response = client.get(
        MAP_RASTERS, {"revision": submitted_scan.revision_id}, HTTP_ACCEPT_LANGUAGE="vi"
    )
    assert response.json()["labels"]["reviewed"] == "Các lớp ảnh của phiên bản này"


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_others_get_404_for_a_submitted_revision(
    client, who, outsider, submitted_scan, scan_in_force
):
    if who == "outsider":
        client.force_login(outsider)
    status, body = _listed(client, submitted_scan.revision_id)
    assert status == 404
    assert submitted_scan.layer_name not in json.dumps(body)
    # The map without a revision lists the plans in force only.
    listed = client.get(MAP_RASTERS).json()["rasters"]
    assert [r["id"] for r in listed] == [scan_in_force.pk]


def test_reviewer_does_not_get_a_draft(client, planner, reviewer, scan_geotiff):
    draft = _raster_plan(planner, reviewer, scan_geotiff, "scan-draft", approve=False)
    client.force_login(reviewer)
    assert _listed(client, draft.revision_id)[0] == 404
    client.force_login(planner)  # the draft's planner does
    status, body = _listed(client, draft.revision_id)
    assert (status, [r["id"] for r in body["rasters"]]) == (200, [draft.pk])


@pytest.mark.parametrize("value", ["abc", "0", "-1", "1" * 30, ""])
def test_malformed_revision_is_404(client, reviewer, value):
    client.force_login(reviewer)
    assert _listed(client, value)[0] == 404


def test_anyone_gets_an_approved_revision_with_its_rasters(client, scan_in_force):
    status, body = _listed(client, scan_in_force.revision_id)
    assert status == 200
    assert [(r["id"], r["reviewed"]) for r in body["rasters"]] == [(scan_in_force.pk, True)]


def _wms(base: str, layer: str, headers: dict[str, str] | None = None):
    """GetMap on /wms (the path the review map's TileWMS uses), over the scan."""
    return _getmap(base, layer, headers=headers, path="/wms")


def test_reviewer_wms_draws_the_submitted_raster(live_server, reviewer, submitted_scan):
    status, headers, body = _wms(live_server.url, submitted_scan.layer_name, _basic("reviewer_t"))
    assert status == 200, body[:300]
    assert headers["Cache-Control"] == "private, no-store"
    image = np.asarray(Image.open(io.BytesIO(body)).convert("RGBA")).astype(int)
    expected = pattern(*SCAN_SIZE)[::-1][:, 150, 200].astype(int)
    assert image[150, 200, 3] == 255
    assert np.abs(image[150, 200, :3] - expected).max() <= JPEG_TOLERANCE


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_others_wms_refuses_the_submitted_raster(live_server, who, outsider, submitted_scan):
    headers = _basic("outsider_t") if who == "outsider" else None
    status, _, body = _wms(live_server.url, submitted_scan.layer_name, headers)
    assert status == 400
    assert b"LayerNotDefined" in body
    assert get(f"{live_server.url}/tiles/{submitted_scan.layer_name}/17/0/0.png", headers)[0] == 404


def test_the_dated_map_lists_the_rasters_in_force_then_drawn_at_that_time(
    client, planner, scan_in_force
):
    """The web map's date moved the plans but kept today's rasters (QA walk)."""
    from datetime import timedelta

    scan_in_force.revision.refresh_from_db()
    approved = scan_in_force.revision.approved_at
    before = (approved - timedelta(days=1)).isoformat()
    after = (approved + timedelta(seconds=1)).isoformat()

    earlier = client.get(MAP_RASTERS, {"at": before}).json()["rasters"]
    later = client.get(MAP_RASTERS, {"at": after}).json()["rasters"]
    now = client.get(MAP_RASTERS).json()["rasters"]

    assert earlier == []
    assert [(r["id"], r["in_force"]) for r in later] == [(scan_in_force.pk, True)]
    assert later[0]["time"] is not None  # drawn with WMS TIME, not today's cached tiles
    assert [(r["id"], r["time"]) for r in now] == [(scan_in_force.pk, None)]
    assert client.get(MAP_RASTERS, {"at": "yesterday"}).status_code == 400


def test_a_dated_review_list_does_not_call_a_draft_raster_in_force(
    client, reviewer, submitted_scan
):
    """`at` beside `revision` marked the reviewed draft's rasters in force (review finding):
    the page would then ask the public tiles for them, which answer 404."""
    client.force_login(reviewer)
    query = {"revision": submitted_scan.revision_id, "at": "2030-01-01T00:00:00Z"}
    rasters = client.get(MAP_RASTERS, query).json()["rasters"]
    assert [(r["id"], r["in_force"]) for r in rasters] == [(submitted_scan.pk, False)]
