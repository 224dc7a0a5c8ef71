"""A project created on the site has no Project.boundary, only a boundary layer in its
revisions: the raster map list's clip and the georeferencing page's opening view come from
that layer. The public list uses the plan in force's layer, never a draft's."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import MultiPolygon
from pyproj import Transformer

from planning.actions import CreateRevision
from planning.crs import proj4_for
from planning.models import Project
from tests.conftest import HUE_X, HUE_Y, square
from tests.rasters.test_serving import _raster_plan
from threed.testing import add_layer

pytestmark = pytest.mark.django_db(transaction=True)
TO_3857 = Transformer.from_crs(proj4_for(9214), "EPSG:3857", always_xy=True)
IN_FORCE_OUTLINE = (HUE_X - 100, HUE_Y - 100, 400)  # x, y, size
DRAFT_OUTLINE = (HUE_X + 5000, HUE_Y + 5000, 400)


def _boundary_layer(revision, user, x: float, y: float, size: float) -> None:
    add_layer(revision, user, "boundary", "Ranh giới", [(MultiPolygon(square(x, y, size)), {})])


def _extent_3857(x: float, y: float, size: float) -> tuple[float, ...]:
    return (*TO_3857.transform(x, y), *TO_3857.transform(x + size, y + size))


def _without_project_boundary(revision) -> None:
    """As CreateProject leaves a project created on the site."""
    Project.objects.filter(pk=revision.project_id).update(boundary=None)


def test_public_map_list_clips_to_the_boundary_layer_in_force(
    client, planner, reviewer, scan_geotiff
):
    raster = _raster_plan(planner, reviewer, scan_geotiff, "outline", approve=True)
    _without_project_boundary(raster.revision)
    _boundary_layer(raster.revision, planner, *IN_FORCE_OUTLINE)
    draft = CreateRevision(user=planner, project=raster.revision.project).execute()
    _boundary_layer(draft, planner, *DRAFT_OUTLINE)  # a draft's: not for the public
    response = client.get("/api/rasters/map/")
    assert response.status_code == 200
    (item,) = response.json()["rasters"]
    assert item["id"] == raster.pk
    clip = item["clip"]
    assert clip is not None
    assert clip["type"] == "MultiPolygon"
    xs = [x for polygon in clip["coordinates"] for x, _ in polygon[0]]
    ys = [y for polygon in clip["coordinates"] for _, y in polygon[0]]
    extent = (min(xs), min(ys), max(xs), max(ys))
    assert extent == pytest.approx(_extent_3857(*IN_FORCE_OUTLINE), abs=5.0)


def test_georeferencing_page_opens_at_the_revision_boundary_layer(
    client, planner, reviewer, scan_geotiff
):
    raster = _raster_plan(planner, reviewer, scan_geotiff, "outline-draft", approve=False)
    _without_project_boundary(raster.revision)
    _boundary_layer(raster.revision, planner, *DRAFT_OUTLINE)
    client.force_login(planner)
    response = client.get(f"/rasters/{raster.pk}/georeference/")
    assert response.status_code == 200
    boundary = response.context["config"]["boundary"]
    assert boundary == pytest.approx(_extent_3857(*DRAFT_OUTLINE), abs=5.0)


def test_a_drafts_scan_is_clipped_to_the_drafts_boundary_for_its_planner(
    client, planner, reviewer, scan_geotiff
):
    """It was clipped to the plan in force's boundary, or not at all for a first draft
    (review finding): the draft's own boundary is the one its planner works to."""
    raster = _raster_plan(planner, reviewer, scan_geotiff, "outline-own", approve=False)
    _without_project_boundary(raster.revision)
    _boundary_layer(raster.revision, planner, *DRAFT_OUTLINE)
    client.force_login(planner)
    response = client.get("/api/rasters/map/", {"revision": raster.revision_id})
    (item,) = [r for r in response.json()["rasters"] if r["id"] == raster.pk]
    xs = [x for polygon in item["clip"]["coordinates"] for x, _ in polygon[0]]
    ys = [y for polygon in item["clip"]["coordinates"] for _, y in polygon[0]]
    extent = (min(xs), min(ys), max(xs), max(ys))
    assert extent == pytest.approx(_extent_3857(*DRAFT_OUTLINE), abs=5.0)
