"""REST endpoints of background jobs: GET /api/jobs/{id}/, POST /api/jobs/{id}/cancel/."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from planning import jobs
from planning.api.times import api_instant
from planning.errors import NotAuthenticated, NotFound
from planning.health import worker_running
from planning.models import Job, JobState


def job_dict(job: Job) -> dict:
    # Reports are stored in English (importers.report); they are read in the caller's language.
    from importers.report import localized_cad_report

    return {
        "id": job.pk,
        "kind": job.kind,
        "state": job.state,
        "progress": job.progress,
        "message": job.message,
        "report": localized_cad_report(job.report),
        "result": job.result,
        "revision": job.revision_id,
        "cancel_requested": job.cancel_requested,
        "created": api_instant(job.created),
        "started": api_instant(job.started),
        "finished": api_instant(job.finished),
        # Only while it waits: whether a worker runs to take it (planning.health).
        "worker_running": worker_running() if job.state == JobState.QUEUED else None,
    }


def job_labels() -> dict[str, str]:
    """A conversion job's states as the import pages show them, in the request's language."""
    return {
        "queued": _("Waiting for a worker…"),
        "noWorker": _(
            "No background worker is running, so the job waits: tell the server's administrator."
        ),
        "running": _("Converting…"),
        "succeeded": _("Conversion finished."),
        "failed": _("The conversion failed."),
        "cancelled": _("The conversion was cancelled; nothing was written."),
        "cancelling": _("Cancelling…"),
        "progress": _("%(progress)d %%"),
    }


def visible_job(user, job_id: int) -> Job:
    if not user.is_authenticated:
        raise NotAuthenticated(_("Sign in to see jobs."))
    job = Job.objects.select_related("revision").filter(pk=job_id).first()
    if job is None or not jobs.can_see(user, job):
        raise NotFound(_("No such job."))
    return job


def _private(response: Response) -> Response:
    response["Cache-Control"] = "private, no-store"
    return response


@extend_schema(responses={200: OpenApiTypes.OBJECT})
@api_view(["GET"])
def job_detail(request: Request, job_id: int) -> Response:
    """State, progress, message, report and result of one background job."""
    job = visible_job(request.user, job_id)
    if job.is_active and jobs.recover_stalled_jobs(job_ids=[job.pk]):
        job.refresh_from_db()
    return _private(Response(job_dict(job)))


@extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
@api_view(["POST"])
# The view asks an anonymous caller to sign in (401), as the read does: the default
# IsAuthenticatedOrReadOnly would refuse the POST first, and DRF turns its NotAuthenticated
# into 403 because session authentication, the first class, sends no WWW-Authenticate.
@permission_classes([AllowAny])
def job_cancel(request: Request, job_id: int) -> Response:
    """Cancels a queued job, or asks a running one to stop (nothing is written)."""
    if not request.user.is_authenticated:
        raise NotAuthenticated(_("Sign in to cancel jobs."))
    job = visible_job(request.user, job_id)
    return _private(Response(job_dict(jobs.cancel_job(job, request.user))))
