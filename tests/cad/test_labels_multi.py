"""Several facts on one label line: lot code, function, density, FAR, storeys, height and
area, with Vietnamese decimal commas and thousands dots, from TCVN3/VNI-decoded text;
ambiguous lots (two codes, two values of one fact) are reported, not silently resolved."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import ezdxf
import pytest
import shapely

from importers.cad import labels
from importers.cad.labels import LabelParser, assign, function_names, number
from importers.service import import_cad
from importers.text import vietnamese
from planning.models import Feature
from tests.cad.drawings import E0, N0, tcvn3

CATALOGUE = [
    ("DO", "Đất ở mới"),
    ("DVO", "Đất đơn vị ở"),
    ("HH", "Đất hỗn hợp"),
    ("CX", "Đất cây xanh"),
    ("GD", "Đất giáo dục"),
]


@pytest.fixture
def parser() -> LabelParser:
    return LabelParser(function_names(CATALOGUE))


def facts(parsed: dict) -> dict:
    return {k: v for k, v in parsed.items() if not k.startswith("_") and k != "function_label"}


def test_brief_example_one_line(parser):
    parsed = parser.parse("OD-01 ĐƠN VỊ Ở MĐXD 60% HSSDĐ 3,0 TC 3-5")
    assert parsed["_codes"] == ["OD-01"]
    assert facts(parsed) == {
        "function": "DVO",
        "density": 60.0,
        "far": 3.0,
        "storeys_min": 3,
        "storeys_max": 5,
    }
    assert parsed["function_label"] == "ĐƠN VỊ Ở"
    assert "_unparsed" not in parsed


def test_semicolons_colons_equals_and_storey_word(parser):
    parsed = parser.parse("MĐXD=40%; TC: 5-9 tầng; HSSDĐ 2.5")
    assert facts(parsed) == {"density": 40.0, "storeys_min": 5, "storeys_max": 9, "far": 2.5}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("S=1.234,5 m2", {"area": 1234.5}),
        ("DT: 1.234 m²", {"area": 1234.0}),  # thousands dot in an area
        ("Diện tích 12.345.678 m2", {"area": 12345678.0}),
        ("S = 600,25", {"area": 600.25}),
        ("HSSDĐ 1.25", {"far": 1.25}),  # a dot in a coefficient is a decimal point
        ("H ≤ 25m", {"height_max": 25.0}),
        ("Hmax=25,5 m", {"height_max": 25.5}),
        ("Chiều cao 12-25 m", {"height_min": 12.0, "height_max": 25.0}),
        ("TC 3÷5", {"storeys_min": 3, "storeys_max": 5}),
        ("TẦNG CAO tối đa 9", {"storeys_min": 9, "storeys_max": 9}),
        ("MĐXD tối đa 70 %", {"density": 70.0}),
        ("MDXD 35%, HSD 0,7 lần, TC 1-2", {"density": 35.0, "far": 0.7} | {"storeys_min": 1}),
    ],
)
def test_single_facts_in_their_usual_spellings(parser, text, expected):
    found = facts(parser.parse(text))
    assert {k: found[k] for k in expected} == expected


def test_everything_on_one_line_with_area_and_height(parser):
    parsed = parser.parse("HH-12 Đất hỗn hợp MĐXD 50%, HSSDĐ 4,5, TC 5-15, H ≤ 60m, S=1.234,5 m2")
    assert parsed["_codes"] == ["HH-12"]
    assert facts(parsed) == {
        "function": "HH",
        "density": 50.0,
        "far": 4.5,
        "storeys_min": 5,
        "storeys_max": 15,
        "height_max": 60.0,
        "area": 1234.5,
    }


def test_code_like_tokens_are_not_mistaken_for_facts(parser):
    parsed = parser.parse("S1-01 CX")  # a lot code starting with S is no area
    assert parsed["_codes"] == ["S1-01"]
    assert facts(parsed) == {"function": "CX"}
    assert "area" not in parser.parse("H1-02")
    assert parser.parse("H1-02")["_codes"] == ["H1-02"]


def test_lowercase_words_are_not_function_codes(parser):
    """'do' is 'because' in Vietnamese: only the capital code DO names the function."""
    parsed = parser.parse("do UBND phê duyệt")
    assert "function" not in parsed
    assert parsed["_unparsed"] == ["do UBND phê duyệt"]
    assert parser.parse("A1-01 DO")["function"] == "DO"


@pytest.mark.parametrize(
    ("text", "function", "label", "unparsed"),
    [
        # a land-use name in the planner's words labels the function whole
        ("B1-02\nĐất hỗn hợp cao tầng", "HH", "Đất hỗn hợp cao tầng", None),
        ("Đất giáo dục mầm non MĐXD 40%", "GD", "Đất giáo dục mầm non", None),
        # other words that mention a function stay whole: the function is still read
        ("Trường giáo dục thường xuyên", "GD", "giáo dục", ["Trường giáo dục thường xuyên"]),
        ("Đất cây xanh\nCông viên cây xanh", "CX", "Đất cây xanh", ["Công viên cây xanh"]),
        # a fact, a lot code or punctuation ends a run of words
        ("A1-01 Đất ở mới MĐXD 60% cao tầng", "DO", "Đất ở mới", ["cao tầng"]),
        ("Nhà liên kế (Đất ở mới)", "DO", "Đất ở mới", ["Nhà liên kế"]),
        # a number, or a code not read, ends a run too, and stays whole
        ("Đất ở mới 60%", "DO", "Đất ở mới", ["60%"]),
        ("Đất hỗn hợp 5 tầng", "HH", "Đất hỗn hợp", ["5 tầng"]),
        ("Đất ở mới, 1.234,5 m2", "DO", "Đất ở mới", ["1.234,5"]),
        ("Đất ở mới (3,5 ha)", "DO", "Đất ở mới", ["3,5 ha"]),
        ("A1/01 Đất ở mới", "DO", "Đất ở mới", ["A1/01"]),  # not the lot code "A1"
        ("Lô A1-01 - Đất ở mới", "DO", "Đất ở mới", ["Lô"]),
    ],
)
def test_a_function_is_never_cut_out_of_the_planners_words(parser, text, function, label, unparsed):
    parsed = parser.parse(text)
    assert (parsed["function"], parsed["function_label"]) == (function, label)
    assert parsed.get("_unparsed") == unparsed


@pytest.mark.parametrize("text", ["OD-01/02", "CC-01/1 Đất giáo dục", "Đất ở mới 3,0"])
def test_a_slash_or_comma_inside_a_word_makes_no_lot_code(parser, text):
    assert "_codes" not in parser.parse(text)


def test_unknown_words_are_kept_as_label_text(parser):
    parsed = parser.parse("A1-01 Khu nhà ở MĐXD 60%")
    assert parsed["_codes"] == ["A1-01"]
    assert parsed["density"] == 60.0
    assert parsed["_unparsed"] == ["Khu nhà ở"]


@pytest.mark.parametrize(
    ("text", "value"),
    [("3,0", 3.0), ("1.250,5", 1250.5), ("1,250.5", 1250.5), ("1.250.000", 1250000.0)],
)
def test_numbers(text, value):
    assert number(text) == value


def test_grouped_numbers_only_where_asked():
    assert number("1.234") == 1.234
    assert number("1.234", grouped=True) == 1234.0
    assert number("1.2345", grouped=True) == 1.2345


def _unicode_to_vni(text: str) -> bytes:
    inverse: dict[str, str] = {}
    for sequence, letter in sorted(vietnamese._VNI.items(), key=lambda kv: len(kv[0])):
        inverse.setdefault(letter, sequence)
    encoded = "".join(inverse.get(c, c) for c in unicodedata.normalize("NFC", text))
    return encoded.encode("cp1252")


@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
def test_legacy_encoded_label_decodes_then_parses(parser, encoding):
    line = "OD-01 ĐẤT Ở MỚI MĐXD 60% HSSDĐ 3,0 TC 3-5"
    raw = tcvn3(line).encode("latin-1") if encoding == "tcvn3" else _unicode_to_vni(line)
    assert raw != line.encode("utf-8")
    decoded = vietnamese.decode(raw, encoding)
    assert decoded == unicodedata.normalize("NFC", line)
    parsed = parser.parse(decoded)
    assert parsed["_codes"] == ["OD-01"]
    assert facts(parsed) == {
        "function": "DO",
        "density": 60.0,
        "far": 3.0,
        "storeys_min": 3,
        "storeys_max": 5,
    }


def _lots(count: int) -> list:
    return [shapely.box(i * 100, 0, i * 100 + 50, 50) for i in range(count)]


def _inside(lot: int, dx: float = 5) -> shapely.Point:
    return shapely.Point(lot * 100 + dx, 25)


def test_two_codes_in_one_lot_are_ambiguous(parser):
    points = [_inside(0, 5), _inside(0, 30), _inside(1)]
    texts = ["A1-01 DO MĐXD 60%", "A1-02 DO", "A1-03 A1-04 CX"]  # two labels; two codes in one
    results, issues = assign(_lots(2), points, texts, parser)
    problems = sorted(issue.problem for issue in issues)
    assert problems == ["several lot codes: A1-01, A1-02", "several lot codes: A1-03, A1-04"]
    assert results[0]["code"] == "A1-01"  # the first stays, the lot is reported
    assert all(issue.texts for issue in issues)


def test_the_same_code_twice_is_not_ambiguous(parser):
    results, issues = assign(
        _lots(1), [_inside(0, 5), _inside(0, 30)], ["A1-01 DO", "A1-01"], parser
    )
    assert issues == []
    assert results[0]["code"] == "A1-01"


def test_conflicting_values_of_one_fact_are_reported(parser):
    texts = ["A1-01 DO MĐXD 60% TC 3-5", "MĐXD 40%; TC 3-5"]
    results, issues = assign(_lots(1), [_inside(0, 5), _inside(0, 30)], texts, parser)
    assert [issue.problem for issue in issues] == ["conflicting values: density 60.0 / 40.0"]
    assert results[0]["density"] == 60.0
    assert results[0]["storeys_max"] == 5


def test_two_functions_in_one_lot_are_reported(parser):
    _results, issues = assign(_lots(1), [_inside(0)], ["A1-01 DO CX"], parser)
    assert [issue.problem for issue in issues] == ["conflicting values: function DO / CX"]


def test_configured_pattern_replaces_a_default(settings):
    settings.PLANNING_CAD_LABEL_PATTERNS = {"density": r"^MĐ\s*(?P<value>\d+)\s*%$"}
    custom = LabelParser(function_names(CATALOGUE), labels.patterns())
    assert custom.parse("MĐ 45%")["density"] == 45.0
    assert "density" not in custom.parse("MĐXD 45%")


def _multi_fact_drawing(path: Path) -> Path:
    """Two lots as closed polylines with one-line TCVN3 labels in a .VnTime style."""
    doc = ezdxf.new("R2000")
    doc.header["$DWGCODEPAGE"] = "ANSI_1252"
    doc.styles.new("VNTIME", dxfattribs={"font": ".VnTime.ttf"})
    msp = doc.modelspace()
    lines = [
        "OD-01 Đất ở mới MĐXD 60% HSSDĐ 3,0 TC 3-5",
        "CX-02 ĐẤT CÂY XANH\\PMĐXD=5%; TC: 1 tầng; S=1.200,0 m2; H<=6m",
    ]
    for index, text in enumerate(lines):
        x = E0 + index * 50
        msp.add_lwpolyline(
            [(x, N0), (x + 40, N0), (x + 40, N0 + 30), (x, N0 + 30)],
            close=True,
            dxfattribs={"layer": "LO"},
        )
        label = msp.add_mtext(tcvn3(text), dxfattribs={"layer": "KYHIEU", "style": "VNTIME"})
        label.dxf.insert = (x + 2, N0 + 25)
    import io

    stream = io.StringIO()
    doc.write(stream)
    path.write_bytes(stream.getvalue().encode("latin-1"))
    return path


@pytest.mark.django_db
def test_one_line_tcvn3_labels_through_import_cad(planner, draft_plan, tmp_path):
    path = _multi_fact_drawing(tmp_path / "multi.dxf")
    result = import_cad(
        user=planner,
        revision=draft_plan,
        path=path,
        filename=path.name,
        mapping={"LO": "landuse", "KYHIEU": "landuse"},
        crs="EPSG:9214",
    )
    by_code = {
        lot.attributes["code"]: lot.attributes
        for lot in Feature.objects.filter(layer=result.layers[0])
    }
    assert result.report["text_encoding"] == "tcvn3"
    assert result.report["label_issues"] == []
    first, second = by_code["OD-01"], by_code["CX-02"]
    assert (first["function"], first["density"], first["far"]) == ("DO", 60.0, 3.0)
    assert (first["storeys_min"], first["storeys_max"]) == (3, 5)
    assert (second["function"], second["density"], second["area"]) == ("CX", 5.0, 1200.0)
    assert (second["storeys_min"], second["storeys_max"], second["height_max"]) == (1, 1, 6.0)
