"""OWS exception reports (OGC 06-121): the error type and document WFS and WMTS share.

Domain errors (planning.errors) already carry status and code; the services add codes of
their own (OperationNotSupported, MissingParameterValue …) and a `locator` naming the
parameter at fault. WMS has its own format (tiles.wms_exceptions).
"""

from __future__ import annotations

from django.http import HttpResponse
from lxml import etree

from planning.errors import PlanningError

OWS11 = "http://www.opengis.net/ows/1.1"
OWS10 = "http://www.opengis.net/ows"


class OwsError(PlanningError):
    """An OWS exception: its code, HTTP status and the parameter at fault."""

    def __init__(
        self,
        message: str,
        code: str = "InvalidParameterValue",
        *,
        locator: str | None = None,
        status: int = 400,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.locator = locator
        self.status = status


def exception_report(
    error: PlanningError, *, namespace: str, version: str, content_type: str
) -> HttpResponse:
    """The ExceptionReport document of `error` (any planning error: its code and status;
    its locator when it has one), in the OWS `namespace` and report `version` asked for."""
    root = etree.Element(f"{{{namespace}}}ExceptionReport", nsmap={"ows": namespace})
    root.set("version", version)
    # OWS 1.0 names the report's language `language`; OWS 1.1 uses xml:lang
    language = "language" if namespace == OWS10 else "{http://www.w3.org/XML/1998/namespace}lang"
    root.set(language, "en")
    item = etree.SubElement(root, f"{{{namespace}}}Exception", exceptionCode=error.code)
    locator = getattr(error, "locator", None)
    if locator:
        item.set("locator", locator)
    etree.SubElement(item, f"{{{namespace}}}ExceptionText").text = error.message
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return HttpResponse(body, status=error.status, content_type=content_type)
