"""Whether the server can do its work: the database answers and a background worker runs.

A dead worker used to go unnoticed (QA walk: a CAD job stayed "queued" with no word of
why): Procrastinate's workers write a heartbeat every 10 s into procrastinate_workers, so
no recent heartbeat means no worker. `GET /health` answers monitoring: 200 while the
database answers (the web tier serves; a load balancer must not drop it for a dead worker),
503 when it does not, the body saying each; the job API tells the import pages while a job
waits for no worker.
"""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

HEARTBEAT_SECONDS = 60  # several of Procrastinate's 10 s heartbeats, and its 30 s stall time


def worker_running() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM procrastinate_workers "
            "WHERE last_heartbeat > now() - make_interval(secs => %s))",
            [HEARTBEAT_SECONDS],
        )
        return bool(cursor.fetchone()[0])


@require_safe
@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """{"database": bool, "worker": bool}: nothing about plans or jobs, so it is public."""
    try:
        worker = worker_running()
    except DatabaseError:
        return JsonResponse({"database": False, "worker": False}, status=503)
    return JsonResponse({"database": True, "worker": worker})
