"""Raster layers and WMS TIME: a scan is served for the instants its plan was in force.

Revision A of a project (with a scan) is approved at t1, revision B (with another scan)
at t2, superseding A. Driven over HTTP against the live server: OWSLib for the answers,
plain GETs where the exception document itself is compared.
"""

from __future__ import annotations

import io
import json
from base64 import b64encode
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import pytest
from lxml import etree
from owslib.wms import WebMapService
from PIL import Image

from planning.actions import ApproveRevision, CreateRevision, SubmitRevision
from planning.models import Layer, Revision, RevisionState
from rasters.importing import import_raster
from rasters.models import RasterLayer
from rasters.removal import remove_raster
from tests.conftest import make_plan
from tests.rasters.conftest import SCAN_SIZE, SCAN_TRANSFORM, pattern, write_tiff
from tests.wms.helpers import get
from tiles.wms_extras import DIRECT_MAX_AGE

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("catalogue", "private_tile_cache"),
]
WIDTH, HEIGHT = SCAN_SIZE
# The scan's own extent at its own resolution: map pixel (col, row) is scan pixel (col, row).
_LEFT, _TOP = SCAN_TRANSFORM.c, SCAN_TRANSFORM.f
BOX = (_LEFT, _TOP - HEIGHT * 0.5, _LEFT + WIDTH * 0.5, _TOP)
PIXELS = [(10, 10), (200, 150), (390, 20), (30, 290)]
JPEG_TOLERANCE = 12
WMS_NS = "{http://www.opengis.net/wms}"


@dataclass(frozen=True)
class History:
    old: RasterLayer  # revision A's scan, in force from t1 to t2
    new: RasterLayer  # revision B's scan, in force from t2
    t1: datetime
    t2: datetime

    @property
    def between(self) -> datetime:
        return self.t1 + (self.t2 - self.t1) / 2


def _scan(tmp_path: Path, name: str, *, flipped: bool = False) -> Path:
    image = pattern(WIDTH, HEIGHT)
    return write_tiff(
        tmp_path / f"{name}.tif",
        image[::-1].copy() if flipped else image,
        transform=SCAN_TRANSFORM,
        crs="EPSG:9214",
    )


def _with_raster(planner, revision: Revision, path: Path, name: str) -> RasterLayer:
    return import_raster(
        user=planner, revision=revision, path=path, filename=path.name, name=name, kind="scan"
    ).raster


def _approve(planner, reviewer, revision: Revision) -> datetime:
    SubmitRevision(user=planner, revision=revision).execute()
    ApproveRevision(user=reviewer, revision=revision, decision_number="3/QĐ").execute()
    revision.refresh_from_db()
    assert revision.approved_at is not None
    return revision.approved_at


@pytest.fixture
def history(planner, reviewer, tmp_path) -> History:
    first = make_plan(planner, reviewer, "scan-history", [], approve=False)
    old = _with_raster(planner, first, _scan(tmp_path, "old"), "old scan")
    # A day back, so that t1 and t2 differ in the capabilities' whole seconds too.
    t1 = _approve(planner, reviewer, first) - timedelta(days=1)
    Revision.objects.filter(pk=first.pk).update(approved_at=t1)
    # Prepared on the plan in force (one started empty would undo it), then replaced whole:
    # without the copies of its layers and of the old scan.
    second = CreateRevision(user=planner, project=first.project, based_on=first).execute()
    second.layers.all().delete()
    for copy in RasterLayer.objects.filter(revision=second):
        remove_raster(planner, copy)
    Layer.objects.create(revision=second, kind="landuse", name="Lots", created_by=planner)
    new = _with_raster(planner, second, _scan(tmp_path, "new", flipped=True), "new scan")
    t2 = _approve(planner, reviewer, second)
    first.refresh_from_db()
    assert first.state == RevisionState.SUPERSEDED
    return History(old, new, t1, t2)


@pytest.fixture
def draft_scan(planner, reviewer, tmp_path) -> RasterLayer:
    draft = make_plan(planner, reviewer, "scan-draft", [], approve=False)
    return _with_raster(planner, draft, _scan(tmp_path, "draft"), "draft scan")


def _query(layer: str, request: str = "GetMap", **extra: object) -> str:
    query = {
        "SERVICE": "WMS",
        "VERSION": "1.3.0",
        "REQUEST": request,
        "LAYERS": layer,
        "STYLES": "",
        "CRS": "EPSG:9214",
        "BBOX": ",".join(f"{v:.6f}" for v in BOX),
        "WIDTH": WIDTH,
        "HEIGHT": HEIGHT,
        "FORMAT": "image/png",
        "TRANSPARENT": "TRUE",
    }
    if request == "GetFeatureInfo":
        query |= {"QUERY_LAYERS": layer, "I": 5, "J": 5, "INFO_FORMAT": "application/json"}
    query |= {k: v for k, v in extra.items() if v is not None}
    return urlencode(query)


def _error(
    base: str, layer: str, request: str = "GetMap", headers: dict | None = None, **extra: object
) -> bytes:
    """The exception document answering `layer`, its name replaced by a placeholder."""
    status, _, body = get(f"{base}/ows?{_query(layer, request, **extra)}", headers)
    assert status == 400, body[:300]
    return body.replace(layer.encode(), b"LAYER")


def _missing_layer_error(base: str, request: str = "GetMap", **extra: object) -> bytes:
    absent = f"raster_{RasterLayer.objects.order_by('-pk').values_list('pk', flat=True)[0] + 99}"
    body = _error(base, absent, request, **extra)
    assert b'code="LayerNotDefined"' in body
    return body


def _rgba(body: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(body)).convert("RGBA")).astype(int)


def _shows(image: np.ndarray, scan: np.ndarray) -> bool:
    return all(
        image[row, col, 3] == 255
        and np.abs(image[row, col, :3] - scan[:, row, col].astype(int)).max() <= JPEG_TOLERANCE
        for col, row in PIXELS
    )


def _close(values: list[float], expected: np.ndarray) -> bool:
    """Band values of a (JPEG-compressed) scan pixel against the generated ones."""
    return np.abs(np.array(values) - expected.astype(float)).max() <= JPEG_TOLERANCE


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def test_getmap_with_time_draws_the_superseded_scan_while_it_was_in_force(
    live_server, history, settings
):
    wms = WebMapService(f"{live_server.url}/ows", version="1.3.0")
    response = wms.getmap(
        layers=[history.old.layer_name],
        srs="EPSG:9214",
        bbox=BOX,
        size=SCAN_SIZE,
        format="image/png",
        transparent=True,
        time=_iso(history.between),
    )
    image = _rgba(response.read())
    assert _shows(image, pattern(WIDTH, HEIGHT))
    assert not _shows(image, pattern(WIDTH, HEIGHT)[::-1])
    # Rendered directly, never through MapProxy's shared cache: the TIME path's header,
    # and nothing written to the tile cache.
    url = f"{live_server.url}/ows?{_query(history.old.layer_name, TIME=_iso(history.between))}"
    status, headers, _ = get(url)
    assert status == 200
    assert headers["Content-Type"] == "image/png"
    assert headers["Cache-Control"] == f"public, max-age={DIRECT_MAX_AGE}"
    assert not list(Path(settings.PLANNING_TILE_CACHE_DIR).rglob("*.png"))
    # The scan that superseded it, at t2 and now.
    for time in (_iso(history.t2), None):
        status, _, body = get(f"{live_server.url}/ows?{_query(history.new.layer_name, TIME=time)}")
        assert status == 200
        assert _shows(_rgba(body), pattern(WIDTH, HEIGHT)[::-1])


@pytest.mark.parametrize("request_type", ["GetMap", "GetFeatureInfo"])
def test_a_scan_outside_its_term_is_like_a_missing_layer(live_server, history, request_type):
    base = live_server.url
    missing = _missing_layer_error(base, request_type)
    old, new = history.old.layer_name, history.new.layer_name
    just_before_t1 = history.t1 - (history.t2 - history.t1) / 2
    for time in (_iso(history.t2), "2999-01-01", "2000-01-01", _iso(just_before_t1), None):
        assert _error(base, old, request_type, TIME=time) == missing, time
    # The new scan did not exist before its approval.
    assert _error(base, new, request_type, TIME=_iso(history.between)) == missing
    assert _error(base, new, request_type, TIME="2000-01-01") == missing


def test_getfeatureinfo_with_time_returns_the_old_scans_band_values(live_server, history):
    wms = WebMapService(f"{live_server.url}/ows", version="1.3.0")
    col, row = 333, 222
    response = wms.getfeatureinfo(
        layers=[history.old.layer_name],
        srs="EPSG:9214",
        bbox=BOX,
        size=SCAN_SIZE,
        format="image/png",
        query_layers=[history.old.layer_name],
        info_format="application/json",
        xy=(col, row),
        time=_iso(history.between),
    )
    [hit] = json.loads(response.read())["features"]
    expected = pattern(WIDTH, HEIGHT)[:, row, col]
    properties = hit["properties"]
    assert properties["name"] == "old scan"
    assert _close([properties[f"band_{b}"] for b in (1, 2, 3)], expected)
    # Now the same pixel of the new scan (flipped rows) answers.
    query = _query(history.new.layer_name, "GetFeatureInfo", I=col, J=row)
    [hit] = json.loads(get(f"{live_server.url}/ows?{query}")[2])["features"]
    flipped = pattern(WIDTH, HEIGHT)[::-1][:, row, col]
    assert _close([hit["properties"][f"band_{b}"] for b in (1, 2, 3)], flipped)


def test_a_draft_scan_with_any_time_is_unknown_but_to_its_author(
    live_server, history, draft_scan, planner, outsider
):
    base, name = live_server.url, draft_scan.layer_name
    outsider_auth = {"Authorization": "Basic " + b64encode(b"outsider_t:pw-outsider-test").decode()}
    for request_type in ("GetMap", "GetFeatureInfo"):
        for time in (_iso(history.between), _iso(history.t2), "2000-01-01", "2999-01-01", None):
            missing = _missing_layer_error(base, request_type, TIME=time)
            assert _error(base, name, request_type, TIME=time) == missing, (request_type, time)
            assert _error(base, name, request_type, TIME=time, headers=outsider_auth) == missing
    # Its author may name it at an instant, where it is drawn empty (a draft is in force at
    # no instant, like their draft lots); the answer is private, never for a shared cache.
    author = {"Authorization": "Basic " + b64encode(b"planner_t:pw-planner-test").decode()}
    url = f"{base}/ows?{_query(name, TIME=_iso(history.t2))}"
    status, headers, body = get(url, author)
    assert status == 200
    assert _rgba(body)[..., 3].max() == 0
    assert headers["Cache-Control"] == "private, no-store"
    query = _query(name, "GetFeatureInfo", TIME=_iso(history.t2))
    status, _, body = get(f"{base}/ows?{query}", author)
    assert (status, json.loads(body)["features"]) == (200, [])


def test_capabilities_list_the_scan_in_force_from_its_approval_on(live_server, history):
    _, _, body = get(f"{live_server.url}/ows?SERVICE=WMS&REQUEST=GetCapabilities&VERSION=1.3.0")
    root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
    dimensions = {
        layer.findtext(f"{WMS_NS}Name"): layer.findtext(f"{WMS_NS}Dimension")
        for layer in root.iter(f"{WMS_NS}Layer")
        if layer.find(f"{WMS_NS}Name") is not None
    }
    stamp = [m.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") for m in (history.t1, history.t2)]
    assert history.old.layer_name not in dimensions  # superseded: requestable, not listed
    assert stamp[0] in dimensions["plans"]
    assert stamp[1] in dimensions["plans"]
    assert stamp[0] not in dimensions[history.new.layer_name]
    assert stamp[1] in dimensions[history.new.layer_name]


def test_review_map_of_a_superseded_revision_draws_its_scan_as_it_was(live_server, client, history):
    """A superseded revision's review map lists its own scan with the moment it was in
    force; the WMS GetMap the map makes with that TIME (on /wms, as its TileWMS does) draws
    that scan, not the one in force now."""
    response = client.get(
        "/api/rasters/map/", {"revision": history.old.revision_id}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    rasters = response.json()["rasters"]
    own = [r for r in rasters if r["reviewed"]]
    assert [(r["id"], r["in_force"]) for r in own] == [(history.old.pk, False)]
    moment = datetime.fromisoformat(own[0]["time"])
    assert history.t1 <= moment < history.t2
    assert [r["time"] for r in rasters if not r["reviewed"]] == [None]  # in force: drawn now
    query = _query(history.old.layer_name, TIME=own[0]["time"])
    status, _, body = get(f"{live_server.url}/wms?{query}")
    assert status == 200, body[:300]
    assert _shows(_rgba(body), pattern(WIDTH, HEIGHT))
    # The revision in force now is listed without a moment: its scan is drawn now.
    current = client.get("/api/rasters/map/", {"revision": history.new.revision_id}).json()
    assert [(r["id"], r["time"]) for r in current["rasters"] if r["reviewed"]] == [
        (history.new.pk, None)
    ]
