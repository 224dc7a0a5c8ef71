"""Malformed WMS and WMTS requests are client errors: 400 (404 for a REST tile path that
names no tile) with the OGC exception of the service and version, never a 500, and nothing
in errors.log. MapProxy used to answer them with 500s (an uncaught ValueError for a letter
in a tile index, "unknown request type", "missing parameters"); a genuine fault inside
MapProxy must still be a logged 500."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlencode

import pytest
from lxml import etree
from owslib.util import ServiceException
from owslib.wmts import WebMapTileService

from rasters.importing import import_raster
from rasters.models import RasterLayer
from tests.conftest import make_plan
from tests.ogc_schemas import needs_schemas, validate
from tests.rasters.conftest import SCAN_SIZE, SCAN_TRANSFORM, pattern, write_tiff
from tests.wms.helpers import wms_url
from tiles import mount, views, wmts_request

# Only what MapProxy renders needs committed data (Mapnik reads over its own connections).
pytestmark = pytest.mark.usefixtures("catalogue")
rendering = pytest.mark.django_db(transaction=True)

OWS11 = "{http://www.opengis.net/ows/1.1}"
OGC = "{http://www.opengis.net/ogc}"
TILE = {
    "SERVICE": "WMTS",
    "REQUEST": "GetTile",
    "VERSION": "1.0.0",
    "LAYER": "landuse",
    "STYLE": "default",
    "TILEMATRIXSET": "webmercator",
    "TILEMATRIX": "05",
    "TILEROW": "14",
    "TILECOL": "25",
    "FORMAT": "image/png",
}


def _kvp(path: str = "/ows", **changes: str | None) -> str:
    """A WMTS GetTile of a tile over Viet Nam (z5) with parameters changed or dropped."""
    query = {**TILE, **{k.upper(): v for k, v in changes.items()}}
    return f"{path}?{urlencode({k: v for k, v in query.items() if v is not None})}"


@pytest.fixture
def errors_log():
    """What the request under test adds to the session's errors.log (tests/conftest.py)."""
    handler = next(
        h
        for h in logging.getLogger().handlers
        if str(getattr(h, "baseFilename", "")).endswith("errors.log")
    )
    path = Path(handler.baseFilename)  # type: ignore[attr-defined]
    start = path.stat().st_size if path.exists() else 0

    def added() -> str:
        handler.flush()
        if not path.exists():
            return ""
        with path.open(encoding="utf-8") as log:
            log.seek(start)
            return log.read()

    return added


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _ows_exception(body: bytes) -> tuple[str | None, str | None, str]:
    """Code, locator and text of the one Exception of an OWS 1.1 ExceptionReport (WMTS)."""
    root = etree.fromstring(body)
    assert root.tag == f"{OWS11}ExceptionReport"
    assert root.get("version") == "1.0.0"
    (item,) = root.findall(f"{OWS11}Exception")
    return item.get("exceptionCode"), item.get("locator"), item.findtext(f"{OWS11}ExceptionText")


def _wms_exception(body: bytes, version: str) -> tuple[str | None, str | None, str]:
    """Code, locator and text of the ServiceException of a WMS exception report."""
    root = etree.fromstring(body)
    namespace = OGC if version == "1.3.0" else ""
    assert root.tag == f"{namespace}ServiceExceptionReport"
    assert root.get("version") == version
    (item,) = root.findall(f"{namespace}ServiceException")
    return item.get("code"), item.get("locator"), item.text or ""


WMTS_CASES = [
    # (url, status, exceptionCode, locator)
    (_kvp(TILECOL="abc", TILEMATRIX="01", TILEROW="0"), 400, "InvalidParameterValue", "TileCol"),
    (_kvp(TILEROW="1.5"), 400, "InvalidParameterValue", "TileRow"),
    (_kvp(TILEMATRIX="abc"), 400, "InvalidParameterValue", "TileMatrix"),
    (_kvp(TILEMATRIX=""), 400, "MissingParameterValue", "TileMatrix"),
    (_kvp("/wmts", TILECOL="x", SERVICE=None), 400, "InvalidParameterValue", "TileCol"),
    (_kvp(LAYER="secret"), 400, "InvalidParameterValue", "Layer"),
    (_kvp(TILEMATRIXSET="nogrid"), 400, "InvalidParameterValue", "TileMatrixSet"),
    # A style the layer does not offer (the QA walk's), whichever case or endpoint.
    (_kvp(STYLE="nostyle"), 400, "InvalidParameterValue", "Style"),
    (_kvp("/wmts", STYLE="Default", SERVICE=None), 400, "InvalidParameterValue", "Style"),
    (_kvp(STYLE="outline"), 400, "InvalidParameterValue", "Style"),  # a WMS style only
    (_kvp(REQUEST="Bogus"), 400, "OperationNotSupported", "Request"),
    ("/wmts?REQUEST=Bogus", 400, "OperationNotSupported", "Request"),
    ("/wmts?", 400, "MissingParameterValue", "Request"),
    ("/ows?SERVICE=WMTS", 400, "MissingParameterValue", "Request"),
    ("/wmts?SERVICE=WMS&REQUEST=GetMap", 400, "InvalidParameterValue", "Service"),
    # GetFeatureInfo is WMS's here (MapProxy's Mapnik sources answer none over WMTS).
    (
        "/ows?SERVICE=WMTS&REQUEST=GetFeatureInfo&VERSION=1.0.0&LAYER=landuse",
        400,
        "OperationNotSupported",
        "Request",
    ),
    (
        _kvp(REQUEST="GetFeatureInfo", INFOFORMAT="text/html", I="1", J="2"),
        400,
        "OperationNotSupported",
        "Request",
    ),
    ("/wmts/landuse/webmercator/05/25/14/1/2.html", 400, "OperationNotSupported", None),
    ("/wmts/landuse/webmercator/abc/0/0.png", 404, "InvalidParameterValue", "TileMatrix"),
    ("/wmts/landuse/webmercator/5/abc/0.png", 404, "InvalidParameterValue", "TileCol"),
    ("/wmts/landuse/webmercator/5/0/abc.png", 404, "InvalidParameterValue", "TileRow"),
    ("/wmts/landuse/webmercator/5/0.png", 404, "InvalidParameterValue", None),
    ("/wmts/foo.xml", 404, "InvalidParameterValue", None),
    ("/wmts/../ows/1.0.0/WMTSCapabilities.xml", 404, "InvalidParameterValue", None),
    # Outside Viet Nam a tile is a shared blank one; an unknown layer is not.
    ("/wmts/secret/webmercator/5/0/0.png", 400, "InvalidParameterValue", "Layer"),
    ("/wmts/landuse/nogrid/5/0/0.png", 400, "InvalidParameterValue", "TileMatrixSet"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "status", "code", "locator"), WMTS_CASES)
def test_malformed_wmts_request_is_an_ows_exception(
    client, plan_in_force, errors_log, url, status, code, locator
):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    body = _body(response)
    assert response.status_code == status, body
    assert response["Content-Type"].startswith("text/xml")
    assert _ows_exception(body)[:2] == (code, locator)
    assert errors_log() == ""


WMS_CASES = [
    # (url, version, code, locator): all 400
    ("/ows?SERVICE=WMS&VERSION=1.3.0&REQUEST=Bogus", "1.3.0", "OperationNotSupported", "REQUEST"),
    (
        "/ows?SERVICE=WMS&VERSION=1.3.0&REQUEST=DescribeLayer&LAYERS=landuse",
        "1.3.0",
        "OperationNotSupported",
        "REQUEST",
    ),
    ("/ows?SERVICE=WMS&VERSION=1.1.1&REQUEST=Bogus", "1.1.1", "OperationNotSupported", None),
    ("/ows?SERVICE=WMS&VERSION=1.3.0", "1.3.0", "MissingParameterValue", "REQUEST"),
    ("/wms?REQUEST=Bogus", "1.3.0", "OperationNotSupported", "REQUEST"),
    ("/wms?REQUEST=DescribeLayer&VERSION=1.1.1", "1.1.1", "OperationNotSupported", None),
    ("/wms?", "1.3.0", "MissingParameterValue", "REQUEST"),
    # WMS 1.0's name for GetMap went to MapProxy unchecked.
    ("/wms?REQUEST=map&WMTVER=1.0.0&BBOX=a,b,c,d", "1.3.0", "OperationNotSupported", "REQUEST"),
    ("/wms?SERVICE=WMTS&REQUEST=GetTile", "1.3.0", "InvalidParameterValue", "SERVICE"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "version", "code", "locator"), WMS_CASES)
def test_malformed_wms_request_is_a_service_exception(
    client, plan_in_force, errors_log, url, version, code, locator
):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    body = _body(response)
    assert response.status_code == 400, body
    expected_type = "text/xml" if version == "1.3.0" else "application/vnd.ogc.se_xml"
    assert response["Content-Type"] == expected_type
    assert _wms_exception(body, version)[:2] == (code, locator)
    assert errors_log() == ""


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "locator"),
    [({"WIDTH": 100000}, "WIDTH"), ({"BBOX": "a,b,c,d"}, "BBOX"), ({"CRS": None}, "CRS")],
)
def test_bad_wms_parameter_is_named(client, plan_in_force, change, locator):
    response = client.get(wms_url("", **change))
    assert response.status_code == 400
    assert _wms_exception(response.content, "1.3.0")[1] == locator


@pytest.mark.django_db
@needs_schemas
def test_exception_reports_are_schema_valid(client, plan_in_force):
    wmts = client.get(_kvp(TILECOL="abc"))
    validate(wmts.content, "http://schemas.opengis.net/ows/1.1.0/owsExceptionReport.xsd")
    wms = client.get("/ows?SERVICE=WMS&VERSION=1.3.0&REQUEST=Bogus")
    validate(wms.content, "http://schemas.opengis.net/wms/1.3.0/exceptions_1_3_0.xsd")


@pytest.fixture
def draft_scan(settings, tmp_path, planner, reviewer) -> RasterLayer:
    """A scanned plan in a revision not yet approved."""
    settings.PLANNING_RASTER_DIR = tmp_path / "rasters"
    width, height = SCAN_SIZE
    path = write_tiff(
        tmp_path / "draft.tif", pattern(width, height), transform=SCAN_TRANSFORM, crs="EPSG:9214"
    )
    revision = make_plan(planner, reviewer, "scan-draft", [], approve=False)
    return import_raster(
        user=planner, revision=revision, path=path, filename=path.name, name="d", kind="scan"
    ).raster


@pytest.mark.django_db
def test_unapproved_raster_is_as_unknown_as_a_missing_one(
    client, plan_in_force, draft_scan, errors_log
):
    """Layer names are checked as an anonymous caller sees them: a draft raster's tile gets
    the answer of a name that does not exist, on both sides of the service-area shortcut
    and in KVP, and no message names anything the caller did not send."""
    missing = f"raster_{draft_scan.pk + 1000}"
    answers = {}
    for name in (draft_scan.layer_name, missing):
        urls = (
            f"/wmts/{name}/webmercator/5/0/0.png",
            f"/wmts/{name}/webmercator/05/25/14.png",
            _kvp(LAYER=name),
        )
        answers[name] = [client.get(url) for url in urls]
    name = draft_scan.layer_name
    for draft, unknown in zip(answers[name], answers[missing], strict=True):
        assert draft.status_code == unknown.status_code == 400
        code, locator, text = _ows_exception(draft.content)
        assert (code, locator) == ("InvalidParameterValue", "Layer")
        assert text.replace(name, missing) == _ows_exception(unknown.content)[2]
    assert errors_log() == ""


@rendering
def test_valid_requests_still_work(client, plan_in_force, errors_log):
    kvp = client.get(_kvp())
    assert kvp.status_code == 200
    assert _body(kvp).startswith(b"\x89PNG")
    rest = client.get("/wmts/landuse/webmercator/05/25/14.png")
    assert rest.status_code == 200
    assert _body(rest).startswith(b"\x89PNG")
    capabilities = client.get("/wmts/1.0.0/WMTSCapabilities.xml")
    assert capabilities.status_code == 200
    assert b"<Capabilities" in _body(capabilities)
    # MapProxy's own client errors are still relayed, as 400.
    out_of_range = client.get("/wmts/landuse/webmercator/05/-1/14.png")
    assert out_of_range.status_code == 400
    assert _ows_exception(_body(out_of_range))[0] == "TileOutOfRange"
    # Rows and columns past the grid (the service-area shortcut must not compute them).
    for path in ("webmercator/0/0/300", "webmercator/3/8/0", "wgs84/0/2/0", "wgs84/0/0/1"):
        beyond = client.get(f"/wmts/landuse/{path}.png")
        assert beyond.status_code == 400, path
        assert _ows_exception(_body(beyond))[0] == "TileOutOfRange"
    getmap = client.get(wms_url(""))
    assert getmap.status_code == 200
    assert _body(getmap).startswith(b"\x89PNG")
    assert errors_log() == ""


@pytest.mark.django_db
def test_gettile_takes_the_styles_the_capabilities_list(client, plan_in_force):
    """What the WMTS capabilities offer each layer is what GetTile accepts (and no Style,
    MapProxy's default); anything else is refused before MapProxy ignores it."""
    document = etree.fromstring(client.get("/wmts/1.0.0/WMTSCapabilities.xml").content)
    wmts = "{http://www.opengis.net/wmts/1.0}"
    offered = {style.findtext(f"{OWS11}Identifier") for style in document.iter(f"{wmts}Style")}
    assert offered == set(wmts_request.OFFERED_STYLES)
    for style in (*offered, ""):
        wmts_request.check_kvp(TILE | {"STYLE": style})
    with pytest.raises(wmts_request.WmtsError, match="Unknown Style 'nostyle'; offered: default"):
        wmts_request.check_kvp(TILE | {"STYLE": "nostyle"})


@rendering
def test_owslib_sees_a_service_exception(live_server, plan_in_force):
    """A client gets the exception text (OWSLib raises ServiceException for a 400; a 500
    would be a requests HTTPError)."""
    wmts = WebMapTileService(f"{live_server.url}/wmts?SERVICE=WMTS&REQUEST=GetCapabilities")
    with pytest.raises(ServiceException, match="TileRow must be a whole number"):
        wmts.gettile(
            layer="landuse", tilematrixset="webmercator", tilematrix="05", row="abc", column=25
        )
    with pytest.raises(ServiceException, match="Unknown Style 'nostyle'"):
        wmts.gettile(
            layer="landuse",
            style="nostyle",
            tilematrixset="webmercator",
            tilematrix="05",
            row=14,
            column=25,
        )
    tile = wmts.gettile(
        layer="landuse", tilematrixset="webmercator", tilematrix="05", row=14, column=25
    )
    assert tile.read().startswith(b"\x89PNG")


@pytest.mark.django_db
def test_a_fault_inside_mapproxy_is_still_a_logged_500(plan_in_force, errors_log, rf):
    """Past the checks (here: calling MapProxy directly), an exception in MapProxy is its
    500, logged with its traceback, and relayed as a 500: no second crash writing the
    traceback, and no 400 that would hide it."""
    request = rf.get("/ows")
    query = urlencode({**TILE, "TILECOL": "abc"})
    result = mount.call(request.META, "/ows", query)
    assert result.status == 500
    assert views._relay(result).status_code == 500
    logged = errors_log()
    assert "fatal error in ows" in logged
    assert "ValueError: invalid literal for int()" in logged
