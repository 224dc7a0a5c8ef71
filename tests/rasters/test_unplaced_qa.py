"""A scan uploaded but never placed on the map is never served: the checks say so before
the revision goes to the board (QA walk: one was submitted and approved without a word)."""

from __future__ import annotations

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from planning import qa
from tests.rasters.conftest import unplaced_scan

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(planner) -> APIClient:
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(planner)
    return api


def test_an_unplaced_scan_is_a_warning_naming_it(client, draft_plan, tmp_path):
    unplaced_scan(client, draft_plan, tmp_path, name="Bản đồ quét 1998")
    qa.run(draft_plan)
    [finding] = draft_plan.findings.filter(rule="rasters.unplaced")
    assert finding.severity == "warning"
    with translation.override("en"):
        message = qa.message_of(finding)
    assert message.startswith("Raster layers not placed on the map yet: Bản đồ quét 1998 (1).")


def test_a_placed_scan_is_no_finding(client, draft_plan, tmp_path):
    from rasters.models import RasterLayer

    raster = unplaced_scan(client, draft_plan, tmp_path)
    RasterLayer.objects.filter(pk=raster.pk).update(cog_path="placed.tif")  # as placing does
    qa.run(draft_plan)
    assert not draft_plan.findings.filter(rule="rasters.unplaced").exists()
