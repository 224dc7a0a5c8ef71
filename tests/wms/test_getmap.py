"""GetMap formats, exceptions, TIME and private (signed-in) maps, over HTTP."""

from __future__ import annotations

import io
from base64 import b64encode
from datetime import UTC

import pytest
from django.contrib.gis.geos import Polygon
from PIL import Image
from rest_framework.authtoken.models import Token

from planning.actions import ApproveRevision, CreateRevision, SubmitRevision
from planning.models import Feature, Layer
from tests.conftest import HUE_X, HUE_Y
from tests.tiles.helpers import CX, DO, GD, colours, png, rgb_at
from tests.wms.helpers import A1_PIXEL, A2_PIXEL, B1_PIXEL, BBOX_9214, EMPTY_PIXEL, get, wms_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("catalogue")]


def _image(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_png_formats_decode(live_server, plan_in_force):
    _, headers, body = get(wms_url(live_server.url))
    assert headers["Content-Type"] == "image/png"
    assert rgb_at(png(body), *A1_PIXEL) == (*DO, 255)
    status, headers, body = get(wms_url(live_server.url, FORMAT="image/png; mode=8bit"))
    assert status == 200
    assert headers["Content-Type"].startswith("image/png")
    image = _image(body)
    assert image.format == "PNG"
    assert image.mode == "P"
    assert image.convert("RGBA").getpixel(A1_PIXEL) == (*DO, 255)
    assert image.convert("RGBA").getpixel(EMPTY_PIXEL)[3] == 0


def test_jpeg_and_opaque_background(live_server, plan_in_force):
    status, headers, body = get(wms_url(live_server.url, FORMAT="image/jpeg", TRANSPARENT="FALSE"))
    assert status == 200
    assert headers["Content-Type"] == "image/jpeg"
    image = _image(body)
    assert image.format == "JPEG"
    pixel = image.convert("RGB").getpixel(A1_PIXEL)
    assert all(abs(a - b) <= 6 for a, b in zip(pixel, DO, strict=True))
    _, _, body = get(wms_url(live_server.url, TRANSPARENT="FALSE", BGCOLOR="0x0000FF"))
    assert png(body).getpixel(EMPTY_PIXEL) == (0, 0, 255, 255)


@pytest.mark.parametrize("mode", ["blank", "application/vnd.ogc.se_blank"])
def test_exceptions_blank(live_server, plan_in_force, mode):
    for bad in ({"LAYERS": "nope"}, {"TIME": "yesterday-ish"}):
        status, headers, body = get(wms_url(live_server.url, EXCEPTIONS=mode, **bad))
        assert status == 200
        assert headers["Content-Type"] == "image/png"
        image = png(body)
        assert image.size == (400, 600)
        assert colours(image) == set()


@pytest.mark.parametrize("mode", ["inimage", "application/vnd.ogc.se_inimage"])
def test_exceptions_inimage(live_server, plan_in_force, mode):
    for bad in ({"LAYERS": "nope"}, {"TIME": "yesterday-ish"}):
        status, headers, body = get(wms_url(live_server.url, EXCEPTIONS=mode, **bad))
        assert status == 200
        assert headers["Content-Type"] == "image/png"
        image = png(body)
        assert image.size == (400, 600)
        assert any(rgba[3] > 0 and rgba[0] < 100 for _, rgba in image.getcolors(1 << 20))


def _supersede(plan, planner, reviewer):
    """Revision 2 of the same project turns lot A1 from DO into CX."""
    # Prepared on the plan in force (one started empty would undo it), then replaced whole.
    revision = CreateRevision(user=planner, project=plan.project, based_on=plan).execute()
    revision.layers.all().delete()
    layer = Layer.objects.create(
        revision=revision, kind="landuse", name="Lots", created_by=planner, feature_count=1
    )
    Feature.objects.create(
        layer=layer,
        geom=Polygon.from_bbox((HUE_X, HUE_Y, HUE_X + 100, HUE_Y + 100)),
        attributes={"code": "A1", "function": "CX"},
        category="CX",
    )
    SubmitRevision(user=planner, revision=revision).execute()
    ApproveRevision(user=reviewer, revision=revision, decision_number="2/QĐ-UBND").execute()
    revision.refresh_from_db()
    return revision


def test_time_before_and_after_a_supersession(live_server, plan_in_force, planner, reviewer):
    first = plan_in_force.approved_at
    second = _supersede(plan_in_force, planner, reviewer).approved_at
    between = first + (second - first) / 2
    old = png(get(wms_url(live_server.url, TIME=between.isoformat()))[2])
    new = png(get(wms_url(live_server.url, TIME=second.isoformat()))[2])
    now = png(get(wms_url(live_server.url))[2])
    assert rgb_at(old, *A1_PIXEL) == (*DO, 255)
    assert rgb_at(old, *A2_PIXEL) == (*CX, 255)  # revision 1 had lot A2 ...
    assert rgb_at(new, *A1_PIXEL) == (*CX, 255)
    assert rgb_at(new, *A2_PIXEL)[3] == 0  # ... revision 2 has not
    assert rgb_at(now, *A1_PIXEL) == (*CX, 255)
    before = png(get(wms_url(live_server.url, TIME="2000-01-01"))[2])
    assert colours(before) == set()
    _, _, caps = get(f"{live_server.url}/ows?SERVICE=WMS&REQUEST=GetCapabilities&VERSION=1.3.0")
    stamp = first.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")  # capabilities speak UTC
    assert b'<Dimension name="time" units="ISO8601"' in caps
    assert stamp.encode() in caps


@pytest.mark.parametrize(
    "value", ["2024-13-45", "yesterday", "2024-01-01/2024-02-01", "0001-01-01"]
)
def test_bad_time_is_invalid_dimension_value(live_server, plan_in_force, value):
    status, _, body = get(wms_url(live_server.url, TIME=value))
    assert status == 400
    assert b'code="InvalidDimensionValue"' in body


def test_signed_in_caller_sees_their_draft_anonymous_never(
    live_server, plan_in_force, draft_plan, planner
):
    status, headers, body = get(wms_url(live_server.url))
    public = png(body)
    assert rgb_at(public, *B1_PIXEL)[3] == 0
    assert GD not in colours(public)
    assert "private" not in headers.get("Cache-Control", "")
    token = Token.objects.create(user=planner).key
    for auth in (f"Token {token}", "Basic " + b64encode(b"planner_t:pw-planner-test").decode()):
        status, headers, body = get(wms_url(live_server.url), {"Authorization": auth})
        assert status == 200
        assert headers["Cache-Control"] == "private, no-store"
        private = png(body)
        assert rgb_at(private, *B1_PIXEL) == (*GD, 255)
        assert rgb_at(private, *A1_PIXEL) == (*DO, 255)
    status, _, body = get(wms_url(live_server.url), {"Authorization": "Token not-a-token"})
    assert status == 401
    assert b"ServiceException" in body
    _, _, after = get(wms_url(live_server.url))  # nothing private leaked into a shared cache
    assert GD not in colours(png(after))


def test_outsider_does_not_see_the_draft(live_server, plan_in_force, draft_plan, outsider):
    auth = "Basic " + b64encode(b"outsider_t:pw-outsider-test").decode()
    _, headers, body = get(wms_url(live_server.url), {"Authorization": auth})
    assert headers["Cache-Control"] == "private, no-store"
    assert GD not in colours(png(body))


def test_crs84_draws_what_epsg_4326_draws(live_server, plan_in_force):
    """WMS 1.3.0's CRS:84 is WGS 84 longitude first: the same map as EPSG:4326 with the
    box's axes swapped (web clients ask for it; it was an InvalidCRS)."""
    from pyproj import Transformer

    to_lonlat = Transformer.from_crs(9214, 4326, always_xy=True)
    (west, east), (south, north) = to_lonlat.transform(
        [BBOX_9214[0], BBOX_9214[2]], [BBOX_9214[1], BBOX_9214[3]]
    )
    status, _, crs84 = get(
        wms_url(live_server.url, CRS="CRS:84", BBOX=f"{west},{south},{east},{north}")
    )
    assert status == 200, crs84[:300]
    _, _, epsg4326 = get(
        wms_url(live_server.url, CRS="EPSG:4326", BBOX=f"{south},{west},{north},{east}")
    )
    assert png(crs84).tobytes() == png(epsg4326).tobytes()
    assert DO in colours(png(crs84))
    _, _, caps = get(f"{live_server.url}/ows?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities")
    assert b"<CRS>CRS:84</CRS>" in caps
