"""The OGC API HTML pages in the reader's language, as the landing page (QA walk: the
collection, items and schema pages stayed English in the Vietnamese UI). Ids, types, CRS
URIs, property names and rel names stay as the JSON documents give them."""

from __future__ import annotations

import pytest

from tests.ogcapi.helpers import get, get_json

pytestmark = pytest.mark.django_db

COLLECTION = "/ogcapi/collections/landuse"


def html(client, url: str, language: str) -> str:
    response, body = get(client, f"{url}?f=html", **{"Accept-Language": language})
    assert response.status_code == 200, body[:500]
    assert "Accept-Language" in response["Vary"]
    page = body.decode()
    assert f'<html lang="{language}">' in page
    return page


def assert_in_vietnamese(page: str, translated: list[str], english: list[str]) -> None:
    for text in translated:
        assert text in page, text
    for text in english:
        assert text not in page, text


def test_the_collections_page(client, plan_in_force):
    vi = html(client, "/ogcapi/collections", "vi")
    assert_in_vietnamese(
        vi,
        ["<h1>Bộ sưu tập</h1>", "<th>tên gọi</th>", "<th>phạm vi (CRS84)</th>"],
        [">Collections<", "<th>title</th>", "extent (CRS84)"],
    )
    assert "landuse.inforce" in vi  # ids untouched
    en = html(client, "/ogcapi/collections", "en")
    assert "<h1>Collections</h1>" in en
    assert "<th>title</th><th>extent (CRS84)</th>" in en


def test_the_collection_page(client, plan_in_force):
    vi = html(client, COLLECTION, "vi")
    assert_in_vietnamese(
        vi,
        ["hệ tọa độ lưu trữ: http://www.opengis.net/def/crs/EPSG/0/",
         "Phạm vi (CRS84): 107.", "; có hiệu lực từ 20",
         ">Các đối tượng</a></p>", ">Trang này</a> (self, text/html)",
         ">Trang này dạng JSON</a> (alternate, application/json)",
         ">Các thuộc tính truy vấn được</a> (http://www.opengis.net/def/rel/ogc/1.0/queryables",
         ">Lược đồ JSON của các đối tượng</a> (describedby, application/schema+json)"],
        ["storage CRS", "Extent", "in force since", ">Features<", "JSON Schema of"],
    )  # fmt: skip
    en = html(client, COLLECTION, "en")
    assert "; in force since 20" in en
    assert "Extent (CRS84): 107." in en
    assert ">Features</a></p>" in en
    assert ">JSON Schema of the features</a> (describedby, application/schema+json)" in en


def test_the_items_page(client, plan_in_force):
    vi = html(client, f"{COLLECTION}/items", "vi")
    assert_in_vietnamese(
        vi,
        ["<p>2 đối tượng; 2 đối tượng trên trang này.</p>", "<th>thuộc tính</th>",
         ">Trang này dạng JSON</a> (alternate, application/geo+json)", "code = A1"],
        ["features;", "on this page", "<th>properties</th>"],
    )  # fmt: skip
    en = html(client, f"{COLLECTION}/items", "en")
    assert "<p>2 features; 2 on this page.</p>" in en
    _, body = get(client, f"{COLLECTION}/items?f=html&limit=1", **{"Accept-Language": "en"})
    page = body.decode()
    assert "<p>2 features; 1 on this page.</p>" in page
    assert ">Next page</a> (next, text/html)" in page


def test_the_paging_links(client, plan_in_force):
    _, body = get(client, f"{COLLECTION}/items?f=html&limit=1&offset=1",
                  **{"Accept-Language": "vi"})  # fmt: skip
    page = body.decode()
    assert ">Trang trước</a> (prev, text/html)" in page
    assert "Previous page" not in page


@pytest.mark.parametrize(
    ("path", "heading"),
    [("queryables", "Các thuộc tính truy vấn được"), ("schemas/feature", "Lược đồ đối tượng")],
)
def test_the_schema_pages(client, plan_in_force, path, heading):
    vi = html(client, f"{COLLECTION}/{path}", "vi")
    title = get_json(client, COLLECTION, **{"Accept-Language": "vi"})["title"]
    assert_in_vietnamese(
        vi,
        [f"<h1>{heading}: {title}</h1>", "<th>tên</th><th>kiểu</th><th>mô tả</th>",
         "<td>code</td><td>string</td>"],
        ["Queryables", "Feature schema", "<th>name</th>", "<th>type</th>", "description<"],
    )  # fmt: skip
    en = html(client, f"{COLLECTION}/{path}", "en")
    assert "<th>name</th><th>type</th><th>description</th>" in en


def test_the_feature_schema_sentence(client, plan_in_force):
    vi = html(client, f"{COLLECTION}/schemas/feature", "vi")
    assert "Mỗi đối tượng là một GeoJSON Feature có <code>id</code> là số nguyên" in vi
    assert "Each feature" not in vi
    en = html(client, f"{COLLECTION}/schemas/feature", "en")
    assert "Each feature is a GeoJSON Feature with an integer <code>id</code>" in en


def test_the_items_page_has_one_etag_per_language(client, plan_in_force):
    url = f"{COLLECTION}/items?f=html"
    vi, _ = get(client, url, **{"Accept-Language": "vi"})
    en, _ = get(client, url, **{"Accept-Language": "en"})
    assert vi["ETag"] != en["ETag"]
    # A tag kept from the Vietnamese page does not stand for the English one.
    again, body = get(client, url, **{"Accept-Language": "en", "If-None-Match": vi["ETag"]})
    assert again.status_code == 200
    assert b'<html lang="en">' in body
