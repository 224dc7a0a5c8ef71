"""The OGC API landing page in the reader's language (QA walk: "/ogcapi/?f=html" stayed
English in the Vietnamese UI). The HTML follows the language; the JSON document keeps its
English title, the name OGC clients (QGIS, GDAL) list the service by."""

from __future__ import annotations

import pytest

from tests.ogcapi.helpers import get, get_json
from tiles.ogcapi.documents import TITLE

pytestmark = pytest.mark.django_db


def test_the_html_landing_page_speaks_vietnamese(client):
    response, body = get(client, "/ogcapi/?f=html", **{"Accept-Language": "vi"})
    assert response.status_code == 200
    html = body.decode()
    assert '<html lang="vi">' in html
    assert "<h1>Dữ liệu quy hoạch: OGC API Features</h1>" in html
    assert "Planning data" not in html
    assert "Land-use plans in force" not in html
    assert ">Bộ sưu tập</a> (data, application/json)" in html
    assert "Accept-Language" in response["Vary"]  # a shared cache keeps one per language


def test_the_html_landing_page_in_english(client):
    _, body = get(client, "/ogcapi/?f=html", **{"Accept-Language": "en"})
    html = body.decode()
    assert f"<h1>{TITLE}</h1>" in html
    assert ">Collections</a> (data, application/json)" in html


def test_the_json_title_stays_as_clients_know_it(client):
    doc = get_json(client, "/ogcapi/?f=json", **{"Accept-Language": "vi"})
    assert doc["title"] == TITLE == "Planning data: OGC API Features"
