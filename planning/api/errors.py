"""One handler turns domain errors into JSON problems with their own HTTP status."""

from __future__ import annotations

import logging

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from planning.errors import PlanningError

log = logging.getLogger(__name__)


SAFE_DETAILS = {"overlaps", "qa_errors"}


def exception_handler(exc, context):
    if isinstance(exc, PlanningError):
        log.info("API %s: %s (%s)", exc.status, exc.message, exc.details)
        body = {"detail": exc.message, "code": exc.code}
        if isinstance(exc.details, dict) and exc.details.get("rejected") is not None:
            body["report"] = exc.details
        elif isinstance(exc.details, dict):
            # Only what the caller may act on: overlapping lots, QA error counts.
            body.update({k: v for k, v in exc.details.items() if k in SAFE_DETAILS})
        return Response(body, status=exc.status)
    return drf_exception_handler(exc, context)
