"""CAD import as a Procrastinate job, through the HTTP API and a real worker: progress,
cancel, failure, and a worker killed mid-import (nothing written, job failed)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from planning import jobs
from planning.models import Job, Layer
from tests.cad.big_drawings import BIG_MAPPING, many_lots
from tests.cad.drawings import MAPPING, plan_drawing
from tests.waiting import wait_for

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def submit(client, revision, path: Path, mapping=MAPPING, **fields):
    with path.open("rb") as handle:
        return client.post(
            f"/api/revisions/{revision.pk}/cad/jobs/",
            {"file": handle, "mapping": json.dumps(mapping), **fields},
            format="multipart",
        )


def test_job_imports_a_drawing_with_progress(planner, draft_plan, tmp_path):
    client = client_for(planner)
    response = submit(client, draft_plan, plan_drawing(tmp_path / "plan.dxf"), crs="EPSG:9214")
    assert response.status_code == 202, response.content
    job = response.json()
    assert (job["kind"], job["state"], job["progress"]) == ("cad_import", "queued", 0)
    stored = jobs.job_dir(job["id"])
    assert [p.name for p in stored.iterdir()] == ["plan.dxf"]  # kept until the job runs
    jobs.run_worker_until_idle()
    done = client.get(f"/api/jobs/{job['id']}/").json()
    assert done["state"] == "succeeded", done
    assert done["progress"] == 100
    assert done["finished"]
    assert done["report"]["features"] == {"landuse": 6}
    layers = Layer.objects.filter(revision=draft_plan, source_format="DXF")
    assert [(lay.pk, lay.feature_count) for lay in layers] == [
        (entry["id"], entry["feature_count"]) for entry in done["result"]["layers"]
    ]
    assert not stored.exists()  # the upload is removed once the job ended


def test_progress_is_recorded_while_the_job_runs(planner, draft_plan, tmp_path):
    path = many_lots(tmp_path / "big.dxf", 8000)
    job = submit(client_for(planner), draft_plan, path, BIG_MAPPING, crs="EPSG:9214").json()
    seen: set[tuple[int, str]] = set()
    worker = threading.Thread(target=jobs.run_worker_until_idle)
    worker.start()
    while worker.is_alive():
        row = Job.objects.filter(pk=job["id"]).values_list("progress", "message").first()
        seen.add(row)
        time.sleep(0.05)
    worker.join()
    # Progress writes are throttled and the sampling is coarse: require several distinct
    # intermediate stages, each one the converter or the loader really announces.
    stages = {
        "Reading the drawing",
        "Reading the entities",
        "Decoding the text",
        "Building the layer “Land-use lots and zones”",
        "Building the layer “Roads”",
        "Loading the layer “Land-use lots and zones”",
        "Loading the layer “Roads”",
        "Saving",
    }
    intermediate = {(pct, message) for pct, message in seen if 0 < pct < 100}
    assert len(intermediate) >= 2, seen
    assert {message for _, message in intermediate} <= stages, seen
    assert Job.objects.get(pk=job["id"]).state == "succeeded"


def test_cancel_a_running_job_leaves_no_layer(planner, draft_plan, tmp_path):
    path = many_lots(tmp_path / "big.dxf", 8000)
    client = client_for(planner)
    job = submit(client, draft_plan, path, BIG_MAPPING, crs="EPSG:9214").json()
    worker = threading.Thread(target=jobs.run_worker_until_idle)
    worker.start()
    running = Job.objects.filter(pk=job["id"], state="running", progress__gt=0)
    wait_for(running.exists, step=0.02)
    response = client.post(f"/api/jobs/{job['id']}/cancel/")
    assert response.status_code == 200
    assert response.json()["cancel_requested"] is True
    worker.join(120)
    final = client.get(f"/api/jobs/{job['id']}/").json()
    assert final["state"] == "cancelled", final
    assert not Layer.objects.filter(revision=draft_plan, source_format="DXF").exists()
    assert not jobs.job_dir(job["id"]).exists()
    again = client.post(f"/api/jobs/{job['id']}/cancel/")
    assert again.status_code == 409


def test_cancel_a_queued_job_before_any_worker(planner, draft_plan, tmp_path):
    client = client_for(planner)
    job = submit(client, draft_plan, plan_drawing(tmp_path / "plan.dxf")).json()
    cancelled = client.post(f"/api/jobs/{job['id']}/cancel/").json()
    assert cancelled["state"] == "cancelled"
    jobs.run_worker_until_idle()
    assert Job.objects.get(pk=job["id"]).state == "cancelled"
    assert not Layer.objects.filter(revision=draft_plan, source_format="DXF").exists()


def test_a_broken_drawing_ends_in_a_failed_job(planner, draft_plan, tmp_path):
    broken = tmp_path / "broken.dxf"
    broken.write_bytes(b"0\nSECTION\n2\nENTITIES\n0\nLINE\n8\n0\n10\nnot-a-number\n")
    job = submit(client_for(planner), draft_plan, broken).json()
    jobs.run_worker_until_idle()
    final = Job.objects.get(pk=job["id"])
    assert final.state == "failed"
    assert final.message
    assert not Layer.objects.filter(revision=draft_plan, source_format="DXF").exists()


def test_bad_requests_are_refused_before_queueing(planner, draft_plan, outsider, tmp_path):
    path = plan_drawing(tmp_path / "plan.dxf")
    client = client_for(planner)
    assert submit(client, draft_plan, path, {"QH_HATCH": "castle"}).status_code == 400
    assert submit(client, draft_plan, path, crs="province:atlantis").status_code == 400
    bad_points = submit(client, draft_plan, path, control_points="[[1,2,3,4]]")
    assert bad_points.status_code == 400
    assert not Job.objects.exists()
    job = submit(client, draft_plan, path).json()
    assert client_for(outsider).get(f"/api/jobs/{job['id']}/").status_code == 404
    assert client_for(outsider).post(f"/api/jobs/{job['id']}/cancel/").status_code == 404
    assert APIClient().get(f"/api/jobs/{job['id']}/").status_code in (401, 403)
    assert submit(client_for(outsider), draft_plan, path).status_code == 404
    assert client.post(f"/api/jobs/{job['id']}/cancel/").json()["state"] == "cancelled"
    assert not jobs.job_dir(job["id"]).exists()


def test_jobs_of_a_published_revision_stay_with_the_project(
    planner, reviewer, outsider, plan_in_force
):
    """A published revision is visible to everyone; its jobs (import reports, messages)
    are not: only the job's user and the project's members see them."""
    job = Job.objects.create(
        kind="cad_import", user=planner, revision=plan_in_force, message="plan.dxf: 3 layers"
    )
    assert client_for(outsider).get(f"/api/jobs/{job.pk}/").status_code == 404
    assert client_for(outsider).post(f"/api/jobs/{job.pk}/cancel/").status_code == 404
    assert client_for(reviewer).get(f"/api/jobs/{job.pk}/").status_code == 200
    assert client_for(planner).get(f"/api/jobs/{job.pk}/").json()["message"] == job.message


def test_orphan_working_directories_are_swept(planner, draft_plan, tmp_path):
    """An upload stored by a request that rolled back has no job: removed once old."""
    job = submit(client_for(planner), draft_plan, plan_drawing(tmp_path / "plan.dxf")).json()
    orphan = jobs.jobs_root() / "999999"
    orphan.mkdir(parents=True)
    (orphan / "plan.dxf").write_bytes(b"0\nEOF\n")
    scratch = Path(settings.PLANNING_VAR_DIR) / "tmp"
    stale, fresh = scratch / "cad-killed", scratch / "cad-running"
    stale_raster = Path(settings.PLANNING_RASTER_DIR) / "tmp" / "raster-killed"
    for directory in (stale, fresh, stale_raster):
        directory.mkdir(parents=True)
    day_old = time.time() - 2 * jobs.STALE_SCRATCH_AGE
    for directory in (stale, stale_raster):
        os.utime(directory, (day_old, day_old))
    old = time.time() - 2 * jobs.ORPHAN_AGE
    for directory in (orphan, jobs.job_dir(job["id"])):
        os.utime(directory, (old, old))
    jobs.recover_stalled_jobs()
    assert not orphan.exists()
    assert not stale.exists()  # a conversion's scratch left by a killed process
    assert not stale_raster.exists()  # a raster import's, next to the raster store
    assert fresh.exists()
    fresh.rmdir()
    assert jobs.job_dir(job["id"]).exists()  # its job is still queued
    jobs.run_worker_until_idle()
    assert not jobs.job_dir(job["id"]).exists()


def _worker_env() -> dict:
    db = connection.settings_dict
    host = db.get("HOST") or ""
    url = f"postgres://{db.get('USER') or 'postgres'}@/{db['NAME']}?host={host}"
    if db.get("PORT"):
        url += f"&port={db['PORT']}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["DATABASE_URL"] = url
    return env


def _load_in_progress() -> bool:
    """A worker transaction holds the just-created, uncommitted layer rows."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE c.relname = 'planning_feature' AND l.mode = 'RowExclusiveLock' "
            "AND l.pid <> pg_backend_pid() "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        return cursor.fetchone()[0] > 0


def test_killed_worker_leaves_no_layer_and_a_failed_job(planner, draft_plan, tmp_path):
    path = many_lots(tmp_path / "big.dxf", 20000)
    scratch = Path(settings.PLANNING_VAR_DIR) / "tmp"
    scratch_before = set(scratch.glob("cad-*"))
    job = submit(client_for(planner), draft_plan, path, BIG_MAPPING, crs="EPSG:9214").json()
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "procrastinate", "worker"],
        cwd=ROOT,
        env=_worker_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(_load_in_progress, timeout=180, step=0.005)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert Job.objects.get(pk=job["id"]).state == "running"  # nobody is left to say otherwise
    time.sleep(1.5)
    assert jobs.recover_stalled_jobs(seconds_since_heartbeat=1) == [job["id"]]
    final = client_for(planner).get(f"/api/jobs/{job['id']}/").json()
    assert final["state"] == "failed"
    assert "worker stopped" in final["message"]
    assert not Layer.objects.filter(revision=draft_plan, source_format="DXF").exists()
    assert not jobs.job_dir(job["id"]).exists()
    assert set(scratch.glob("cad-*")) == scratch_before  # killed while loading: none left
    assert Path(settings.PLANNING_VAR_DIR).is_dir()


def test_an_anonymous_cancel_is_refused_in_the_callers_language(planner, draft_plan):
    """The cancel asks an anonymous caller to sign in (401, as the job's read does). DRF's
    own "Authentication credentials were not provided.", which other anonymous POSTs get,
    is English in its Vietnamese catalogue; the project's catalogue translates it."""
    from django.test import Client

    job = Job.objects.create(kind="cad_import", user=planner, revision=draft_plan)
    answers, drf_answers = {}, {}
    for language in ("vi", "en"):
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        answer = client.post(f"/api/jobs/{job.pk}/cancel/")
        assert answer.status_code == 401
        answers[language] = answer.json()["detail"]
        drf_answers[language] = client.post(f"/api/revisions/{draft_plan.pk}/qa/").json()["detail"]
    assert answers == {"vi": "Hãy đăng nhập để hủy tác vụ.", "en": "Sign in to cancel jobs."}
    assert drf_answers == {
        "vi": "Chưa có thông tin xác thực: hãy đăng nhập hoặc gửi mã API (token).",
        "en": "Authentication credentials were not provided.",
    }
    assert Job.objects.get(pk=job.pk).state == "queued"
