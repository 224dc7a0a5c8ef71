"""A raster placed outside Viet Nam (a sample in UTM zone 11 uploaded by mistake) is warned
about at import and stops the revision at QA, as features outside Viet Nam do: it used to
be accepted silently, go into force and stretch the published extent over half the globe."""

from __future__ import annotations

import numpy as np
import pytest

from planning import qa
from planning.models import QAFinding
from rasters.gdal_env import safe_env
from tests.rasters.conftest import SAMPLES, SCAN_TRANSFORM, write_tiff
from tests.rasters.test_import import _import

pytestmark = pytest.mark.django_db
RULE = "extent.raster_outside_vietnam"


def test_a_raster_outside_viet_nam_is_warned_about_and_stops_the_revision(draft_plan, planner):
    california = _import(draft_plan, planner, SAMPLES / "utmsmall.tif", name="ortho")
    assert "outside Viet Nam" in california.report["warnings"][0]
    qa.run(draft_plan)
    (finding,) = QAFinding.objects.filter(revision=draft_plan, rule=RULE)
    assert (finding.severity, finding.params) == (QAFinding.Severity.ERROR, {"raster": "ortho"})


def test_a_scan_at_the_plan_passes(draft_plan, planner, tmp_path):
    scan = tmp_path / "scan.tif"
    with safe_env():
        write_tiff(scan, np.zeros((3, 30, 40), dtype="uint8"), transform=SCAN_TRANSFORM,
                   crs="EPSG:9214")  # fmt: skip
    placed = _import(draft_plan, planner, scan)
    assert "warnings" not in placed.report
    qa.run(draft_plan)
    assert not QAFinding.objects.filter(revision=draft_plan, rule=RULE).exists()


def test_the_pages_point_out_a_raster_outside_viet_nam(client, draft_plan, planner, tmp_path):
    california = _import(draft_plan, planner, SAMPLES / "utmsmall.tif", name="ortho")
    client.force_login(planner)
    listed = client.get(f"/revisions/{draft_plan.pk}/rasters/", HTTP_ACCEPT_LANGUAGE="en")
    assert listed.content.count(b'class="severity-warning raster-outside"') == 1
    page = client.get(f"/rasters/{california.raster.pk}/georeference/", HTTP_ACCEPT_LANGUAGE="en")
    assert b'id="georef-outside" role="status">' in page.content  # shown
    scan = tmp_path / "scan.tif"
    with safe_env():
        write_tiff(scan, np.zeros((3, 30, 40), dtype="uint8"), transform=SCAN_TRANSFORM,
                   crs="EPSG:9214")  # fmt: skip
    placed = _import(draft_plan, planner, scan)
    listed = client.get(f"/revisions/{draft_plan.pk}/rasters/", HTTP_ACCEPT_LANGUAGE="en")
    assert listed.content.count(b"raster-outside") == 1  # the scan at the plan is not
    page = client.get(f"/rasters/{placed.raster.pk}/georeference/", HTTP_ACCEPT_LANGUAGE="en")
    assert b'id="georef-outside" role="status" hidden>' in page.content
