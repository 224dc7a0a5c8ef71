"""Numbers on the OGC API HTML pages as the reader's language writes them (QA walk: counts
and areas were shown without digit grouping): Vietnamese "84.640,5", English "84,640.5".
Ids, codes written as text and the JSON documents stay as they are."""

from __future__ import annotations

import json

import pytest

from planning.models import Feature, Layer
from tests.conftest import HUE_X, HUE_Y, LOT_SCHEMA, make_plan, square
from tests.ogcapi.helpers import get

pytestmark = pytest.mark.django_db
LOTS = 1001  # more than a thousand: the count is grouped as well
AREA = 84640.5


@pytest.fixture
def many_lots(planner, reviewer):
    """A plan in force with 1,001 lots; lot 0001 has a large area and population, and a
    code of digits (text)."""
    lots = [
        (
            square(HUE_X + 10 * (n % 40), HUE_Y + 10 * (n // 40), 8),
            {"code": f"{n:04d}", "function": "DO"},
        )
        for n in range(1, LOTS + 1)
    ]
    lots[0][1].update(area=AREA, storeys_max=12, population=1234567.5, nam_duyet=2026)
    revision = make_plan(planner, reviewer, "many", lots, approve=True)
    schema = [
        *LOT_SCHEMA,
        {"name": "population", "type": "number"},
        {"name": "nam_duyet", "type": "integer"},  # a year: a whole number that is no quantity
    ]
    Layer.objects.filter(revision=revision).update(attribute_schema=schema)
    return Feature.objects.get(attributes__code="0001")


def page(client, url: str, language: str) -> str:
    response, body = get(client, url, **{"Accept-Language": language})
    assert response.status_code == 200, body[:300]
    return body.decode()


@pytest.mark.parametrize(
    ("language", "count", "area", "population"),
    [
        (
            "vi",
            "<p>1.001 đối tượng; 1.000 đối tượng trên trang này.</p>",
            "84.640,5",
            "1.234.567,5",
        ),
        ("en", "<p>1,001 features; 1,000 on this page.</p>", "84,640.5", "1,234,567.5"),
    ],
)
def test_counts_and_values_are_grouped(client, many_lots, language, count, area, population):
    items = page(client, "/ogcapi/collections/landuse/items?f=html&limit=1000", language)
    assert count in items
    assert f"area = {area}" in items
    assert f"population = {population}" in items
    assert "storeys_max = 12;" in items
    assert "nam_duyet = 2026</td>" in items  # as the review map shows it, not "2.026"
    assert "code = 0001;" in items  # text, even of digits
    item = page(client, f"/ogcapi/collections/landuse/items/{many_lots.pk}?f=html", language)
    assert f"<td>{area}</td>" in item
    assert f"<td>{population}</td>" in item
    assert "<td>0001</td>" in item
    assert "<td>2026</td>" in item
    assert_ids_and_json_unchanged(client, language)


def assert_ids_and_json_unchanged(client, language: str) -> None:
    last = Feature.objects.get(attributes__code=f"{LOTS:04d}")
    assert last.pk >= 1000, "an id long enough to be grouped"
    item = page(client, f"/ogcapi/collections/landuse/items/{last.pk}?f=html", language)
    assert f": {last.pk}</h1>" in item
    listing = page(client, f"/ogcapi/collections/landuse/items?f=html&code={LOTS}", language)
    assert f'/items/{last.pk}?f=html">{last.pk}</a>' in listing
    _, body = get(client, "/ogcapi/collections/landuse/items?code=0001",
                  **{"Accept-Language": language})  # fmt: skip
    document = json.loads(body)
    assert document["numberMatched"] == 1
    properties = document["features"][0]["properties"]
    assert (properties["area"], properties["population"]) == (AREA, 1234567.5)


def test_a_whole_number_is_shown_by_its_published_type(client, many_lots):
    """A year stored as 2026.0 (GeoJSON or a DBF real) is no quantity: "2026", not
    "2.026,0"; a standard quantity stored whole is grouped ("10.000" m²)."""
    Feature.objects.filter(pk=many_lots.pk).update(
        attributes={**many_lots.attributes, "nam_duyet": 2026.0, "area": 10000}
    )
    item = page(client, f"/ogcapi/collections/landuse/items/{many_lots.pk}?f=html", "vi")
    assert "<td>2026</td>" in item
    assert "<td>10.000</td>" in item
