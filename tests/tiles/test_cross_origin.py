"""Web pages of other origins read every public service (CORS), and HEAD answers like GET.

Over a real live server with plain HTTP, so that repeated headers (MapProxy adding its own
Access-Control-Allow-Origin beside the project's) are seen as they are sent. The body of a
HEAD answer is also checked at the WSGI interface: Django's development server drops it by
itself, gunicorn sends whatever the application returns.
"""

from __future__ import annotations

import base64
import http.client
import io
import urllib.parse
import wsgiref.util
from email.message import Message

import pytest
from rest_framework.authtoken.models import Token

from planning.wsgi import application
from tests.conftest import HUE_X, HUE_Y
from tests.tiles.helpers import to_3857, xyz_tile
from tests.wms.helpers import A1_PIXEL, wms_url

pytestmark = [pytest.mark.django_db(transaction=True)]

PORTAL = "https://portal.example.gov.vn"
OTHER = "https://elsewhere.example.com"
ALLOW_ORIGIN = "Access-Control-Allow-Origin"
WFS_JSON = (
    "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=planning:landuse"
    "&OUTPUTFORMAT=application/json"
)
WMS_CAPABILITIES = "/ows?SERVICE=WMS&REQUEST=GetCapabilities"
LEGEND_GRAPHIC = "/wms?REQUEST=GetLegendGraphic&LAYER=landuse&FORMAT=image/png"


def _tile(z: int = 16) -> tuple[int, int, int]:
    col, row, _ = xyz_tile(*to_3857(HUE_X + 50, HUE_Y + 50), z)
    return z, col, row


def _xyz_png() -> str:
    return "/tiles/plans/{}/{}/{}.png".format(*_tile())


def _vector_tile() -> str:
    return "/vtiles/plans/{}/{}/{}.pbf".format(*_tile())


def _wmts_tile() -> str:
    z, col, row = _tile()
    return f"/wmts/plans/webmercator/{z:02d}/{col}/{row}.png"


def _feature_info() -> str:
    return _path(
        wms_url("", REQUEST="GetFeatureInfo", QUERY_LAYERS="plans", I=A1_PIXEL[0], J=A1_PIXEL[1])
    )


def _path(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


# One URL of each public service family, answered 200 to an anonymous caller.
SERVICE_URLS = {
    "ogcapi-items": lambda: "/ogcapi/collections/landuse/items",
    "ogcapi-landing": lambda: "/ogcapi/",
    "wfs-geojson": lambda: WFS_JSON,
    "ows-wfs": lambda: WFS_JSON.replace("/wfs?", "/ows?"),
    "tilejson": lambda: "/vtiles/plans.json",
    "vector-tile": _vector_tile,
    "3dtiles": lambda: "/3dtiles/in-force/tileset.json",
    "wms-capabilities": lambda: WMS_CAPABILITIES,
    "wms-featureinfo": _feature_info,
    "wms-legend": lambda: LEGEND_GRAPHIC,
    "legend-json": lambda: "/legend/landuse.json",
    "wmts-capabilities": lambda: "/wmts/1.0.0/WMTSCapabilities.xml",
    "wmts-kvp-capabilities": lambda: "/wmts?REQUEST=GetCapabilities",
}
# Answers MapProxy itself produces (it adds Access-Control-Allow-Origin unless told not to).
MAPPROXY_URLS = {
    "wms-getmap": lambda: _path(wms_url("")),
    "wmts-rest-tile": _wmts_tile,
    "xyz-tile": _xyz_png,
}
# Error answers of each family: their status and body must be readable by the page too.
ERROR_URLS = {
    "wfs-exception": ("/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=Nonsense", 400),
    "ogcapi-unknown-collection": ("/ogcapi/collections/nothing-here", 404),
    "ogcapi-unknown-path": ("/ogcapi/nowhere/at/all", 404),
    "wms-unknown-layer": (_path(wms_url("", LAYERS="nothing")), 400),
    "wmts-bad-request": ("/wmts?REQUEST=GetTile", 400),
    "tilejson-unknown": ("/vtiles/nothing.json", 404),
    "xyz-unknown-layer": ("/tiles/nothing/0/0/0.png", 404),
    "legend-unknown": ("/legend/nothing.json", 404),
    "3dtiles-unknown-revision": ("/3dtiles/revisions/999999/tileset.json", 404),
    "no-such-route": ("/tiles/not/a/tile", 404),
}


@pytest.fixture(autouse=True)
def _private_var_dir(settings, tmp_path):
    """3D tilesets are built under the var dir: one of the test's own."""
    settings.PLANNING_VAR_DIR = tmp_path / "var"


def call(
    base: str, method: str, path: str, headers: dict[str, str] | None = None
) -> tuple[int, Message, bytes]:
    """Status, headers (repeated ones kept: get_all) and body of one plain HTTP request."""
    parts = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def allow_origins(headers: Message) -> list[str]:
    return headers.get_all(ALLOW_ORIGIN) or []


def _listed(headers: Message, name: str) -> set[str]:
    return {item.strip().lower() for item in headers.get(name, "").split(",") if item.strip()}


@pytest.mark.parametrize("name", SERVICE_URLS)
def test_every_service_family_is_readable_from_any_origin(live_server, plan_in_force, name):
    status, headers, body = call(live_server.url, "GET", SERVICE_URLS[name](), {"Origin": PORTAL})
    assert status == 200, body[:300]
    assert allow_origins(headers) == ["*"]
    exposed = _listed(headers, "Access-Control-Expose-Headers")
    assert {"etag", "last-modified", "link", "content-crs", "retry-after"} <= exposed
    assert headers.get("Access-Control-Allow-Credentials") is None


@pytest.mark.parametrize("name", MAPPROXY_URLS)
def test_mapproxy_answers_carry_the_projects_headers_once(
    live_server, plan_in_force, settings, name
):
    path = MAPPROXY_URLS[name]()
    status, headers, body = call(live_server.url, "GET", path, {"Origin": PORTAL})
    assert status == 200, body[:300]
    assert headers["Content-Type"].startswith("image/png")
    assert allow_origins(headers) == ["*"]
    assert "etag" in _listed(headers, "Access-Control-Expose-Headers")
    # The project's setting governs MapProxy's answers too: restricted, then switched off.
    settings.PLANNING_CORS_ORIGINS = (PORTAL,)
    assert allow_origins(call(live_server.url, "GET", path, {"Origin": PORTAL})[1]) == [PORTAL]
    assert allow_origins(call(live_server.url, "GET", path, {"Origin": OTHER})[1]) == []
    settings.PLANNING_CORS_ORIGINS = ()
    assert allow_origins(call(live_server.url, "GET", path, {"Origin": PORTAL})[1]) == []


@pytest.mark.parametrize("name", ERROR_URLS)
def test_error_answers_are_readable_cross_origin(live_server, plan_in_force, name):
    path, expected = ERROR_URLS[name]
    status, headers, body = call(live_server.url, "GET", path, {"Origin": PORTAL})
    assert status == expected, body[:300]
    assert allow_origins(headers) == ["*"]


@pytest.mark.parametrize(
    "path",
    ["/wfs?SERVICE=WFS&REQUEST=GetCapabilities", "/ogcapi/collections", "/tiles/plans/0/0/0.png"],
)
def test_refused_credentials_are_readable_cross_origin(live_server, plan_in_force, path):
    """A 401 for a wrong token: the page must be able to tell its user why."""
    headers = {"Origin": PORTAL, "Authorization": "Token wrong-token"}
    status, answer, _ = call(live_server.url, "GET", path, headers)
    assert status == 401
    assert allow_origins(answer) == ["*"]
    assert "www-authenticate" in _listed(answer, "Access-Control-Expose-Headers")


def test_a_sign_in_lockout_is_readable_cross_origin(live_server, plan_in_force, settings):
    """429 with Retry-After, which the page may read to know when to try again."""
    settings.PLANNING_LOGIN_MAX_FAILURES = 1
    wrong = base64.b64encode(b"planner_t:wrong-password").decode()
    headers = {"Origin": PORTAL, "Authorization": f"Basic {wrong}"}
    call(live_server.url, "GET", "/ogcapi/collections", headers)
    status, answer, _ = call(live_server.url, "GET", "/ogcapi/collections", headers)
    assert status == 429
    assert answer["Retry-After"]
    assert allow_origins(answer) == ["*"]
    assert "retry-after" in _listed(answer, "Access-Control-Expose-Headers")


PREFLIGHT = {
    "Origin": PORTAL,
    "Access-Control-Request-Method": "GET",
    "Access-Control-Request-Headers": "authorization, if-none-match",
}


@pytest.mark.parametrize(
    ("path", "post"),
    [
        ("/ogcapi/collections", False),
        ("/ogcapi/collections/landuse/items", False),
        ("/wfs", True),
        ("/ows", True),
        ("/wms", False),
        ("/wmts", False),
        ("/wmts/1.0.0/WMTSCapabilities.xml", False),
        ("/tiles/plans/0/0/0.png", False),
        ("/vtiles/plans.json", False),
        ("/vtiles/plans/0/0/0.pbf", False),
        ("/3dtiles/in-force/tileset.json", False),
        ("/legend/landuse.json", False),
    ],
)
def test_preflight_is_answered_before_the_views(live_server, path, post):
    status, headers, body = call(live_server.url, "OPTIONS", path, PREFLIGHT)
    assert status == 204
    assert body == b""
    assert allow_origins(headers) == ["*"]
    methods = _listed(headers, "Access-Control-Allow-Methods")
    assert {"get", "head", "options"} <= methods
    assert ("post" in methods) == post
    assert _listed(headers, "Allow") == methods
    allowed = _listed(headers, "Access-Control-Allow-Headers")
    assert {"authorization", "content-type", "if-none-match", "if-modified-since"} <= allowed
    assert {"accept", "accept-language"} <= allowed
    assert int(headers["Access-Control-Max-Age"]) > 0
    assert headers.get("Access-Control-Allow-Credentials") is None


def test_a_token_reads_drafts_cross_origin_without_cookies(
    live_server, plan_in_force, draft_plan, planner
):
    """The cross-origin way to see more than the plans in force is a token, not a cookie."""
    token, _ = Token.objects.get_or_create(user=planner)
    headers = {"Origin": PORTAL, "Authorization": f"Token {token.key}"}
    path = "/ogcapi/collections/landuse/items?f=json"
    status, answer, body = call(live_server.url, "GET", path, headers)
    assert status == 200, body[:300]
    assert b'"B1"' in body  # the planner's draft lot
    assert allow_origins(answer) == ["*"]
    assert answer.get("Access-Control-Allow-Credentials") is None
    assert "private" in answer["Cache-Control"]


def test_a_list_of_origins_admits_only_those(live_server, plan_in_force, settings):
    settings.PLANNING_CORS_ORIGINS = (PORTAL, "http://ops.example.gov.vn:8080")
    path = "/ogcapi/collections/landuse/items"
    status, headers, _ = call(live_server.url, "GET", path, {"Origin": PORTAL})
    assert status == 200
    assert allow_origins(headers) == [PORTAL]
    assert "origin" in _listed(headers, "Vary")
    assert "etag" in _listed(headers, "Access-Control-Expose-Headers")
    status, headers, _ = call(live_server.url, "GET", path, {"Origin": OTHER})
    assert status == 200  # served as ever; only the other site's page cannot read it
    assert allow_origins(headers) == []
    assert "origin" in _listed(headers, "Vary")
    status, headers, _ = call(live_server.url, "OPTIONS", path, {**PREFLIGHT, "Origin": OTHER})
    assert status == 204
    assert allow_origins(headers) == []
    assert headers.get("Access-Control-Allow-Headers") is None
    preflight = {**PREFLIGHT, "Origin": "http://ops.example.gov.vn:8080"}
    status, headers, _ = call(live_server.url, "OPTIONS", path, preflight)
    assert allow_origins(headers) == ["http://ops.example.gov.vn:8080"]


def test_an_empty_list_switches_cors_off(live_server, plan_in_force, settings):
    settings.PLANNING_CORS_ORIGINS = ()
    for path in ("/ogcapi/collections", WFS_JSON, "/vtiles/plans.json", WMS_CAPABILITIES):
        status, headers, _ = call(live_server.url, "GET", path, {"Origin": PORTAL})
        assert status == 200
        assert allow_origins(headers) == []
        assert headers.get("Access-Control-Expose-Headers") is None
        # OPTIONS is still answered (no 405), only without permission for other origins.
        status, headers, _ = call(live_server.url, "OPTIONS", path, PREFLIGHT)
        assert status == 204
        assert "get" in _listed(headers, "Allow")
        assert allow_origins(headers) == []
        assert headers.get("Access-Control-Allow-Methods") is None


@pytest.mark.parametrize(
    "path",
    [
        "/map/",
        "/projects/",
        "/accounts/login/",
        "/admin/login/",
        "/api/",
        "/api/projects/",
        "/api/token/",
        "/api/schema/",
        "/owsfoo",
    ],
)
def test_only_the_service_urls_get_cors(live_server, plan_in_force, path):
    """Pages, the admin and the session-authenticated REST API stay same-origin."""
    status, headers, _ = call(live_server.url, "GET", path, {"Origin": PORTAL})
    assert allow_origins(headers) == [], status
    status, headers, _ = call(live_server.url, "OPTIONS", path, PREFLIGHT)
    assert allow_origins(headers) == [], status
    assert headers.get("Access-Control-Allow-Headers") is None
    # ... while the services beside them do.
    status, headers, _ = call(live_server.url, "GET", "/ogcapi/", {"Origin": PORTAL})
    assert allow_origins(headers) == ["*"]


# Set by the server per connection, not by the application.
_PER_CONNECTION = {"date", "connection", "transfer-encoding", "server"}
# Families whose views refused HEAD with 405; the others' HEAD is checked below, where the
# body is visible (Django's development server drops it by itself).
REFUSED_HEAD = [
    "wfs-geojson",
    "ows-wfs",
    "wms-capabilities",
    "wms-featureinfo",
    "wms-legend",
    "legend-json",
    "wmts-capabilities",
    "wmts-kvp-capabilities",
    *MAPPROXY_URLS,
]
ALL_URLS = {**SERVICE_URLS, **MAPPROXY_URLS}


def _comparable(headers: Message) -> list[tuple[str, str]]:
    return sorted((k.lower(), v) for k, v in headers.items() if k.lower() not in _PER_CONNECTION)


@pytest.mark.parametrize("name", REFUSED_HEAD)
def test_head_answers_as_get_does(live_server, plan_in_force, name):
    path = ALL_URLS[name]()
    get_status, get_headers, body = call(live_server.url, "GET", path, {"Origin": PORTAL})
    assert get_status == 200, body[:300]
    assert body
    head_status, head_headers, head_body = call(live_server.url, "HEAD", path, {"Origin": PORTAL})
    assert head_status == get_status
    assert head_body == b""
    assert _comparable(head_headers) == _comparable(get_headers)


@pytest.mark.parametrize("name", ["wfs-exception", "wmts-bad-request", "legend-unknown"])
def test_head_of_an_error_answers_as_get_does(live_server, plan_in_force, name):
    path, expected = ERROR_URLS[name]
    status, get_headers, _ = call(live_server.url, "GET", path)
    head_status, head_headers, head_body = call(live_server.url, "HEAD", path)
    assert status == head_status == expected
    assert head_body == b""
    assert _comparable(head_headers) == _comparable(get_headers)


def _wsgi(method: str, path: str) -> tuple[str, list[tuple[str, str]], bytes]:
    """What the application hands a WSGI server such as gunicorn, which sends all of it."""
    parts = urllib.parse.urlsplit(path)
    environ: dict = {
        "REQUEST_METHOD": method,
        "PATH_INFO": parts.path,
        "QUERY_STRING": parts.query,
        "HTTP_ORIGIN": PORTAL,
        "wsgi.input": io.BytesIO(b""),
    }
    wsgiref.util.setup_testing_defaults(environ)
    captured: dict = {}

    def start_response(status, headers, exc_info=None):
        captured.update(status=status, headers=sorted(headers))

    result = application(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        result.close()
    return captured["status"], captured["headers"], body


@pytest.mark.parametrize("name", ALL_URLS)
def test_the_application_itself_sends_no_body_for_head(plan_in_force, name):
    """gunicorn writes whatever the application returns for HEAD: it must be nothing, under
    GET's status and headers (Content-Length included)."""
    path = ALL_URLS[name]()
    get_status, get_headers, get_body = _wsgi("GET", path)
    assert get_status.startswith("200"), get_body[:300]
    assert get_body
    head_status, head_headers, head_body = _wsgi("HEAD", path)
    assert head_status == get_status
    assert head_body == b""
    assert head_headers == get_headers


def test_a_preflight_for_a_host_not_served_is_refused_like_the_request(live_server):
    """The preflight is answered before the views, but not before the host check: a Host
    outside ALLOWED_HOSTS gets the 400 its GET would get."""
    evil = {**PREFLIGHT, "Host": "evil.example"}
    status, headers, _ = call(live_server.url, "OPTIONS", "/ogcapi/collections", evil)
    assert status == 400
    assert allow_origins(headers) == []
    assert call(live_server.url, "GET", "/ogcapi/collections", {"Host": "evil.example"})[0] == 400
