"""Procrastinate tasks of the rasters app: a raster import (COG conversion) as a job."""

from __future__ import annotations

from procrastinate.contrib.django import app

from planning.jobs import JobCancelled


@app.task(name="rasters.raster_import")
def raster_import(job_id: int, **params) -> None:
    """Runs one raster import job; its Job row records the outcome (see planning.jobs)."""
    from rasters.jobs import run_raster_job

    try:
        run_raster_job(job_id, **params)
    except JobCancelled:
        return
