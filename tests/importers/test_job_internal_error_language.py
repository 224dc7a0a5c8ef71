"""An unexpected failure inside a job is recorded in the job's language (Job.params)."""

from __future__ import annotations

import pytest

from planning import jobs
from planning.models import Job

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("language", "start"),
    [("vi", "Lỗi nội bộ (tác vụ "), ("en", "Internal error (job ")],
)
def test_an_internal_error_is_written_in_the_jobs_language(planner, language, start):
    job = Job.objects.create(kind="cad_import", user=planner, params={jobs.LANGUAGE_KEY: language})
    with pytest.raises(RuntimeError), jobs.running(job.pk):
        raise RuntimeError("relation planning_feature: secret detail")
    job.refresh_from_db()
    assert job.state == "failed"
    assert job.message.startswith(f"{start}{job.pk})")
    assert "secret" not in job.message
