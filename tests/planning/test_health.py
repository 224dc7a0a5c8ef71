"""A dead background worker is noticed: `GET /health` answers 503 for monitoring, and a job
waiting for none says so on the import pages (QA walk: a CAD job stayed "queued" for ever
with no word of why). Procrastinate's workers write a heartbeat every 10 s."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone, translation

from planning.health import HEARTBEAT_SECONDS
from planning.jobs_api import job_labels
from planning.models import Job, JobState

pytestmark = pytest.mark.django_db


def heartbeat(seconds_ago: float) -> None:
    """A worker row as Procrastinate writes it, last seen `seconds_ago`."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_workers")
        cursor.execute(
            "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (%s)",
            [timezone.now() - timedelta(seconds=seconds_ago)],
        )


def test_health_says_whether_a_worker_lives():
    heartbeat(HEARTBEAT_SECONDS + 5)
    response = Client().get("/health")
    assert response.status_code == 200  # the web tier serves: no load balancer drops it
    assert response.json() == {"database": True, "worker": False}
    assert "no-cache" in response["Cache-Control"]
    heartbeat(3)
    response = Client().get("/health")
    assert response.status_code == 200
    assert response.json() == {"database": True, "worker": True}


def test_a_queued_job_tells_whether_a_worker_will_take_it(planner, draft_plan):
    job = Job.objects.create(kind="cad_import", user=planner, revision=draft_plan)
    client = Client(HTTP_ACCEPT_LANGUAGE="vi")
    client.force_login(planner)
    heartbeat(HEARTBEAT_SECONDS + 5)
    assert client.get(f"/api/jobs/{job.pk}/").json()["worker_running"] is False
    heartbeat(1)
    assert client.get(f"/api/jobs/{job.pk}/").json()["worker_running"] is True
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING)
    assert client.get(f"/api/jobs/{job.pk}/").json()["worker_running"] is None


def test_the_pages_have_words_for_it():
    with translation.override("vi"):
        label = job_labels()["noWorker"]
    assert label.startswith("Không có tiến trình nền")


def test_health_is_polled_over_plain_http_behind_the_https_redirect(settings):
    settings.SECURE_SSL_REDIRECT = True
    assert Client().get("/health").status_code == 200
    assert Client().get("/map/").status_code == 301
