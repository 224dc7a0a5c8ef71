"""OGC exception reports for WFS: OWS 1.1 for WFS 2.0.0, OWS 1.0 for WFS 1.1.0.

Domain errors (planning.errors) already carry status and code; WFS adds the codes of
its own (OperationNotSupported, VersionNegotiationFailed …) and a `locator` naming the
parameter at fault.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.http import HttpResponse

from planning.errors import PlanningError
from tiles.ows_exceptions import OWS10, OWS11, OwsError
from tiles.ows_exceptions import exception_report as ows_report


class WfsError(OwsError):
    """A WFS error with its OGC code, HTTP status and locator."""


def operation_not_supported(name: str) -> WfsError:
    return WfsError(
        f"Operation {name!r} is not supported.", code="OperationNotSupported", locator="request"
    )


def missing(name: str) -> WfsError:
    return WfsError(f"Parameter {name} is required.", code="MissingParameterValue", locator=name)


@contextmanager
def located(locator: str) -> Iterator[None]:
    """Name the parameter at fault on errors raised by the shared parsers."""
    try:
        yield
    except PlanningError as exc:
        if getattr(exc, "locator", None) is None:
            exc.locator = locator  # type: ignore[attr-defined]
        raise


def exception_report(error: PlanningError, version: str) -> HttpResponse:
    """The exception report document for `error`, with the error's status."""
    if version.startswith("1."):
        return ows_report(error, namespace=OWS10, version="1.0.0", content_type=_XML)
    return ows_report(error, namespace=OWS11, version="2.0.0", content_type=_XML)


_XML = "application/xml; charset=UTF-8"
