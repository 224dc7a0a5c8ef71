"""Named styles: the default land-use fill and "outline" (to lay a plan over a scan)."""

from __future__ import annotations

import io

import pytest
from lxml import etree
from PIL import Image

from tests.ogc_schemas import validate
from tests.tiles.helpers import DO
from tests.wms.helpers import A1_PIXEL, get, wms_url

pytestmark = pytest.mark.django_db(transaction=True)
WMS = "{http://www.opengis.net/wms}"


def image(live_server, **params) -> Image.Image:
    status, headers, body = get(wms_url(live_server.url, **params))
    assert status == 200, body[:300]
    assert headers["Content-Type"].startswith("image/png")
    return Image.open(io.BytesIO(body)).convert("RGBA")


def test_capabilities_offer_the_named_styles(live_server, plan_in_force):
    status, _, body = get(
        f"{live_server.url}/ows?SERVICE=WMS&REQUEST=GetCapabilities&VERSION=1.3.0"
    )
    assert status == 200
    root = etree.fromstring(body)
    layer = next(x for x in root.iter(f"{WMS}Layer") if x.findtext(f"{WMS}Name") == "landuse")
    assert {s.findtext(f"{WMS}Name") for s in layer.iter(f"{WMS}Style")} >= {"default", "outline"}
    validate(body)


def test_outline_style_draws_edges_not_fills(live_server, plan_in_force):
    filled = image(live_server, STYLES="default")
    outlined = image(live_server, STYLES="outline")
    assert filled.getpixel(A1_PIXEL)[:3] == DO  # the lot's inside is filled by default
    assert outlined.getpixel(A1_PIXEL)[3] == 0  # and empty in outline
    edge = (A1_PIXEL[0] - 50, A1_PIXEL[1])  # the lot's west edge (1 m per pixel)
    near_edge = [outlined.getpixel((edge[0] + dx, edge[1]))[:3] for dx in (-1, 0, 1)]
    assert DO in near_edge


def test_unknown_style_is_an_ogc_exception(live_server, plan_in_force):
    status, _, body = get(wms_url(live_server.url, STYLES="sepia"))
    assert status == 400
    assert b"StyleNotDefined" in body
