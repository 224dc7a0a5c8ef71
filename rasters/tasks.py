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


@app.periodic(cron="17 3 * * *", periodic_id="sweep-raster-store")
@app.task(name="rasters.sweep_store", queueing_lock="sweep_raster_store")
def sweep_raster_store(timestamp: int) -> None:
    """Every night: store files no raster row refers to (a worker killed while saving, a
    deleted revision) are removed (rasters.store)."""
    from rasters.store import sweep_store

    sweep_store()
