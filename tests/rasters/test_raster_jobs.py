"""Raster imports as background jobs through the HTTP API and a real Procrastinate worker
(in-process, planning.jobs.run_worker_until_idle): the same raster and the same refusals as
the synchronous upload, and a cancelled or failed job leaves no row and no file."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from rest_framework.test import APIClient

from planning import jobs
from planning.models import Job
from rasters.models import RasterLayer
from tests.rasters.conftest import SAMPLES, stored_files
from tests.waiting import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_authenticate(user)
    return client


def post(client, url: str, path: Path, **fields):
    with path.open("rb") as handle:
        return client.post(url, {"file": handle, **fields}, format="multipart")


def submit(client, revision, path: Path, **fields):
    return post(client, f"/api/revisions/{revision.pk}/rasters/jobs/", path, **fields)


def upload_now(client, revision, path: Path, **fields):
    return post(client, f"/api/revisions/{revision.pk}/rasters/", path, **fields)


def truncated_sample(tmp_path: Path) -> Path:
    cut = tmp_path / "utm.tif"
    cut.write_bytes((SAMPLES / "utmsmall.tif").read_bytes()[:100])
    return cut


def test_a_geotiff_job_gives_the_raster_of_the_direct_upload(draft_plan, planner, settings):
    client = client_for(planner)
    direct = upload_now(
        client, draft_plan, SAMPLES / "utmsmall.tif", name="ortho", kind="orthophoto"
    )
    assert direct.status_code == 201, direct.content
    response = submit(client, draft_plan, SAMPLES / "utmsmall.tif", name="ortho", kind="orthophoto")
    assert response.status_code == 202, response.content
    job = response.json()
    assert (job["kind"], job["state"], job["progress"]) == ("raster_import", "queued", 0)
    assert response["Location"] == f"/api/jobs/{job['id']}/"
    assert [p.name for p in jobs.job_dir(job["id"]).iterdir()] == ["utmsmall.tif"]
    assert RasterLayer.objects.count() == 1  # nothing converted in the request

    jobs.run_worker_until_idle()
    done = client.get(f"/api/jobs/{job['id']}/").json()
    assert (done["state"], done["progress"], done["message"]) == ("succeeded", 100, "Done."), done
    raster_id = done["result"]["raster"]
    assert done["result"]["links"]["georeference"] == f"/rasters/{raster_id}/georeference/"
    assert done["report"] == direct.json()["report"]
    queued = client.get(f"/api/rasters/{raster_id}/").json()
    expected = {k: v for k, v in direct.json().items() if k != "report"}
    differ = {"id", "layer", "created_at"}
    assert {k: v for k, v in queued.items() if k not in differ} == {
        k: v for k, v in expected.items() if k not in differ
    }
    assert queued["georeferenced"]
    assert queued["kind"] == "orthophoto"
    assert RasterLayer.objects.get(pk=raster_id).cog_file().is_file()
    assert not jobs.job_dir(job["id"]).exists()  # the upload is removed once the job ended


def test_a_corrupt_file_fails_as_the_direct_upload_does(draft_plan, planner, settings, tmp_path):
    client = client_for(planner)
    cut = truncated_sample(tmp_path)
    direct = upload_now(client, draft_plan, cut)
    assert direct.status_code == 400
    job = submit(client, draft_plan, cut).json()
    jobs.run_worker_until_idle()
    failed = client.get(f"/api/jobs/{job['id']}/").json()
    assert failed["state"] == "failed"
    assert failed["message"] == direct.json()["detail"]
    assert "truncated" in failed["message"]
    assert failed["result"] == {}
    assert not RasterLayer.objects.exists()
    assert stored_files(settings.PLANNING_RASTER_DIR) == []
    assert not jobs.job_dir(job["id"]).exists()


def test_a_job_cancelled_before_it_runs_leaves_nothing(draft_plan, planner, settings):
    client = client_for(planner)
    job = submit(client, draft_plan, SAMPLES / "byte.tif").json()
    cancelled = client.post(f"/api/jobs/{job['id']}/cancel/").json()
    assert cancelled["state"] == "cancelled"
    assert not jobs.job_dir(job["id"]).exists()
    jobs.run_worker_until_idle()
    assert Job.objects.get(pk=job["id"]).state == "cancelled"
    assert not RasterLayer.objects.exists()
    assert stored_files(settings.PLANNING_RASTER_DIR) == []


def _lock_revision(revision_id: int) -> psycopg.Connection:
    """Holds the revision's row lock (as a concurrent import would) until rolled back."""
    params = connection.settings_dict
    lock = psycopg.connect(
        dbname=params["NAME"],
        user=params.get("USER") or None,
        password=params.get("PASSWORD") or None,
        host=params.get("HOST") or None,
        port=params.get("PORT") or None,
    )
    lock.execute("SELECT id FROM planning_revision WHERE id = %s FOR UPDATE", [revision_id])
    return lock


def test_a_cancel_while_saving_rolls_back_the_row_and_the_file(draft_plan, planner, settings):
    """The job converts, then waits for the revision's lock before it saves; cancelled
    then, it still moves the file and inserts the row, and its last check undoes both."""
    client = client_for(planner)
    job = submit(client, draft_plan, SAMPLES / "rgbsmall.tif").json()
    lock = _lock_revision(draft_plan.pk)
    try:
        worker = threading.Thread(target=jobs.run_worker_until_idle)
        worker.start()
        saving = Job.objects.filter(pk=job["id"], state="running", progress__gte=90)
        wait_for(saving.exists, step=0.05)
        assert Job.objects.get(pk=job["id"]).message == "Saving"
        assert client.post(f"/api/jobs/{job['id']}/cancel/").json()["cancel_requested"]
    finally:
        lock.rollback()
        lock.close()
    worker.join(60)
    final = Job.objects.get(pk=job["id"])
    assert (final.state, final.message) == ("cancelled", "Cancelled; nothing was imported.")
    assert not RasterLayer.objects.exists()
    assert stored_files(settings.PLANNING_RASTER_DIR) == []


def test_who_may_start_a_raster_job(draft_plan, plan_in_force, planner, outsider, reviewer):
    path = SAMPLES / "byte.tif"
    for user in (outsider, None):
        direct = upload_now(client_for(user), draft_plan, path)
        queued = submit(client_for(user), draft_plan, path)
        assert direct.status_code == 404 if user else direct.status_code in (401, 403, 404)
        assert (queued.status_code, queued.json()) == (direct.status_code, direct.json())
    in_force_direct = upload_now(client_for(planner), plan_in_force, path)
    in_force_job = submit(client_for(planner), plan_in_force, path)
    assert in_force_direct.status_code == 409
    assert (in_force_job.status_code, in_force_job.json()) == (409, in_force_direct.json())
    bad_kind = submit(client_for(planner), draft_plan, path, kind="castle")
    assert bad_kind.status_code == 400
    assert "kind" in bad_kind.json()
    assert not Job.objects.exists()
    job = submit(client_for(planner), draft_plan, path).json()
    for user in (outsider, reviewer):
        assert client_for(user).get(f"/api/jobs/{job['id']}/").status_code == 404
        assert client_for(user).post(f"/api/jobs/{job['id']}/cancel/").status_code == 404
    assert client_for(planner).post(f"/api/jobs/{job['id']}/cancel/").status_code == 200
    assert not jobs.job_dir(job["id"]).exists()  # its upload went with it


def test_the_job_endpoint_is_in_the_openapi_schema(client):
    schema = client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/revisions/{revision_id}/rasters/jobs/"]["post"]
    assert "202" in operation["responses"]
    body = operation["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"]
    assert body.endswith("/RasterUploadRequest")


def test_the_upload_page_queues_a_job_and_shows_only_its_own(
    draft_plan, plan_in_force, planner, outsider
):
    from django.test import Client

    page = Client(HTTP_ACCEPT_LANGUAGE="en")
    page.force_login(planner)
    url = f"/revisions/{draft_plan.pk}/rasters/"
    with (SAMPLES / "byte.tif").open("rb") as handle:
        posted = page.post(url, {"file": handle, "name": "scan", "kind": "scan"})
    job = Job.objects.get(revision=draft_plan, kind="raster_import")
    assert (posted.status_code, posted["Location"]) == (302, f"{url}?job={job.pk}")
    assert not RasterLayer.objects.exists()  # converted by the worker, not the request
    shown = page.get(f"{url}?job={job.pk}")
    assert b'id="raster-upload-config"' in shown.content
    assert b"Waiting for a worker" in shown.content
    other = page.get(f"/revisions/{plan_in_force.pk}/rasters/?job={job.pk}")
    assert b'id="raster-job"' not in other.content  # another revision's job is not shown
    with (SAMPLES / "byte.tif").open("rb") as handle:
        refused = page.post(
            f"/revisions/{plan_in_force.pk}/rasters/", {"file": handle, "kind": "scan"}
        )
    assert refused.status_code == 409
    assert b"only drafts take new rasters" in refused.content
    stranger = Client(HTTP_ACCEPT_LANGUAGE="en")
    stranger.force_login(outsider)
    assert stranger.get(f"{url}?job={job.pk}").status_code == 404
    for odd in ("²", "1e3", "-1", "9" * 40):  # no job shown, no error
        answer = page.get(url, {"job": odd})
        assert answer.status_code == 200
        assert b'id="raster-job"' not in answer.content
    assert Job.objects.count() == 1
    assert jobs.cancel_job(job, planner).state == "cancelled"


def test_only_a_few_raster_jobs_of_a_revision_wait_at_once(draft_plan, planner, settings):
    """Each waiting job holds its upload on disk: past MAX_WAITING a new one is refused
    (409, nothing stored) until one ends."""
    from rasters.jobs import MAX_WAITING

    client = client_for(planner)
    queued = [submit(client, draft_plan, SAMPLES / "byte.tif") for _ in range(MAX_WAITING)]
    assert [answer.status_code for answer in queued] == [202] * MAX_WAITING
    refused = submit(client, draft_plan, SAMPLES / "byte.tif")
    assert refused.status_code == 409
    assert "already queued or running" in refused.json()["detail"]
    assert Job.objects.count() == MAX_WAITING
    assert sorted(p.name for p in jobs.jobs_root().iterdir()) == sorted(
        str(answer.json()["id"]) for answer in queued
    )
    client.post(f"/api/jobs/{queued[0].json()['id']}/cancel/")
    assert submit(client, draft_plan, SAMPLES / "byte.tif").status_code == 202
