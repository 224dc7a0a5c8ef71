"""Lots without a land-use category in the balance table and the review legend.

A draft of ten lots without category showed the balance row " ?" with no name, and the
legend "No land-use lots in this revision.". They are lots: the balance counts them in an
"Uncategorised" row (code "", the grey the maps draw them in), the legend lists that entry,
and land-use features that are not polygons are counted apart (no area to balance)."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import LineString
from django.utils import translation
from rest_framework.test import APIClient

from planning import qa
from planning.models import Feature, Layer
from tests.conftest import HUE_X, HUE_Y, make_plan, square
from webmap.reviewconfig import legend_entries

pytestmark = pytest.mark.django_db


@pytest.fixture
def bare_lots(planner, reviewer):
    lots = [(square(HUE_X + 30 * i, HUE_Y, 25), {}) for i in range(10)]
    return make_plan(planner, reviewer, "bare", lots, approve=False)


def balance(user, revision, language: str = "en") -> dict:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.force_authenticate(user)
    return client.get(f"/api/revisions/{revision.pk}/balance/").json()


def test_lots_without_category_are_one_uncategorised_row(planner, bare_lots):
    data = balance(planner, bare_lots)
    [row] = data["rows"]
    assert (row["code"], row["name"], row["lots"], row["area"]) == ("", "Uncategorised", 10, 6250.0)
    assert row["colour"] == "#888888"
    assert data["without_area"] == 0
    assert balance(planner, bare_lots, "vi")["rows"][0]["name"] == "Chưa phân loại"


def test_the_csv_names_the_row_too(planner, bare_lots):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(planner)
    response = client.get(f"/api/revisions/{bare_lots.pk}/balance/?download=csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[1].startswith(",Uncategorised,6250.0,")


def test_land_use_features_that_are_not_polygons_are_counted_apart(planner, bare_lots):
    layer = Layer.objects.get(revision=bare_lots)
    Feature.objects.filter(layer=layer).delete()
    Feature.objects.create(
        layer=layer, geom=LineString((HUE_X, HUE_Y), (HUE_X + 20, HUE_Y + 20), srid=9214)
    )
    data = balance(planner, bare_lots)
    assert (data["rows"], data["without_area"]) == ([], 1)


def test_the_legend_lists_the_uncategorised_lots(bare_lots):
    with translation.override("vi"):
        entries = legend_entries(bare_lots)
    assert entries == [{"code": "", "label": "Chưa phân loại", "colour": "#888888"}]


def test_a_revision_without_lots_has_no_legend_entry(bare_lots):
    Layer.objects.filter(revision=bare_lots).update(kind="roads")  # no land-use layer left
    assert legend_entries(bare_lots) == []


def test_a_declared_balance_names_the_uncategorised_lots(bare_lots):
    bare_lots.declared_balance = {"ODT": 6250.0}
    bare_lots.save(update_fields=["declared_balance"])
    qa.run(bare_lots)
    finding = bare_lots.findings.get(rule="balance.declared", params__code="")
    with translation.override("vi"):
        assert qa.message_of(finding).startswith("Diện tích khai báo của Chưa phân loại là 0,0 m²")


def test_a_category_code_written_as_a_formula_stays_text(planner, bare_lots):
    """Category codes come from imported files: '=HYPERLINK(…)' must not become a live
    formula in the spreadsheet a reviewer opens (CSV and XLSX)."""
    from io import BytesIO

    from openpyxl import load_workbook

    formula = '=HYPERLINK("HTTP://E.VN","X")'
    Feature.objects.filter(layer__revision=bare_lots).update(category=formula)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(planner)
    url = f"/api/revisions/{bare_lots.pk}/balance/?download="
    lines = client.get(url + "csv").content.decode("utf-8-sig").splitlines()
    assert lines[1].startswith("\"'=HYPERLINK(")
    sheet = load_workbook(BytesIO(client.get(url + "xlsx").content)).active
    assert sheet["A2"].data_type == "s"
    assert sheet["A2"].value == "'" + formula
