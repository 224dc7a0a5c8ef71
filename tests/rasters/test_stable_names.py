"""A published scan keeps its service name across approvals.

Revision 1 of a project holds a scan and is approved; revision 2 answers it (copying the
scan) and is approved too. External WMS, WMTS and XYZ clients saved the scan's name from
revision 1's time: it must still name the scan in force (the copy), and at a WMS TIME
instant the copy in force then. Driven over HTTP with OWSLib against the live server.
"""

from __future__ import annotations

import json
from base64 import b64encode
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from lxml import etree
from owslib.wms import WebMapService
from owslib.wmts import WebMapTileService

from planning.actions import ApproveRevision, CreateRevision, RequestChanges, SubmitRevision
from planning.models import Revision
from rasters.models import RasterLayer
from tests.conftest import make_plan
from tests.rasters.conftest import SCAN_SIZE, SCAN_TRANSFORM
from tests.rasters.test_time import _approve, _with_raster
from tests.rasters.test_time import _scan as scan_file
from tests.wms.helpers import get
from tiles.raster_layers import visible_raster

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("catalogue", "private_tile_cache"),
]
WIDTH, HEIGHT = SCAN_SIZE
_LEFT, _TOP = SCAN_TRANSFORM.c, SCAN_TRANSFORM.f
BOX = (_LEFT, _TOP - HEIGHT * 0.5, _LEFT + WIDTH * 0.5, _TOP)
WMS_NS = "{http://www.opengis.net/wms}"
PLANNER_AUTH = {"Authorization": "Basic " + b64encode(b"planner_t:pw-planner-test").decode()}


@dataclass(frozen=True)
class Lineage:
    first: RasterLayer  # revision 1's upload
    copy: RasterLayer  # revision 2's copy of it
    t1: datetime  # revision 1 approved
    t2: datetime  # revision 2 approved

    @property
    def between(self) -> str:
        return (self.t1 + (self.t2 - self.t1) / 2).astimezone(UTC).isoformat()


def _scan(planner, revision: Revision, tmp_path: Path, name: str) -> RasterLayer:
    return _with_raster(planner, revision, scan_file(tmp_path, name), name)


def _answer(planner, revision: Revision) -> tuple[Revision, RasterLayer]:
    """A new draft answering `revision`, with its copy of the revision's one scan."""
    answer = CreateRevision(user=planner, project=revision.project, based_on=revision).execute()
    return answer, RasterLayer.objects.get(revision=answer)


@pytest.fixture
def lineage(planner, reviewer, tmp_path) -> Lineage:
    first_revision = make_plan(planner, reviewer, "scan-lineage", [], approve=False)
    first = _scan(planner, first_revision, tmp_path, "ban ve 1-500")
    t1 = _approve(planner, reviewer, first_revision) - timedelta(days=1)
    Revision.objects.filter(pk=first_revision.pk).update(approved_at=t1)
    second_revision, copy = _answer(planner, first_revision)
    assert copy.pk != first.pk
    assert copy.layer_name == f"raster_{copy.pk}"  # unpublished: its own name
    t2 = _approve(planner, reviewer, second_revision)
    copy = RasterLayer.objects.select_related("revision").get(pk=copy.pk)
    first = RasterLayer.objects.select_related("revision").get(pk=first.pk)
    return Lineage(first, copy, t1, t2)


def _feature_info(base: str, name: str, time: str | None = None) -> list[dict]:
    wms = WebMapService(f"{base}/ows", version="1.3.0")
    response = wms.getfeatureinfo(
        layers=[name],
        srs="EPSG:9214",
        bbox=BOX,
        size=SCAN_SIZE,
        format="image/png",
        query_layers=[name],
        info_format="application/json",
        xy=(40, 30),
        time=time,
    )
    return json.loads(response.read())["features"]


def test_the_approved_copy_is_served_under_the_name_of_the_first_upload(live_server, lineage):
    name = f"raster_{lineage.first.pk}"
    assert lineage.first.layer_name == lineage.copy.layer_name == name
    wms = WebMapService(f"{live_server.url}/ows", version="1.3.0")
    assert name in wms.contents
    assert f"raster_{lineage.copy.pk}" not in wms.contents
    wmts = WebMapTileService(f"{live_server.url}/wmts?SERVICE=WMTS&REQUEST=GetCapabilities")
    assert name in wmts.contents
    # The name answers with the copy in force now, and with the first upload at an instant
    # when revision 1 was in force.
    # Its GetFeatureInfo hits keep the id of the name, as features keep theirs.
    now = _feature_info(live_server.url, name)
    assert [hit["id"] for hit in now] == [f"{name}.{lineage.first.pk}"]
    at_t1 = _feature_info(live_server.url, name, lineage.between)
    assert [hit["id"] for hit in at_t1] == [f"{name}.{lineage.first.pk}"]
    # The copy's own id names nothing public.
    status, _, body = get(
        f"{live_server.url}/ows?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=raster_"
        f"{lineage.copy.pk}&STYLES=&CRS=EPSG:9214&BBOX={','.join(map(str, BOX))}"
        f"&WIDTH=64&HEIGHT=64&FORMAT=image/png"
    )
    assert status == 400
    assert b"LayerNotDefined" in body


def test_the_name_is_listed_with_time_from_the_first_approval_on(live_server, lineage):
    _, _, body = get(f"{live_server.url}/ows?SERVICE=WMS&REQUEST=GetCapabilities&VERSION=1.3.0")
    root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
    dimensions = {
        layer.findtext(f"{WMS_NS}Name"): layer.findtext(f"{WMS_NS}Dimension")
        for layer in root.iter(f"{WMS_NS}Layer")
        if layer.find(f"{WMS_NS}Name") is not None
    }
    stamps = [m.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") for m in (lineage.t1, lineage.t2)]
    assert all(stamp in dimensions[lineage.copy.layer_name] for stamp in stamps)


def test_a_draft_copy_is_named_by_its_own_id_for_its_planners(
    live_server, client, lineage, planner
):
    draft, copy = _answer(planner, lineage.copy.revision)
    assert copy.lineage == lineage.first.pk
    client.force_login(planner)
    listed = client.get(f"/api/revisions/{draft.pk}/rasters/").json()
    assert [raster["layer"] for raster in listed] == [f"raster_{copy.pk}"]
    in_force = client.get(f"/api/revisions/{lineage.copy.revision_id}/rasters/").json()
    assert [raster["layer"] for raster in in_force] == [f"raster_{lineage.first.pk}"]
    # Its planner reaches the draft copy by that name; the public does not.
    query = (
        f"SERVICE=WMS&VERSION=1.3.0&REQUEST=GetFeatureInfo&LAYERS=raster_{copy.pk}"
        f"&QUERY_LAYERS=raster_{copy.pk}&STYLES=&CRS=EPSG:9214&BBOX={','.join(map(str, BOX))}"
        f"&WIDTH={WIDTH}&HEIGHT={HEIGHT}&I=40&J=30&INFO_FORMAT=application/json"
    )
    status, _, body = get(f"{live_server.url}/ows?{query}", PLANNER_AUTH)
    assert status == 200
    hits = json.loads(body)["features"]
    assert [hit["id"] for hit in hits] == [f"raster_{copy.pk}.{copy.pk}"]
    status, _, body = get(f"{live_server.url}/ows?{query}")
    assert status == 400
    assert b"LayerNotDefined" in body


def test_the_migration_keeps_the_name_clients_were_given_last(lineage, planner, tmp_path):
    """Before lineages, the copy in force was served under its own id: the migration keeps
    that name for the whole chain (the superseded original takes it too), links the draft's
    copy to it, and leaves a later upload with the same file name alone."""
    draft, second_copy = _answer(planner, lineage.copy.revision)
    own = _scan(planner, draft, tmp_path, "ban ve 1-500")  # same name, uploaded later
    RasterLayer.objects.filter(pk=own.pk).update(created_at=draft.created_at + timedelta(hours=1))
    RasterLayer.objects.update(lineage=None)
    migration = __import__("rasters.migrations.0002_raster_lineage", fromlist=["_"])
    migration.link_existing_copies(django_apps, None)
    lineages = dict(RasterLayer.objects.values_list("pk", "lineage"))
    assert lineages == {
        lineage.first.pk: lineage.copy.pk,
        lineage.copy.pk: None,
        second_copy.pk: lineage.copy.pk,
        own.pk: None,
    }
    in_force = RasterLayer.objects.select_related("revision").get(pk=lineage.copy.pk)
    assert in_force.layer_name == f"raster_{lineage.copy.pk}"


def test_a_sent_back_scan_and_the_approved_answer_have_their_own_names(planner, reviewer, tmp_path):
    """Revision 1 is sent back; revision 2 answers it with a copy of its scan and is
    approved. The scan of revision 1, never published, keeps its own name; the approved
    copy starts the scan's public name: one name, one raster, for every caller."""
    first_revision = make_plan(planner, reviewer, "scan-sent-back", [], approve=False)
    original = _scan(planner, first_revision, tmp_path, "ban ve")
    SubmitRevision(user=planner, revision=first_revision).execute()
    RequestChanges(user=reviewer, revision=first_revision, note="Nắn lại ảnh").execute()
    answer, copy = _answer(planner, first_revision)
    _approve_answer(planner, reviewer, answer)
    copy = RasterLayer.objects.select_related("revision").get(pk=copy.pk)
    original = RasterLayer.objects.select_related("revision").get(pk=original.pk)
    assert copy.layer_name == f"raster_{copy.pk}"
    assert original.layer_name == f"raster_{original.pk}"
    for user in (planner, reviewer, None):
        assert visible_raster(f"raster_{copy.pk}", user) == copy
    assert visible_raster(f"raster_{original.pk}", planner) == original
    assert visible_raster(f"raster_{original.pk}", None) is None
    # A later answer to the approved revision shares the approved copy's name.
    _later, later_copy = _answer(planner, answer)
    assert later_copy.lineage == copy.pk


def _approve_answer(planner, reviewer, revision: Revision) -> None:
    SubmitRevision(user=planner, revision=revision).execute()
    ApproveRevision(user=reviewer, revision=revision, decision_number="8/QĐ").execute()
