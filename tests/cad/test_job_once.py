"""One CAD import job per revision at a time (a double click, a second tab): the second
request gets 409 while the first is queued or running, also when both arrive together
(the revision's row lock orders them); once the job ended, or was cancelled, the next one
is accepted. Real PostGIS and a real Procrastinate worker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.test import APIClient

from planning import jobs
from planning.models import Job, Layer
from tests.cad.drawings import MAPPING, plan_drawing
from tests.conftest import run_twice_overlapping

pytestmark = pytest.mark.django_db(transaction=True)


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def submit(client, revision, path: Path):
    with path.open("rb") as handle:
        return client.post(
            f"/api/revisions/{revision.pk}/cad/jobs/",
            {"file": handle, "mapping": json.dumps(MAPPING), "crs": "EPSG:9214"},
            format="multipart",
        )


def test_a_second_job_waits_for_the_first(planner, draft_plan, tmp_path):
    client = client_for(planner)
    drawing = plan_drawing(tmp_path / "plan.dxf")
    first = submit(client, draft_plan, drawing)
    assert first.status_code == 202, first.content
    second = submit(client, draft_plan, drawing)
    assert second.status_code == 409
    assert "already queued or running" in second.json()["detail"]
    assert Job.objects.filter(revision=draft_plan).count() == 1

    jobs.run_worker_until_idle()
    assert Job.objects.get(pk=first.json()["id"]).state == "succeeded"
    kinds = list(
        Layer.objects.filter(revision=draft_plan, source_name="plan.dxf").values_list(
            "kind", flat=True
        )
    )
    assert sorted(kinds) == sorted(set(MAPPING.values()) - {"ignore"})  # one set of layers
    again = submit(client, draft_plan, drawing)  # the first ended: a new import may start
    assert again.status_code == 202, again.content


def test_a_cancelled_job_blocks_nothing(planner, draft_plan, tmp_path):
    client = client_for(planner)
    drawing = plan_drawing(tmp_path / "plan.dxf")
    job = submit(client, draft_plan, drawing).json()
    assert client.post(f"/api/jobs/{job['id']}/cancel/").json()["state"] == "cancelled"
    assert submit(client, draft_plan, drawing).status_code == 202


def test_two_simultaneous_requests_start_one_job(planner, draft_plan, tmp_path):
    """The first request's transaction is still open (its job row uncommitted) when the
    second one checks: without the revision's row lock both would pass."""
    drawing = plan_drawing(tmp_path / "plan.dxf")
    statuses: list[int] = []

    def post() -> None:
        statuses.append(submit(client_for(planner), draft_plan, drawing).status_code)

    run_twice_overlapping(post)
    assert sorted(statuses) == [202, 409]
    assert Job.objects.filter(revision=draft_plan).count() == 1
    connection.close()
