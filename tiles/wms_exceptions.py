"""WMS exception responses for the requests the Django views answer themselves.

XML reports in the version's format (1.1.1: application/vnd.ogc.se_xml; 1.3.0: the ogc
namespace, text/xml). A GetMap that asked EXCEPTIONS=blank gets an empty image of the
requested size and EXCEPTIONS=inimage (application/vnd.ogc.se_inimage, INIMAGE) the
message drawn into it, as MapProxy does for the requests it answers.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.http import HttpResponse
from lxml import etree
from PIL import Image, ImageDraw

from tiles import wms_legend
from tiles.wms_request import WmsError, normalise_format, version_of


def report(
    message: str, code: str, version: str, status: int = 400, locator: str | None = None
) -> HttpResponse:
    """A ServiceExceptionReport; `locator` (the parameter at fault) only in 1.3.0, whose
    schema has it (the 1.1.1 DTD does not)."""
    if version == "1.1.1":
        root = etree.Element("ServiceExceptionReport", version="1.1.1")
        content_type = "application/vnd.ogc.se_xml"
    else:
        root = etree.Element(
            "ServiceExceptionReport", version="1.3.0", nsmap={None: "http://www.opengis.net/ogc"}
        )
        content_type = "text/xml"
    item = etree.SubElement(root, "ServiceException", code=code)
    if locator and version != "1.1.1":
        item.set("locator", locator)
    item.text = message
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return HttpResponse(body, status=status, content_type=content_type)


def _image_size(params: dict[str, str]) -> tuple[int, int] | None:
    limit = settings.PLANNING_WMS_MAX_SIZE
    values = [params.get(name, "").strip() for name in ("WIDTH", "HEIGHT")]
    if not all(v.isdigit() and 1 <= int(v) <= limit for v in values):
        return None
    return int(values[0]), int(values[1])


def _image_format(params: dict[str, str]) -> str:
    try:
        return normalise_format(params.get("FORMAT", ""))
    except WmsError:
        return "image/png"


def _image(params: dict[str, str], size: tuple[int, int], message: str | None) -> HttpResponse:
    fmt = _image_format(params)
    transparent = params.get("TRANSPARENT", "").upper() == "TRUE" and fmt != "image/jpeg"
    image = Image.new("RGBA", size, (255, 255, 255, 0 if transparent else 255))
    if message:
        ImageDraw.Draw(image).text((4, 4), message[:200], fill="#000000", font=wms_legend.font())
    out = io.BytesIO()
    if fmt == "image/jpeg":
        image.convert("RGB").save(out, format="JPEG")
    elif "8bit" in fmt:
        image.convert("P").save(out, format="PNG")
    else:
        image.save(out, format="PNG")
    return HttpResponse(out.getvalue(), content_type=fmt)


def exception_response(exc: WmsError | Exception, params: dict[str, str]) -> HttpResponse:
    """The OGC answer to a failed request, honouring EXCEPTIONS on GetMap."""
    message = getattr(exc, "message", str(exc))
    code = getattr(exc, "code", "InvalidParameterValue")
    status = getattr(exc, "status", 400)
    version = version_of(params)
    mode = params.get("EXCEPTIONS", "").lower()
    size = _image_size(params)
    if params.get("REQUEST", "").lower() == "getmap" and size and status == 400:
        if "blank" in mode:
            return _image(params, size, None)
        if "inimage" in mode:
            return _image(params, size, message)
    response = report(message, code, version, status, getattr(exc, "locator", None))
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="planning"'
    return response
