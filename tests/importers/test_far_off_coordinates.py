"""Nothing far outside Viet Nam is stored, and what was stored before cannot break services.

The QA walkthrough: a control point typed with a few zeros too many placed a drawing at
1e12 m; the job succeeded with a warning, and then every transformation of that draft
failed ("Point outside of projection domain"), for staff the site-wide WFS capabilities
and OGC API collections too. Here through real HTTP against the live server: every import
path refuses such data with a 400 and writes nothing; a far-off feature stored behind the
guard's back (SQL) no longer breaks the documents that list every draft.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
import requests
import shapely
from django.db import connection
from django.test import Client
from lxml import etree
from rest_framework.authtoken.models import Token

from planning import jobs
from planning.models import Feature, Job, Layer
from tests.cad.big_drawings import local_lots, many_lots
from tests.cad.drawings import E0, MAPPING, N0, plan_drawing
from tests.conftest import HUE_X, HUE_Y
from tests.files import write_vector

pytestmark = [pytest.mark.django_db(transaction=True)]
HUE = "province:thua-thien-hue"
TYPO = [[0, 0, 1e12, 1e12], [200, 0, 1000000000200, 1e12]]  # the QA walkthrough's points
FAR = 1e12


class Api:
    """requests against the live server, signed in with a DRF token, answers in English."""

    def __init__(self, base: str, user) -> None:
        token, _ = Token.objects.get_or_create(user=user)
        self.base = base
        self.headers = {"Authorization": f"Token {token.key}", "Accept-Language": "en"}

    def get(self, path: str, **params) -> requests.Response:
        return requests.get(self.base + path, params=params, headers=self.headers, timeout=120)

    def post(self, path: str, file: Path | None = None, **fields) -> requests.Response:
        if file is None:
            return requests.post(self.base + path, data=fields, headers=self.headers, timeout=120)
        with file.open("rb") as handle:
            return requests.post(
                self.base + path,
                data=fields,
                files={"file": (file.name, handle)},
                headers=self.headers,
                timeout=120,
            )


def stored(revision) -> tuple[int, int]:
    return (
        Layer.objects.filter(revision=revision).count(),
        Feature.objects.filter(layer__revision=revision).count(),
    )


# --- the two-point fix -------------------------------------------------------------------


def test_cad_job_with_a_mistyped_control_point_is_refused_at_once(
    live_server, planner, draft_plan, tmp_path
):
    api = Api(live_server.url, planner)
    before, jobs_before = stored(draft_plan), Job.objects.count()
    response = api.post(
        f"/api/revisions/{draft_plan.pk}/cad/jobs/",
        plan_drawing(tmp_path / "plan.dxf"),
        mapping=json.dumps(MAPPING),
        crs=HUE,
        control_points=json.dumps(TYPO),
    )
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert "The control points' true coordinates" in detail
    assert "lie outside Viet Nam in EPSG:9214" in detail
    assert (stored(draft_plan), Job.objects.count()) == (before, jobs_before)


def test_cad_job_without_a_crs_fails_cleanly_once_the_drawing_is_read(
    live_server, planner, draft_plan, tmp_path
):
    """Without a CRS the drawing's own (GEODATA, else the storage CRS) is known only when
    it is read: the job then fails with the same message, nothing written."""
    api = Api(live_server.url, planner)
    before = stored(draft_plan)
    response = api.post(
        f"/api/revisions/{draft_plan.pk}/cad/jobs/",
        plan_drawing(tmp_path / "plan.dxf"),
        mapping=json.dumps(MAPPING),
        control_points=json.dumps(TYPO),
    )
    assert response.status_code == 202, response.text
    jobs.run_worker_until_idle()
    job = api.get(f"/api/jobs/{response.json()['id']}/").json()
    assert job["state"] == "failed"
    assert "lie outside Viet Nam" in job["message"]
    assert stored(draft_plan) == before


def test_inspect_refuses_the_qa_walkthroughs_control_points(live_server, planner, tmp_path):
    api = Api(live_server.url, planner)
    path = local_lots(tmp_path / "local.dxf", 30.0)
    far_east = [[0, 0, 56210000, 1821200], [200, 0, 56210200, 1821200]]  # a zero too many
    response = api.post("/api/cad/inspect/", path, crs=HUE, control_points=json.dumps(far_east))
    assert response.status_code == 400, response.text
    assert "56210000.000, 1821200.000" in response.json()["detail"]
    assert "lie outside Viet Nam" in response.json()["detail"]
    close = [[0, 0, 562100, 1821200], [0.0001, 0, 562300, 1821200]]  # two CAD points 0.1 mm
    response = api.post("/api/cad/inspect/", path, crs=HUE, control_points=json.dumps(close))
    assert response.status_code == 400, response.text
    assert "imply a scale of 2e+06 metres per drawing unit" in response.json()["detail"]
    good = [[0, 0, E0, N0], [90, 0, E0 + 90, N0]]
    response = api.post("/api/cad/inspect/", path, crs=HUE, control_points=json.dumps(good))
    assert response.status_code == 200, response.text
    assert response.json()["extent"] is not None


def test_inspect_of_a_far_off_drawing_shows_no_preview_but_answers(live_server, planner, tmp_path):
    """Without control points inspect only looks: a drawing at 1e12 gets its warning and
    an empty preview, never a body JSON cannot carry."""
    api = Api(live_server.url, planner)
    path = many_lots(tmp_path / "far.dxf", 4, origin=(FAR, FAR))
    response = api.post("/api/cad/inspect/", path, crs="EPSG:9214")
    assert response.status_code == 200, response.text
    shown = response.json()
    assert shown["preview"]["features"] == []
    assert shown["extent"] is None
    assert any("plausible extent" in w for w in shown["warnings"])


# --- vector uploads and 3D models ----------------------------------------------------------


def test_an_upload_through_the_api_loads_in_its_own_transaction(
    live_server, planner, draft_plan, tmp_path
):
    """The API view opens no transaction: the loader's own keeps the row lock and the
    all-or-nothing load (a regression once made every API upload a 500)."""
    api = Api(live_server.url, planner)
    lots = [shapely.Point(107.58 + 0.001 * i, 16.468).buffer(0.0002) for i in range(2)]
    path = write_vector(
        tmp_path / "lots.geojson",
        lots,
        {"code": ["A1", "A2"], "function": ["DO", "CX"]},
        driver="GeoJSON",
        crs="EPSG:4326",
    )
    before = stored(draft_plan)
    response = api.post(
        f"/api/revisions/{draft_plan.pk}/uploads/", path, kind="landuse", name="Lots"
    )
    assert response.status_code == 201, response.text
    assert stored(draft_plan) == (before[0] + 1, before[1] + 2)


def test_geojson_with_a_feature_far_outside_is_refused_whole(
    live_server, planner, draft_plan, tmp_path
):
    api = Api(live_server.url, planner)
    hue = shapely.Point(107.58, 16.468).buffer(0.0002)
    paris = shapely.Point(2.35, 48.86).buffer(0.0002)
    path = write_vector(
        tmp_path / "lots.geojson",
        [hue, paris],
        {"code": ["A1", "P1"], "function": ["DO", "DO"]},
        driver="GeoJSON",
        crs="EPSG:4326",
    )
    before = stored(draft_plan)
    response = api.post(
        f"/api/revisions/{draft_plan.pk}/uploads/", path, kind="landuse", name="Lots"
    )
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert detail.startswith("1 of 2 features lie outside Viet Nam")
    assert "lots.geojson#lots:2" in detail  # the second feature: numbered from 1
    assert "Nothing was imported" in detail
    assert stored(draft_plan) == before


def test_a_nan_vertex_is_refused(live_server, planner, draft_plan, tmp_path):
    """A NaN inside a ring escapes bounding boxes (PostGIS skips it): the guard's length
    test catches it."""
    api = Api(live_server.url, planner)
    x, y = HUE_X, HUE_Y
    ring = [(x, y), (x + 40, y), (x + 40, math.nan), (x, y + 40), (x, y)]
    with pytest.warns(RuntimeWarning):
        broken = shapely.Polygon(ring)
    path = write_vector(
        tmp_path / "nan.gpkg", [broken], {"code": ["N1"]}, driver="GPKG", crs="EPSG:9214"
    )
    before = stored(draft_plan)
    response = api.post(f"/api/revisions/{draft_plan.pk}/uploads/", path, kind="landuse", name="N")
    assert response.status_code == 400, response.text
    assert "have coordinates that are not numbers" in response.json()["detail"]
    assert stored(draft_plan) == before


def test_3d_model_origin_off_the_projection_is_a_400(live_server, planner, draft_plan, tmp_path):
    """Below the readers' 1e8 limit but where no transformation reaches: compared in the
    storage CRS now, so a clear 400 instead of PostGIS failing."""
    from tests.threed.test_models3d import glb_cube

    api = Api(live_server.url, planner)
    path = tmp_path / "tower.glb"
    path.write_bytes(glb_cube())
    before = stored(draft_plan)
    response = api.post(
        f"/api/revisions/{draft_plan.pk}/models/", path, name="Tower", origin_x=5e7, origin_y=5e7
    )
    assert response.status_code == 400, response.text
    assert "inside Viet Nam" in response.json()["detail"]
    assert stored(draft_plan) == before


# --- data stored before the guard -----------------------------------------------------------


@pytest.fixture
def far_off_draft(draft_plan):
    """The draft with one lot stored at 1e12 m, as the typo left it (bypassing the guard)."""
    layer = Layer.objects.get(revision=draft_plan)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO planning_feature (layer_id, geom, attributes, category, source_ref) "
            "VALUES (%s, ST_MakeEnvelope(%s, %s, %s, %s, 9214), %s, 'DO', 'typo')",
            [layer.pk, FAR, FAR, FAR + 30, FAR + 20, json.dumps({"code": "TYPO"})],
        )
    return draft_plan


def test_far_off_draft_does_not_break_staff_capabilities(
    live_server, admin_user_t, plan_in_force, far_off_draft
):
    api = Api(live_server.url, admin_user_t)
    caps = api.get("/wfs", SERVICE="WFS", VERSION="2.0.0", REQUEST="GetCapabilities")
    assert caps.status_code == 200, caps.text[:500]
    root = etree.fromstring(caps.content, etree.XMLParser(resolve_entities=False))
    names = {e.text for e in root.iter("{http://www.opengis.net/wfs/2.0}Name")}
    assert {"planning:landuse.inforce", "planning:landuse.draft"} <= names
    corners = [
        [float(v) for v in e.text.split()]
        for e in root.iter("{http://www.opengis.net/ows/1.1}UpperCorner")
    ]
    assert all(-180 <= lon <= 180 and -90 <= lat <= 90 for lon, lat in corners)
    collections = api.get("/ogcapi/collections", f="json")
    assert collections.status_code == 200, collections.text[:500]
    by_id = {c["id"]: c for c in collections.json()["collections"]}
    west, south, east, north = by_id["landuse.draft"]["extent"]["spatial"]["bbox"][0]
    assert 107.5 < west < east < 107.6  # the draft's real lot, the far one left out
    assert 16.4 < south < north < 16.5


def test_far_off_draft_still_serves_its_features(live_server, planner, far_off_draft):
    api = Api(live_server.url, planner)
    features = api.get(
        "/wfs",
        SERVICE="WFS",
        VERSION="2.0.0",
        REQUEST="GetFeature",
        TYPENAMES="landuse.draft",
        OUTPUTFORMAT="application/json",
    )
    assert features.status_code == 200
    assert [f["properties"]["code"] for f in features.json()["features"]] == ["B1"]  # whole
    listed = api.get("/api/features/", revision=far_off_draft.pk)
    assert listed.status_code == 200, listed.text[:500]
    assert [f["properties"]["code"] for f in listed.json()["features"]] == ["B1"]
    tileset = api.get(f"/3dtiles/revisions/{far_off_draft.pk}/tileset.json")
    assert tileset.status_code == 200, tileset.text[:500]
    west, south, east, north = tileset.json()["root"]["boundingVolume"]["region"][:4]
    assert all(math.isfinite(v) for v in (west, south, east, north))
    checked = api.post(f"/api/revisions/{far_off_draft.pk}/qa/")
    assert checked.status_code == 200, checked.text[:500]
    rules = {f["properties"]["rule"] for f in checked.json()["features"]}
    assert "extent.outside_vietnam" in rules
    outside = far_off_draft.findings.get(rule="extent.outside_vietnam")
    assert outside.severity == "error"
    assert outside.geom is None  # clipped to Viet Nam: nothing of it is inside
    browser = Client()  # the pages take a session, not a token
    browser.force_login(planner)
    review = browser.get(f"/revisions/{far_off_draft.pk}/review/")
    assert review.status_code == 200
    assert far_off_draft.project.name in review.content.decode()
    shown = browser.get(f"/map/?revision={far_off_draft.pk}")
    assert shown.status_code == 200
    config = re.search(r'id="map-config"[^>]*>(.*?)</script>', shown.content.decode(), re.S)
    assert config, "the map page has no configuration"
    west, south, east, north = json.loads(config.group(1))["extent"]
    assert 107.5 < west < east < 107.6  # the real lot; the far one cannot be placed
    assert 16.4 < south < north < 16.5
