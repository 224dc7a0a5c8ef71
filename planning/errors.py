"""Errors that carry their HTTP status and OGC exception code.

Views never pick a status themselves: they let these propagate and one handler per
protocol (REST JSON problem, OGC exception report) renders them. `message` is safe to
show to users; details go to the log.
"""

from __future__ import annotations


class PlanningError(Exception):
    status = 400
    code = "InvalidParameterValue"

    def __init__(self, message: str, *, details: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInput(PlanningError):
    status = 400
    code = "InvalidParameterValue"


class MissingParameter(PlanningError):
    status = 400
    code = "MissingParameterValue"


class NotAuthenticated(PlanningError):
    status = 401
    code = "NotAuthenticated"


class Forbidden(PlanningError):
    status = 403
    code = "Forbidden"


class NotFound(PlanningError):
    status = 404
    code = "NotFound"


class Conflict(PlanningError):
    status = 409
    code = "Conflict"


class PayloadTooLarge(PlanningError):
    status = 413
    code = "PayloadTooLarge"


class UnsupportedFormat(PlanningError):
    status = 415
    code = "InvalidFormat"
