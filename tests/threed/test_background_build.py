"""An approval queues the 3D Tiles build of the plans in force; the worker builds it."""

from __future__ import annotations

import pytest

from planning import jobs
from planning.models import Job
from threed.testing import make_3d_plan
from threed.tileset import Scope, existing, prepare

pytestmark = pytest.mark.django_db(transaction=True)


def test_approval_builds_the_in_force_tileset_in_the_background(planner, reviewer):
    make_3d_plan(planner, reviewer, columns=2, rows=1)
    [job] = Job.objects.filter(kind="tiles3d")
    assert job.state == "queued"
    assert job.params["scope"] == "in-force"
    scope = Scope.plans_in_force()
    key, count = prepare(scope)
    assert count == 2
    assert existing(scope, key) is None
    jobs.run_worker_until_idle()
    job.refresh_from_db()
    assert job.state == "succeeded", job.message
    assert job.result["key"] == key
    assert job.result["features"] == 2
    assert existing(scope, key) is not None


def test_plans_without_3d_queue_nothing(plan_in_force):
    assert not Job.objects.filter(kind="tiles3d").exists()
