"""OGC exception reports for WFS: OWS 1.1 for WFS 2.0.0, OWS 1.0 for WFS 1.1.0.

Domain errors (planning.errors) already carry status and code; WFS adds the codes of
its own (OperationNotSupported, VersionNegotiationFailed …) and a `locator` naming the
parameter at fault.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.http import HttpResponse
from lxml import etree

from planning.errors import PlanningError

OWS11 = "http://www.opengis.net/ows/1.1"
OWS10 = "http://www.opengis.net/ows"


class WfsError(PlanningError):
    """A WFS error with its OGC code, HTTP status and locator."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "InvalidParameterValue",
        locator: str | None = None,
        status: int = 400,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.locator = locator


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
    ows = OWS10 if version.startswith("1.") else OWS11
    root = etree.Element(
        f"{{{ows}}}ExceptionReport",
        nsmap={"ows": ows},
        version="1.0.0" if ows == OWS10 else "2.0.0",
    )
    root.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
    item = etree.SubElement(root, f"{{{ows}}}Exception", exceptionCode=error.code)
    locator = getattr(error, "locator", None)
    if locator:
        item.set("locator", locator)
    etree.SubElement(item, f"{{{ows}}}ExceptionText").text = error.message
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return HttpResponse(body, status=error.status, content_type="application/xml; charset=UTF-8")
