"""Lot codes whose prefix is a catalogue code ("ODT-01", "TMDV-02", "CX-03") give the lot its
function when no label names one, and win over a broader function label ("ODT-04" with
"Đất ở": ODT, not the residential group OCT); a lot label lying in no lot is reported where it
stands. Read with the shipped catalogue (planning.catalogue), through the parser and through
import_cad on a drawing written with ezdxf.
"""

from __future__ import annotations

import io
from pathlib import Path

import ezdxf
import pytest
import shapely

from importers.cad.labels import LabelParser, assign, function_names
from importers.service import import_cad
from planning.catalogue import catalogue_rows
from planning.models import Feature
from tests.cad.drawings import E0, N0

OUTSIDE = "lot label outside every lot"


@pytest.fixture(scope="module")
def parser() -> LabelParser:
    return LabelParser(function_names((row["code"], row["name_vi"]) for row in catalogue_rows()))


def lots(count: int) -> list:
    return [shapely.box(i * 100, 0, i * 100 + 50, 50) for i in range(count)]


def inside(lot: int, dy: float = 0) -> shapely.Point:
    return shapely.Point(lot * 100 + 5, 25 + dy)


@pytest.mark.parametrize(
    ("texts", "function"),
    [
        (["ODT-01"], "ODT"),
        (["TMDV-02"], "TMDV"),
        (["CX03"], "CX"),
        (["ODT-04", "Đất ở"], "ODT"),  # the code is the more specific
        (["DO-05 Đất ở"], "DO"),  # Đất ở mới is a kind of Đất ở
        (["ODT-06", "Đất ở mới"], "DO"),  # the label, unrelated to the prefix, wins
        (["ODT-07", "Đất cây xanh"], "CX"),
        (["A-08", "Đất ở"], "OCT"),  # no catalogue code in the lot code
    ],
)
def test_function_from_the_code_prefix(parser, texts, function):
    points = [inside(0, dy) for dy in range(len(texts))]
    (attributes,), issues = assign(lots(1), points, texts, parser)
    assert attributes["function"] == function
    assert issues == []


def test_a_code_without_catalogue_prefix_still_lacks_a_function(parser):
    (attributes,), issues = assign(lots(1), [inside(0)], ["A2-19"], parser)
    assert "function" not in attributes
    assert [issue.problem for issue in issues] == ["no land-use function in the label"]


def test_two_functions_stay_a_conflict_whatever_the_code(parser):
    texts = ["ODT-01", "Đất cây xanh", "Đất giáo dục"]
    _, issues = assign(lots(1), [inside(0, dy) for dy in range(3)], texts, parser)
    assert [issue.problem for issue in issues] == ["conflicting values: function CX / GD"]


def test_labels_in_no_lot_are_reported_where_they_stand(parser):
    texts = ["ODT-01", "ODT-99 MĐXD 60%", "Đất ở", "Quy hoạch chi tiết", "MĐXD 40%"]
    points = [inside(0), shapely.Point(500, 7), shapely.Point(600, 8), *[shapely.Point(700, 9)] * 2]
    results, issues = assign(lots(1), points, texts, parser)
    assert results[0]["function"] == "ODT"
    # a lot code is a lot's label; a title, a lone value or a function name (a legend
    # lists them all, outside the lots) is not
    assert [(i.location, i.problem, i.texts) for i in issues] == [
        ((500.0, 7.0), OUTSIDE, ["ODT-99 MĐXD 60%"]),
    ]


def codes_drawing(path: Path) -> Path:
    """Closed lots labelled with codes only, one with a code and a function, a lot left open
    with its label, and a stray label."""
    doc = ezdxf.new("R2018")
    msp = doc.modelspace()
    labels = ["ODT-01", "TMDV-02", "CX-03", "ODT-04\\PĐất ở"]
    for index, text in enumerate(labels):
        x = E0 + index * 50
        msp.add_lwpolyline(
            [(x, N0), (x + 40, N0), (x + 40, N0 + 30), (x, N0 + 30)],
            close=True,
            dxfattribs={"layer": "LO"},
        )
        msp.add_mtext(text, dxfattribs={"layer": "KYHIEU", "insert": (x + 2, N0 + 25)})
    open_x = E0 + 4 * 50  # three sides: no lot
    msp.add_lwpolyline(
        [(open_x, N0), (open_x + 40, N0), (open_x + 40, N0 + 30)], dxfattribs={"layer": "LO"}
    )
    msp.add_mtext("ODT-05", dxfattribs={"layer": "KYHIEU", "insert": (open_x + 2, N0 + 25)})
    msp.add_text("ODT-99", dxfattribs={"layer": "KYHIEU", "insert": (E0, N0 + 60)})
    stream = io.StringIO()
    doc.write(stream)
    path.write_text(stream.getvalue(), encoding="utf-8")
    return path


@pytest.mark.django_db
def test_codes_only_drawing_through_import_cad(planner, draft_plan, tmp_path):
    path = codes_drawing(tmp_path / "codes_only.dxf")
    result = import_cad(
        user=planner,
        revision=draft_plan,
        path=path,
        filename=path.name,
        mapping={"LO": "landuse", "KYHIEU": "landuse"},
        crs="EPSG:9214",
    )
    stored = {
        lot.attributes["code"]: (lot.attributes.get("function"), lot.category)
        for lot in Feature.objects.filter(layer=result.layers[0])
    }
    assert stored == {
        "ODT-01": ("ODT", "ODT"),
        "TMDV-02": ("TMDV", "TMDV"),
        "CX-03": ("CX", "CX"),
        "ODT-04": ("ODT", "ODT"),
    }
    issues = result.report["label_issues"]
    assert [(i["problem"], i["texts"]) for i in issues] == [
        (OUTSIDE, ["ODT-05"]),
        (OUTSIDE, ["ODT-99"]),
    ]
    assert [list(i["location"]) for i in issues] == [[E0 + 202, N0 + 25], [E0, N0 + 60]]
    assert all(i["lonlat"] for i in issues)  # the page can centre the map there
    # the report says how many lots took their function from their code's letters, since
    # those letters may mean something else in a drawing ("MN-01" for a kindergarten)
    assert (
        "4 lots take their land-use function from the letters of their lot code (ODT-01: ODT); "
        "check those whose letters mean something else in this drawing"
    ) in result.report["notes"]
