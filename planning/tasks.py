"""Procrastinate tasks of the planning app: housekeeping of background jobs."""

from __future__ import annotations

from procrastinate.contrib.django import app

from planning.jobs import recover_stalled_jobs


@app.periodic(cron="* * * * *", periodic_id="recover-stalled-jobs")
@app.task(name="planning.recover_stalled_jobs", queueing_lock="recover_stalled_jobs")
def recover_stalled(timestamp: int) -> None:
    """Every minute: jobs whose worker died (killed, crashed) are marked failed."""
    recover_stalled_jobs()
