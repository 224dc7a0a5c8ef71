"""Procrastinate tasks of the importers: a CAD drawing or GIS file imported as a job."""

from __future__ import annotations

from procrastinate.contrib.django import app

from planning.jobs import JobCancelled


@app.task(name="importers.cad_import")
def cad_import(job_id: int, **params) -> None:
    """Runs one import job; its Job row records the outcome (see planning.jobs)."""
    from importers.jobs import run_import_job

    try:
        run_import_job(job_id, **params)
    except JobCancelled:
        return
