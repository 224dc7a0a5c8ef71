"""Background jobs on Procrastinate (PostgreSQL): start, run with progress, cancel, recover.

A task defines its work inside `with running(job_id) as job:` and reports
`job.progress(pct, message)`; that call also raises JobCancelled once a user asked to
cancel. Job rows are written through a separate autocommit connection, so progress is
visible while the task's own transaction is open and a failure or cancel is recorded
after that transaction rolled back. A worker that dies mid-task leaves its open
transaction to PostgreSQL's rollback; `recover_stalled_jobs` then marks the job failed
(the worker runs it every minute, the job API runs it for the job being looked at).
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from psycopg import sql

from planning import visibility
from planning.errors import Conflict, Forbidden, NotAuthenticated, PlanningError
from planning.models import Job, JobState
from planning.models.jobs import ACTIVE_STATES

logger = logging.getLogger(__name__)

ORPHAN_AGE = 3600.0  # seconds before a working directory no active job owns is removed
STALE_SCRATCH_AGE = 86400.0  # seconds before a conversion's scratch directory is removed
PROGRESS_INTERVAL = 0.5  # seconds between progress writes (cancel checks) at most
FINAL_STATES = (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)
LANGUAGE_KEY = "_language"  # in Job.params: the language progress and messages are written in
_WRITABLE = frozenset({"state", "progress", "message", "report", "result"})


class JobCancelled(Exception):
    """The user asked to cancel the job; raised by JobHandle.progress."""


def jobs_root() -> Path:
    """Working directories of this database's jobs (test databases get their own)."""
    return Path(settings.PLANNING_VAR_DIR) / "jobs" / str(connection.settings_dict["NAME"])


def job_dir(job_id: int) -> Path:
    """Private working directory of a job (its upload); removed when the job ends."""
    return jobs_root() / str(job_id)


def start_job(kind: str, task: Any, *, user, revision=None, **task_kwargs) -> Job:
    """Creates the Job row and defers `task(job_id=..., **task_kwargs)` on commit. The
    task reports progress in the language active now (the request's)."""
    params = {**task_kwargs, LANGUAGE_KEY: translation.get_language() or settings.LANGUAGE_CODE}
    job = Job.objects.create(kind=kind, user=user, revision=revision, params=params)

    def defer() -> None:
        procrastinate_id = task.defer(job_id=job.pk, **task_kwargs)
        Job.objects.filter(pk=job.pk).update(procrastinate_job_id=procrastinate_id)
        job.procrastinate_job_id = procrastinate_id

    transaction.on_commit(defer)
    return job


def refuse_when_busy(revision, kind: str, most: int, message: str) -> None:
    """Conflict (409, `message`) while `most` jobs of `kind` into the revision are queued or
    running. The revision's row lock makes two requests check one after the other, each
    seeing the job the other committed; a dead worker's jobs count for nothing."""
    type(revision).objects.select_for_update().filter(pk=revision.pk).first()
    active = Job.objects.filter(revision_id=revision.pk, kind=kind, state__in=ACTIVE_STATES)
    ids = list(active.values_list("pk", flat=True))
    if len(ids) >= most:
        recover_stalled_jobs(job_ids=ids)
        if active.count() >= most:
            raise Conflict(message)


def can_see(user, job: Job) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if job.revision is None:
        return job.user_id == user.pk
    # Only while the job's revision is visible to the caller, its starter included (a
    # planner removed from the project no longer reads their draft's reports; reviewers
    # never see drafts' jobs); besides the starter, members of the job's project only (not
    # everyone who may see a published revision).
    if not visibility.visible_revisions(user).filter(pk=job.revision.pk).exists():
        return False
    return (
        job.user_id == user.pk
        or user.is_staff
        or visibility.has_any_role(user, job.revision.project)
    )


def can_cancel(user, job: Job) -> bool:
    if not can_see(user, job):
        return False
    if user.is_superuser or job.user_id == user.pk:
        return True
    return job.revision is not None and visibility.can_edit(user, job.revision)


def cancel_job(job: Job, user) -> Job:
    """Cancels a queued job at once; asks a running one to stop at its next progress."""
    if user is None or not user.is_authenticated:
        raise NotAuthenticated(_("Sign in to cancel jobs."))
    if not can_cancel(user, job):
        raise Forbidden(_("Only the job's owner or the project's planners may cancel it."))
    if job.state in FINAL_STATES:
        raise Conflict(_("The job has already ended (%(state)s).") % {"state": job.state})
    Job.objects.filter(pk=job.pk).update(cancel_requested=True)
    if job.state == JobState.QUEUED and _cancel_queued(job):
        _finish(job.pk, JobState.CANCELLED, message=_("Cancelled before it started."))
        _close_side_connection()
        shutil.rmtree(job_dir(job.pk), ignore_errors=True)
    job.refresh_from_db()
    return job


def _cancel_queued(job: Job) -> bool:
    from procrastinate.contrib.django import app

    if job.procrastinate_job_id is None:
        return True  # never deferred: the task will find the job cancelled
    return app.job_manager.cancel_job_by_id(job.procrastinate_job_id)


class JobHandle:
    """What a running task sees of its Job: progress reporting and the cancel flag."""

    def __init__(self, job_id: int) -> None:
        self.id = job_id
        self.report: dict = {}
        self.result: dict = {}
        self._last_write = 0.0
        self._last_pct = -1

    def progress(self, pct: float, message: str = "", *, force: bool = False) -> None:
        """Records progress (throttled) and raises JobCancelled when cancel was asked."""
        pct = max(0, min(99, int(pct)))
        now = time.monotonic()
        recent = now - self._last_write < PROGRESS_INTERVAL
        if recent and not force and pct - self._last_pct < 5:
            return
        self._last_write, self._last_pct = now, pct
        row = _execute(
            "UPDATE planning_job SET progress = %s, message = %s WHERE id = %s "
            "RETURNING cancel_requested",
            [pct, message, self.id],
        )
        if row is None or row[0]:
            raise JobCancelled


@contextmanager
def running(job_id: int) -> Iterator[JobHandle]:
    """Marks the job running; then succeeded, failed (any exception) or cancelled."""
    handle = JobHandle(job_id)
    row = _execute(
        "UPDATE planning_job SET state = 'running', started = now(), progress = 0 "
        "WHERE id = %s AND state = 'queued' AND NOT cancel_requested "
        "RETURNING params ->> %s",
        [job_id, LANGUAGE_KEY],
    )
    if row is None:  # cancelled (or already ended) before the worker got to it
        _finish(job_id, JobState.CANCELLED, message=_("Cancelled before it started."))
        shutil.rmtree(job_dir(job_id), ignore_errors=True)
        _close_side_connection()
        raise JobCancelled
    with translation.override(row[0] or settings.LANGUAGE_CODE):
        yield from _run(job_id, handle)


def _run(job_id: int, handle: JobHandle) -> Iterator[JobHandle]:
    try:
        yield handle
    except JobCancelled:
        _finish(job_id, JobState.CANCELLED, message=_("Cancelled; nothing was imported."))
    except PlanningError as exc:
        report = exc.details if isinstance(exc.details, dict) else {}
        _finish(job_id, JobState.FAILED, message=exc.message, report=report or handle.report)
    except Exception:
        logger.exception("job %s failed", job_id)
        # The exception text may name tables or paths: it goes to the log, not to users.
        _finish(
            job_id,
            JobState.FAILED,
            message=_(
                "Internal error (job %(id)s); the details are in the server log. "
                "Nothing was imported."
            )
            % {"id": job_id},
        )
        raise
    else:
        _finish(
            job_id,
            JobState.SUCCEEDED,
            progress=100,
            message=_("Done."),
            report=handle.report,
            result=handle.result,
        )
    finally:
        shutil.rmtree(job_dir(job_id), ignore_errors=True)
        _close_side_connection()


def recover_stalled_jobs(
    seconds_since_heartbeat: float | None = None, job_ids: list[int] | None = None
) -> list[int]:
    """Marks failed the active jobs whose worker died or whose task ended without them
    (all of them, or those of `job_ids`); heartbeat timeout PLANNING_JOB_STALLED_SECONDS."""
    if seconds_since_heartbeat is None:
        seconds_since_heartbeat = settings.PLANNING_JOB_STALLED_SECONDS
    rows = _execute_all(
        """
        SELECT j.id FROM planning_job j
        JOIN procrastinate_jobs p ON p.id = j.procrastinate_job_id
        LEFT JOIN procrastinate_workers w ON w.id = p.worker_id
        WHERE j.state IN ('queued', 'running')
          AND (%s::bigint[] IS NULL OR j.id = ANY(%s::bigint[]))
          AND (p.status IN ('succeeded', 'failed', 'cancelled', 'aborted')
               OR (p.status = 'doing' AND (p.worker_id IS NULL
                   OR w.last_heartbeat < now() - make_interval(secs => %s))))
        """,
        [job_ids, job_ids, seconds_since_heartbeat],
    )
    ids = [row[0] for row in rows]
    for job_id in ids:
        _finish(
            job_id,
            JobState.FAILED,
            message=_("The worker stopped while running this job; nothing was imported."),
        )
        _execute(
            "UPDATE procrastinate_jobs SET status = 'failed' "
            "WHERE id = (SELECT procrastinate_job_id FROM planning_job WHERE id = %s) "
            "AND status = 'doing' RETURNING id",
            [job_id],
        )
        shutil.rmtree(job_dir(job_id), ignore_errors=True)
    if ids:
        logger.warning("marked stalled jobs failed: %s", ids)
    if job_ids is None:
        _sweep_orphan_dirs()
        _sweep_stale_scratch()
    _close_side_connection()
    return ids


def _sweep_orphan_dirs(min_age: float = ORPHAN_AGE) -> None:
    """Removes working directories no active job owns (a request rolled back after the
    upload was stored, a job row deleted), once they are `min_age` seconds old."""
    root = jobs_root()
    if not root.is_dir():
        return
    active = {
        row[0]
        for row in _execute_all(
            "SELECT id FROM planning_job WHERE state IN ('queued', 'running')", []
        )
    }
    now = time.time()
    for entry in root.iterdir():
        owned = entry.name.isdigit() and int(entry.name) in active
        if not owned and _age(entry, now) > min_age:
            shutil.rmtree(entry, ignore_errors=True)


def scratch_roots() -> list[Path]:
    """Where conversions keep their scratch directories: CAD and GIS imports under
    var/tmp, raster imports next to the raster store (the COG is moved from there)."""
    return [Path(settings.PLANNING_VAR_DIR) / "tmp", Path(settings.PLANNING_RASTER_DIR) / "tmp"]


def _sweep_stale_scratch(min_age: float = STALE_SCRATCH_AGE) -> None:
    """Removes conversion scratch directories left by a process killed while converting;
    no conversion runs for a day."""
    now = time.time()
    for root in scratch_roots():
        if not root.is_dir():
            continue
        for entry in root.iterdir():
            if _age(entry, now) > min_age:
                shutil.rmtree(entry, ignore_errors=True)


def _age(entry: Path, now: float) -> float:
    """Seconds since the entry changed; 0 for one removed meanwhile (a request's scratch)."""
    try:
        return now - entry.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def run_worker_until_idle(**options: Any) -> None:
    """Runs an in-process worker over every queued job, then returns (tests, scripts)."""
    from procrastinate.contrib.django import app

    options = {
        "wait": False,
        "install_signal_handlers": False,
        "listen_notify": False,
        **options,
    }
    with app.replace_connector(app.connector.get_worker_connector()):  # type: ignore[attr-defined]
        app.run_worker(**options)


def _finish(job_id: int, state: str, **fields: Any) -> None:
    values = {"state": state, **fields}
    assignments: list[sql.Composable] = [sql.SQL("finished = now()")]
    params: list[Any] = []
    for name, value in values.items():
        if name not in _WRITABLE:
            raise ValueError(f"not a writable job field: {name}")
        assignments.append(sql.SQL("{} = %s").format(sql.Identifier(name)))
        params.append(psycopg.types.json.Jsonb(value) if isinstance(value, dict) else value)
    query = sql.SQL("UPDATE planning_job SET {} WHERE id = %s AND state IN ({}) RETURNING id")
    _execute(
        query.format(
            sql.SQL(", ").join(assignments),
            sql.SQL(", ").join(sql.Literal(s) for s in ("queued", "running")),
        ),
        [*params, job_id],
    )


_local = threading.local()


def _side_connection() -> psycopg.Connection:
    """An autocommit connection of this thread, outside any Django transaction."""
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        params = connection.settings_dict
        conn = psycopg.connect(
            dbname=params["NAME"],
            user=params.get("USER") or None,
            password=params.get("PASSWORD") or None,
            host=params.get("HOST") or None,
            port=params.get("PORT") or None,
            autocommit=True,
        )
        _local.conn = conn
    return conn


def _close_side_connection() -> None:
    conn = getattr(_local, "conn", None)
    if conn is not None:
        conn.close()
        _local.conn = None


def _execute(query, params: list[Any]) -> tuple | None:
    with _side_connection().cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchone()


def _execute_all(query, params: list[Any]) -> list[tuple]:
    with _side_connection().cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()
