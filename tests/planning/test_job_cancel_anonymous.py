"""An anonymous cancel of a job is asked to sign in (401), as an anonymous read of it is;
opening the endpoint to the view's own check keeps CSRF for session callers."""

from __future__ import annotations

import pytest
from django.test import Client

from planning.models import Job

pytestmark = pytest.mark.django_db


def test_anonymous_cancel_is_401_like_the_read(planner, draft_plan):
    job = Job.objects.create(kind="cad_import", user=planner, revision=draft_plan)
    anonymous = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert anonymous.get(f"/api/jobs/{job.pk}/").status_code == 401
    cancel = anonymous.post(f"/api/jobs/{job.pk}/cancel/")
    assert cancel.status_code == 401, cancel.content
    assert cancel.json()["detail"] == "Sign in to cancel jobs."
    missing = anonymous.post("/api/jobs/999999999/cancel/")
    assert missing.status_code == 401  # nobody learns which job ids exist
    session = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    session.force_login(planner)
    assert session.post(f"/api/jobs/{job.pk}/cancel/").status_code == 403  # no CSRF token
    job.refresh_from_db()
    assert not job.cancel_requested
