"""Helpers of the WFS tests: HTTP calls that keep error bodies, XML parsing, GDAL env."""

from __future__ import annotations

import os
import urllib.error
import urllib.parse
import urllib.request

from lxml import etree

OWS11 = "http://www.opengis.net/ows/1.1"
WFS20 = "http://www.opengis.net/wfs/2.0"
GML32 = "http://www.opengis.net/gml/3.2"
NS = "http://planning.local/wfs"


def call(
    url: str,
    params: dict[str, str] | None = None,
    *,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body, also for 4xx/5xx answers."""
    if params:
        url = f"{url}?{urllib.parse.urlencode(params)}"
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def xml(body: bytes) -> etree._Element:
    return etree.fromstring(body, etree.XMLParser(no_network=True, resolve_entities=False))


def exception_code(body: bytes) -> tuple[str | None, str | None]:
    root = xml(body)
    assert etree.QName(root).localname == "ExceptionReport", body[:300]
    item = next(e for e in root if etree.QName(e).localname == "Exception")
    return item.get("exceptionCode"), item.get("locator")


def gdal_env() -> dict[str, str]:
    """The environment for GDAL command-line tools: without what pyproj set in-process."""
    drop = {"PROJ_DATA", "PROJ_LIB", "GDAL_DATA"}
    return {k: v for k, v in os.environ.items() if k not in drop}
