"""A wrong raster upload can be removed from its draft, by the project's planners only and
only while the revision is a draft, through the API and the upload page: its row, its
files and nothing else go (QA walk: DELETE answered 405 and no page offered it)."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from planning.actions import ApproveRevision, StartReview, SubmitRevision
from planning.models import AuditEvent
from rasters.gdal_env import safe_env
from rasters.models import RasterLayer
from tests.rasters.conftest import SCAN_TRANSFORM, pattern, write_tiff
from tests.rasters.test_import import _import

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


@pytest.fixture
def scans(draft_plan, planner, tmp_path) -> list[RasterLayer]:
    made = []
    for name in ("wrong", "right"):
        path = tmp_path / f"{name}.tif"
        with safe_env():
            write_tiff(path, pattern(40, 30), transform=SCAN_TRANSFORM, crs="EPSG:9214")
        made.append(_import(draft_plan, planner, path, name=name).raster)
    return made


def test_a_planner_removes_a_raster_and_its_files(
    django_capture_on_commit_callbacks, scans, planner
):
    wrong, right = scans
    files = [wrong.cog_file()]
    assert all(path.exists() for path in files)
    with django_capture_on_commit_callbacks(execute=True):
        response = api(planner).delete(f"/api/rasters/{wrong.pk}/")
    assert response.status_code == 204
    assert list(RasterLayer.objects.values_list("name", flat=True)) == ["right"]
    assert not any(path.exists() for path in files)
    assert right.cog_file().exists()
    event = AuditEvent.objects.get(action="raster.remove")
    assert (event.actor, event.detail["name"]) == (planner, "wrong")
    assert api(planner).get(f"/api/rasters/{wrong.pk}/").status_code == 404


def test_others_and_other_states_are_refused(scans, draft_plan, planner, reviewer, outsider):
    wrong, _ = scans
    url = f"/api/rasters/{wrong.pk}/"
    assert api(outsider).delete(url).status_code == 404
    assert api(reviewer).delete(url).status_code == 404  # a draft is its planners' alone
    assert APIClient().delete(url).status_code in (401, 403, 404)
    SubmitRevision(user=planner, revision=draft_plan).execute()
    assert api(reviewer).delete(url).status_code == 403
    refused = api(planner).delete(url)
    assert refused.status_code == 409
    assert "only from a draft" in refused.json()["detail"]
    assert RasterLayer.objects.count() == 2


def test_the_upload_page_asks_then_removes(client: Client, scans, planner, draft_plan):
    wrong, _ = scans
    client.force_login(planner)
    page = client.get(f"/revisions/{draft_plan.pk}/rasters/", HTTP_ACCEPT_LANGUAGE="en")
    assert f'href="/rasters/{wrong.pk}/remove/"'.encode() in page.content
    asked = client.get(f"/rasters/{wrong.pk}/remove/", HTTP_ACCEPT_LANGUAGE="en")
    assert asked.status_code == 200
    assert "wrong" in asked.content.decode()
    assert RasterLayer.objects.filter(pk=wrong.pk).exists()  # asking removes nothing
    done = client.post(f"/rasters/{wrong.pk}/remove/")
    assert done.status_code == 302
    assert done["Location"] == f"/revisions/{draft_plan.pk}/rasters/"
    assert not RasterLayer.objects.filter(pk=wrong.pk).exists()


def test_an_approved_revision_offers_no_removal(
    client: Client, scans, planner, reviewer, draft_plan
):
    SubmitRevision(user=planner, revision=draft_plan).execute()
    StartReview(user=reviewer, revision=draft_plan).execute()
    ApproveRevision(user=reviewer, revision=draft_plan, decision_number="QĐ-1").execute()
    client.force_login(planner)
    page = client.get(f"/revisions/{draft_plan.pk}/rasters/", HTTP_ACCEPT_LANGUAGE="en")
    assert b"/remove/" not in page.content
    assert b'id="raster-submit"' not in page.content  # no form to be refused on submit
    assert b'id="raster-upload-closed"' in page.content
    assert b"/georeference/" not in page.content  # placed already, and no draft
    assert RasterLayer.objects.filter(revision=draft_plan).count() == 2
