"""A project created on the site has no Project.boundary, only a boundary layer in its
revisions: the 3D model distance check measures from that layer (a CityJSON in EPSG:9214
uploaded with crs=3405 once landed ~210 km away and was accepted)."""

from __future__ import annotations

from django.contrib.gis.geos import MultiPolygon

from planning.models import Project
from tests.conftest import HUE_X, HUE_Y, square
from tests.threed.test_models3d import glb_cube, upload
from threed.testing import add_layer, make_3d_plan


def _without_project_boundary(revision, user) -> None:
    """As CreateProject leaves it on the site: the boundary lives in a layer."""
    Project.objects.filter(pk=revision.project_id).update(boundary=None)
    outline = MultiPolygon(square(HUE_X - 10, HUE_Y - 10, 100))
    add_layer(revision, user, "boundary", "Ranh giới", [(outline, {})])


def test_model_far_from_the_boundary_layer_is_refused(client, planner, reviewer):
    draft = make_3d_plan(planner, reviewer, columns=1, rows=1, approve=False)
    _without_project_boundary(draft, planner)
    far = upload(client, draft, planner, "far.glb", glb_cube(),
                 origin_x=HUE_X, origin_y=HUE_Y + 100_000)  # fmt: skip
    assert far.status_code == 400, far.content[:300]
    assert "km from the project boundary" in far.json()["detail"]
    near = upload(client, draft, planner, "near.glb", glb_cube(),
                  origin_x=HUE_X + 20, origin_y=HUE_Y + 20)  # fmt: skip
    assert near.status_code == 201, near.content[:300]
