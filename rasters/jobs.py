"""Raster imports as background jobs (planning.jobs): submission and the task body.

The request checks who may import and stores the upload under var/jobs/<database>/<job
id>/ (removed by planning.jobs whatever the outcome); the worker runs the same
rasters.importing.import_raster as the synchronous path, so a file it refuses fails the job
with the same message, and a failure or cancel leaves no row and no file in the store.
"""

from __future__ import annotations

import shutil
from datetime import date

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from importers.uploads import check_size, safe_filename, store_for_job
from planning import jobs
from planning.errors import InvalidInput
from planning.models import Job, Revision
from rasters.importing import LAST_CHECK, check_permission, import_raster
from rasters.models import RasterLayer

KIND = "raster_import"
MAX_WAITING = 3  # raster imports of one revision queued or running at once


def submit_raster_job(
    *,
    user,
    revision: Revision,
    upload: UploadedFile,
    name: str = "",
    kind: str,
    crs: str | None = None,
    scan_date: date | None = None,
    remote_addr: str | None = None,
) -> Job:
    """Checks the caller may import into `revision`, stores the upload, queues the job."""
    from rasters.tasks import raster_import

    check_permission(user, revision)
    check_size(upload)
    stored = safe_filename(upload.name or "upload")
    with transaction.atomic():
        _refuse_too_many(revision)
        job = jobs.start_job(
            KIND,
            raster_import,
            user=user,
            revision=revision,
            filename=upload.name or stored,
            stored=stored,
            name=name,
            raster_kind=kind,  # "kind" is the job's
            crs=crs,
            scan_date=scan_date.isoformat() if scan_date else None,
            remote_addr=remote_addr,
        )
        directory = jobs.job_dir(job.pk)
        try:
            store_for_job(upload, directory / stored)
        except OSError:
            shutil.rmtree(directory, ignore_errors=True)
            raise
    job.refresh_from_db()
    return job


def _refuse_too_many(revision: Revision) -> None:
    """409 past MAX_WAITING raster imports of the revision queued or running: several scans
    may go at once, but each waits in the job store (up to the upload limit) for the one
    worker, so a loop of uploads must not fill the disk."""
    jobs.refuse_when_busy(
        revision,
        KIND,
        MAX_WAITING,
        _(
            "%(count)d raster imports into this revision are already queued or running; "
            "wait for one to finish (or cancel one) before starting another."
        )
        % {"count": MAX_WAITING},
    )


def run_raster_job(
    job_id: int,
    *,
    filename: str,
    stored: str,
    name: str,
    raster_kind: str,
    crs: str | None,
    scan_date: str | None,
    remote_addr: str | None,
) -> None:
    """The task body: import the stored upload, report progress, record the raster."""
    with jobs.running(job_id) as handle:
        job = Job.objects.select_related("user", "revision").get(pk=job_id)
        if job.revision is None:
            raise InvalidInput(_("The revision of this import no longer exists."))
        result = import_raster(
            user=job.user,
            revision=job.revision,
            path=jobs.job_dir(job_id) / stored,
            filename=filename,
            name=name,
            kind=raster_kind,
            crs=crs,
            scan_date=date.fromisoformat(scan_date) if scan_date else None,
            remote_addr=remote_addr,
            progress=_forced_at_last_check(handle),
        )
        handle.report = result.report
        handle.result = job_result(result.raster)


def _forced_at_last_check(handle: jobs.JobHandle):
    """The job's progress, forced through the throttle for the last cancel check (a cancel
    then rolls the saving back)."""

    def progress(pct: float, message: str) -> None:
        handle.progress(pct, message, force=pct >= LAST_CHECK)

    return progress


def job_result(raster: RasterLayer) -> dict:
    """What the job API and the upload page show of the imported raster."""
    return {
        "revision": raster.revision_id,
        "raster": raster.pk,
        "name": raster.name,
        "georeferenced": raster.is_georeferenced,
        "links": {
            "raster": reverse("raster-detail", args=[raster.pk]),
            "georeference": reverse("raster-georef", args=[raster.pk]),
            "map": f"{reverse('webmap:map')}?revision={raster.revision_id}",
        },
    }
